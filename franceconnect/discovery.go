package franceconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// metadata is the part of the provider's discovery document (OpenID Connect
// Discovery 1.0 §3) the client uses.
type metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
	// RFC 9207 §3: when true, every authorization response carries iss.
	ISSParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// maxBodyBytes bounds every answer read from the provider.
const maxBodyBytes = 1 << 20

// fetchMetadata gets and checks the discovery document.
func (c *Client) fetchMetadata(ctx context.Context) (*metadata, error) {
	wellKnown := strings.TrimSuffix(c.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	body, _, err := c.get(ctx, wellKnown, "application/json")
	if err != nil {
		return nil, fail(ErrUnavailable, "discovery: %v", err)
	}
	var m metadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fail(ErrUnavailable, "discovery: %v", err)
	}
	// OpenID Connect Discovery §4.3: the issuer must be identical to the one
	// the document was fetched for, or every later iss check is moot.
	if m.Issuer != c.cfg.Issuer {
		return nil, fail(ErrUnavailable, "discovery: issuer %q, configured %q", m.Issuer, c.cfg.Issuer)
	}
	secure := strings.HasPrefix(c.cfg.Issuer, "https:")
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", m.AuthorizationEndpoint},
		{"token_endpoint", m.TokenEndpoint},
		{"userinfo_endpoint", m.UserinfoEndpoint},
		{"jwks_uri", m.JWKSURI},
		{"end_session_endpoint", m.EndSessionEndpoint},
	} {
		if e.value == "" && e.name == "end_session_endpoint" {
			continue
		}
		u, err := url.Parse(e.value)
		if err != nil || u.Host == "" || (u.Scheme != "https" && (secure || u.Scheme != "http")) || u.Fragment != "" {
			return nil, fail(ErrUnavailable, "discovery: %s %q is not an absolute URL of the issuer's scheme", e.name, e.value)
		}
	}
	return &m, nil
}

// get fetches url and returns its body if the answer is 200 with the wanted
// media type ("" for any).
func (c *Client) get(ctx context.Context, target, mediaType string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, "", err
	}
	if mediaType != "" {
		req.Header.Set("Accept", mediaType)
	}
	status, ctype, body, err := c.do(req)
	if err != nil {
		return nil, "", err
	}
	if status != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: status %d", target, status)
	}
	if mediaType != "" && ctype != mediaType {
		return nil, "", fmt.Errorf("GET %s: content type %q, want %q", target, ctype, mediaType)
	}
	return body, ctype, nil
}

// do sends req and reads at most maxBodyBytes of the answer. It returns the
// status, the media type (parameters stripped, lower case) and the body.
func (c *Client) do(req *http.Request) (status int, mediaType string, body []byte, err error) {
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return 0, "", nil, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Redacted(), err)
	}
	if len(body) > maxBodyBytes {
		return 0, "", nil, fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, req.URL.Redacted(), maxBodyBytes)
	}
	mediaType, _, _ = mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return resp.StatusCode, strings.ToLower(mediaType), body, nil
}
