package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The steps of one delegated login, in order.
const (
	stepAuthorize = iota
	stepChoicePage
	stepChoicePost
	stepToken
	stepUserinfo
	nSteps
)

var stepNames = [nSteps]string{"authorize", "choice page", "choice post", "token", "userinfo"}

type generator struct {
	o         options
	transport *http.Transport
	service   *http.Client // the service's back channel (token, userinfo)
	fx        *Fixtures
	aidants   []*aidant
}

func newGenerator(o options) *generator {
	t := newTransport(o)
	return &generator{o: o, transport: t, service: &http.Client{Transport: t, Timeout: o.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// stepError is a failed step: which, and why.
type stepError struct {
	step int
	what string
}

func (e *stepError) Error() string { return stepNames[e.step] + ": " + e.what }

func failed(step int, format string, args ...any) error {
	return &stepError{step: step, what: fmt.Sprintf(format, args...)}
}

var permissionButton = regexp.MustCompile(`name="permission_id" value="([^"]+)"`)

// login runs one complete delegated login for a, filling the time of each
// step.
func (g *generator) login(ctx context.Context, a *aidant, times *[nSteps]time.Duration) error {
	state, nonce, verifier := token(16), token(24), token(32)
	challenge := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {g.fx.Client.ID}, "redirect_uri": {g.fx.Client.RedirectURI},
		"scope": {"openid profile email birth"}, "state": {state}, "nonce": {nonce}, "acr_values": {"eidas1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(challenge[:])}, "code_challenge_method": {"S256"},
		"claims": {`{"id_token":{"rep_scope":{"essential":true,"values":["` + g.o.procedure + `"]}}}`},
	}

	// The service sends the aidant to the authorization endpoint.
	start := time.Now()
	resp, body, err := g.get(ctx, a.client, "/oidc/authorize?"+q.Encode(), 0)
	times[stepAuthorize] = time.Since(start)
	if err != nil {
		return failed(stepAuthorize, "%v", err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/oidc/choix" {
		return failed(stepAuthorize, "%d → %q %s", resp.StatusCode, resp.Header.Get("Location"), excerpt(body))
	}

	// The aidant sees the choice…
	start = time.Now()
	resp, body, err = g.get(ctx, a.client, "/oidc/choix", 0)
	times[stepChoicePage] = time.Since(start)
	if err != nil {
		return failed(stepChoicePage, "%v", err)
	}
	buttons := permissionButton.FindAllStringSubmatch(body, -1)
	csrf := match(csrfInput, body)
	if resp.StatusCode != http.StatusOK || len(buttons) == 0 || csrf == "" {
		return failed(stepChoicePage, "%d, %d permissions %s", resp.StatusCode, len(buttons), excerpt(body))
	}

	// … and picks a usager and procedure.
	form := url.Values{"csrf_token": {csrf}, "permission_id": {buttons[mathrand.IntN(len(buttons))][1]}}
	start = time.Now()
	resp, body, err = g.post(ctx, a.client, "/oidc/choix", form, 0)
	times[stepChoicePost] = time.Since(start)
	if err != nil {
		return failed(stepChoicePost, "%v", err)
	}
	back, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode/100 != 3 || back == nil || !strings.HasPrefix(back.String(), g.fx.Client.RedirectURI+"?") {
		return failed(stepChoicePost, "%d → %q %s", resp.StatusCode, resp.Header.Get("Location"), excerpt(body))
	}
	code := back.Query().Get("code")
	if back.Query().Get("state") != state || code == "" {
		return failed(stepChoicePost, "callback without code or with another state: %s", back.RawQuery)
	}

	// The service exchanges the code…
	form = url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {g.fx.Client.RedirectURI},
		"code_verifier": {verifier}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.o.base+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(g.fx.Client.ID), url.QueryEscape(g.fx.Client.Secret))
	start = time.Now()
	resp, body, err = g.do(g.service, req)
	times[stepToken] = time.Since(start)
	if err != nil {
		return failed(stepToken, "%v", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
		TokenType   string `json:"token_type"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
		return failed(stepToken, "%d %s", resp.StatusCode, excerpt(body))
	}
	if err := g.checkIDToken(tok.IDToken, nonce); err != nil {
		return failed(stepToken, "%v", err)
	}

	// … and reads UserInfo.
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, g.o.base+"/oidc/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	start = time.Now()
	resp, body, err = g.do(g.service, req)
	times[stepUserinfo] = time.Since(start)
	if err != nil {
		return failed(stepUserinfo, "%v", err)
	}
	var info struct {
		Sub string `json:"sub"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &info) != nil || info.Sub == "" {
		return failed(stepUserinfo, "%d %s", resp.StatusCode, excerpt(body))
	}
	return nil
}

// checkIDToken checks the ID token's audience and nonce. Its signature is
// the service's business (and client-side CPU): not verified here.
func (g *generator) checkIDToken(raw, nonce string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return fmt.Errorf("id_token is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return fmt.Errorf("id_token payload: %w", err)
	}
	var c struct {
		Aud   any    `json:"aud"`
		Nonce string `json:"nonce"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return fmt.Errorf("id_token payload: %w", err)
	}
	aud := false
	switch v := c.Aud.(type) {
	case string:
		aud = v == g.fx.Client.ID
	case []any:
		aud = slices.Contains(v, any(g.fx.Client.ID))
	}
	if !aud || c.Nonce != nonce {
		return fmt.Errorf("id_token for another audience or nonce")
	}
	return nil
}

// get fetches path (or an absolute URL) with client; want 0 accepts any
// status.
func (g *generator) get(ctx context.Context, client *http.Client, path string, want int) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url(path), nil)
	if err != nil {
		return nil, "", err
	}
	return g.expect(g.do(client, req))(want)
}

// post submits form to path (or an absolute URL) as a same-origin page
// would.
func (g *generator) post(ctx context.Context, client *http.Client, path string, form url.Values, want int) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return g.expect(g.do(client, req))(want)
}

func (g *generator) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return g.o.base + path
}

// do sends req and reads the whole body, so that the connection is reused.
func (g *generator) do(client *http.Client, req *http.Request) (*http.Response, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func (g *generator) expect(resp *http.Response, body string, err error) func(want int) (*http.Response, string, error) {
	return func(want int) (*http.Response, string, error) {
		if err == nil && want != 0 && resp.StatusCode != want {
			err = fmt.Errorf("%s %s: %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, excerpt(body))
		}
		return resp, body, err
	}
}

// token is n random bytes, base64url.
func token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
