package franceconnect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"procura/identity"
)

// ClockLeeway is the clock difference tolerated with the provider when
// checking exp, iat and auth_time. FranceConnect's ID tokens live 60 s, so
// the leeway stays well under that.
const ClockLeeway = 30 * time.Second

// Evidence is what proves the identification later without trusting
// Procura: the ID token and the userinfo answer, both signed by the provider.
type Evidence struct {
	// IDToken is the raw ID token (compact JWS); it is also the
	// id_token_hint for LogoutURL.
	IDToken string `json:"id_token"`
	// IDTokenSHA256 is the SHA-256 of IDToken, lower-case hex: what a
	// mandate's signature covers.
	IDTokenSHA256 string `json:"id_token_sha256"`
	// Userinfo is the raw signed userinfo JWT; "" when plain JSON was
	// accepted (Config.AllowUnsignedUserinfo).
	Userinfo string `json:"userinfo,omitempty"`
	// ACR is the ID token's acr (eidas1).
	ACR string `json:"acr"`
	// AuthTime is when the usager authenticated at the provider; zero if the
	// ID token does not say.
	AuthTime time.Time `json:"auth_time,omitzero"`
	// IdentifiedAt is when Complete verified everything.
	IdentifiedAt time.Time `json:"identified_at"`
	// JWKS is the provider's key set (the document as served) that
	// verified IDToken, to archive with a mandate (archive.go); JWKSSHA256
	// names it.
	JWKS       string `json:"-"`
	JWKSSHA256 string `json:"jwks_sha256,omitempty"`
}

// Complete ends an identification. flow is the one Begin returned for this
// browser (the zero Flow if its session holds none); callbackQuery is the
// query of the request to RedirectURI. It checks the callback, exchanges the
// code (client_secret_post), verifies the ID token and the userinfo answer
// against the provider's keys and validates the identity claims. Any
// failure returns a problem wrapping one of the Err kinds, and no identity.
func (c *Client) Complete(ctx context.Context, flow Flow, callbackQuery url.Values) (identity.Identity, Evidence, error) {
	now := c.cfg.Now()
	code, err := c.checkCallback(ctx, flow, callbackQuery, now)
	if err != nil {
		return identity.Identity{}, Evidence{}, err
	}
	meta, err := c.metadata(ctx)
	if err != nil {
		return identity.Identity{}, Evidence{}, err
	}
	tokens, err := c.exchange(ctx, meta, code)
	if err != nil {
		return identity.Identity{}, Evidence{}, err
	}
	idt, err := c.verifyIDToken(ctx, tokens, flow, now)
	if err != nil {
		return identity.Identity{}, Evidence{}, err
	}
	id, signed, err := c.userinfo(ctx, meta, tokens.AccessToken, idt.Subject, now)
	if err != nil {
		return identity.Identity{}, Evidence{}, err
	}
	if err := identity.Validate(id); err != nil {
		return identity.Identity{}, Evidence{}, err
	}
	sum := sha256.Sum256([]byte(tokens.IDToken))
	ev := Evidence{
		IDToken:       tokens.IDToken,
		IDTokenSHA256: hex.EncodeToString(sum[:]),
		Userinfo:      signed,
		ACR:           idt.ACR,
		IdentifiedAt:  now,
	}
	if idt.AuthTime != nil {
		ev.AuthTime = idt.AuthTime.Time
	}
	// The key set held now verified the ID token, unless the keys were
	// refetched meanwhile: keep it only if it still verifies the token.
	if jwks := c.currentJWKS(); jwks != nil {
		if _, err := VerifyArchived(tokens.IDToken, jwks); err == nil {
			ev.JWKS, ev.JWKSSHA256 = string(jwks), JWKSSHA256(jwks)
		}
	}
	return id, ev, nil
}

// checkCallback checks the authorization response (OpenID Connect Core
// §3.1.2.5–7, RFC 9207) and returns the code.
func (c *Client) checkCallback(ctx context.Context, flow Flow, q url.Values, now time.Time) (string, error) {
	if flow.State == "" || flow.Nonce == "" {
		return "", fail(ErrState, "no identification flow in progress")
	}
	if len(q["state"]) != 1 || !equal(q.Get("state"), flow.State) {
		return "", fail(ErrState, "callback state is missing, repeated or not the flow's")
	}
	if flow.Expired(now) || flow.CreatedAt.After(now.Add(ClockLeeway)) {
		return "", fail(ErrFlowExpired, "flow created %s, now %s", flow.CreatedAt.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	for _, name := range []string{"code", "error", "iss"} {
		if len(q[name]) > 1 {
			return "", fail(ErrMalformed, "callback: %s is repeated", name)
		}
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return "", fail(ErrCancelled, "error=access_denied, error_description=%.200q", q.Get("error_description"))
		}
		return "", fail(ErrRefused, "error=%.100q, error_description=%.200q", e, q.Get("error_description"))
	}
	// RFC 9207 §2.4: iss in the response defends against mix-up; when the
	// provider announces it, it must be there.
	if q.Has("iss") || c.announcesISS(ctx) {
		if q.Get("iss") != c.cfg.Issuer {
			return "", fail(ErrIssuer, "callback iss %.200q is not the configured issuer", q.Get("iss"))
		}
	}
	code := q.Get("code")
	if code == "" {
		return "", fail(ErrMalformed, "callback has neither code nor error")
	}
	return code, nil
}

func (c *Client) announcesISS(ctx context.Context) bool {
	meta, err := c.metadata(ctx)
	return err == nil && meta.ISSParameterSupported
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	IDToken     string `json:"id_token"`
}

// exchange redeems the code at the token endpoint with client_secret_post
// (OpenID Connect Core §3.1.3.1, §9).
func (c *Client) exchange(ctx context.Context, meta *metadata, code string) (tokenResponse, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.cfg.RedirectURI},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, meta.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, fail(ErrUnavailable, "token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, _, body, err := c.do(req)
	switch {
	case err != nil:
		return tokenResponse{}, fail(ErrUnavailable, "token endpoint: %v", err)
	case status >= 400 && status < 500:
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(body, &e)
		return tokenResponse{}, fail(ErrTokenRefused, "token endpoint: status %d, error=%.100q, error_description=%.200q", status, e.Error, e.Description)
	case status != http.StatusOK:
		return tokenResponse{}, fail(ErrUnavailable, "token endpoint: status %d", status)
	}
	var t tokenResponse
	if err := json.Unmarshal(body, &t); err != nil {
		return tokenResponse{}, fail(ErrMalformed, "token response: %v", err)
	}
	if t.AccessToken == "" || t.IDToken == "" || !strings.EqualFold(t.TokenType, "Bearer") {
		return tokenResponse{}, fail(ErrMalformed, "token response: access_token, id_token or token_type Bearer missing")
	}
	return t, nil
}

// verifyIDToken validates the ID token (OpenID Connect Core §3.1.3.7).
func (c *Client) verifyIDToken(ctx context.Context, t tokenResponse, flow Flow, now time.Time) (jwtClaims, error) {
	payload, err := c.verifyJWS(ctx, "id_token", t.IDToken)
	if err != nil {
		return jwtClaims{}, err
	}
	cl, err := decodeClaims("id_token", payload)
	if err != nil {
		return jwtClaims{}, err
	}
	earliest := flow.CreatedAt.Add(-ClockLeeway)
	switch {
	case cl.Issuer != c.cfg.Issuer:
		return jwtClaims{}, fail(ErrIssuer, "id_token: iss %.200q is not the configured issuer", cl.Issuer)
	case cl.Expiry == nil || !now.Before(cl.Expiry.Add(ClockLeeway)):
		return jwtClaims{}, fail(ErrTokenTime, "id_token: exp missing or past")
	case cl.IssuedAt == nil || cl.IssuedAt.After(now.Add(ClockLeeway)) || cl.IssuedAt.Before(earliest):
		return jwtClaims{}, fail(ErrTokenTime, "id_token: iat missing, in the future or before the flow began")
	case cl.AuthTime != nil && (cl.AuthTime.After(now.Add(ClockLeeway)) || cl.AuthTime.Before(earliest)):
		// prompt=login asked for a fresh authentication, during this flow.
		return jwtClaims{}, fail(ErrTokenTime, "id_token: auth_time in the future or before the flow began")
	case cl.Nonce == "" || !equal(cl.Nonce, flow.Nonce):
		return jwtClaims{}, fail(ErrNonce, "id_token: nonce missing or not the flow's")
	case cl.ACR != ACR:
		return jwtClaims{}, fail(ErrACR, "id_token: acr %.50q, want %s", cl.ACR, ACR)
	case !identity.ValidSub(cl.Subject):
		return jwtClaims{}, fail(ErrSubject, "id_token: sub missing or malformed")
	case cl.ATHash != "" && !equal(cl.ATHash, atHash(t.AccessToken)):
		return jwtClaims{}, fail(ErrSignature, "id_token: at_hash does not match the access token")
	}
	if err := c.checkAudience("id_token", cl); err != nil {
		return jwtClaims{}, err
	}
	return cl, nil
}
