package journey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Service is a confidential service (client_secret_basic) that starts
// delegated logins at Procura and, over its own back channel, redeems
// their codes and reads UserInfo. It checks what the load needs checked
// (state, audience, nonce), not signatures: the end-to-end tests verify
// tokens with independent OIDC libraries.
type Service struct {
	// BaseURL is Procura's (the issuer).
	BaseURL                       string
	ClientID, Secret, RedirectURI string
	// Client is the back channel; it must not follow redirects.
	Client *http.Client
}

// Request is one authorization request's secrets.
type Request struct {
	State, Nonce, Verifier string
}

// NewRequest draws a request's state, nonce (≥ 22 characters, as
// FranceConnect requires) and PKCE verifier.
func NewRequest() Request {
	return Request{State: random(16), Nonce: random(24), Verifier: random(32)}
}

// random is n random bytes, base64url.
func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthorizeURL is r's authorization request: code flow, PKCE S256, nonce,
// scope openid profile email birth, and extra parameters (acr_values, a
// claims request for rep_scope…).
func (s *Service) AuthorizeURL(r Request, extra url.Values) string {
	challenge := sha256.Sum256([]byte(r.Verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {s.ClientID}, "redirect_uri": {s.RedirectURI},
		"scope": {"openid profile email birth"}, "state": {r.State}, "nonce": {r.Nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(challenge[:])}, "code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return strings.TrimRight(s.BaseURL, "/") + "/oidc/authorize?" + q.Encode()
}

// Step is one step of a complete delegated login.
type Step int

const (
	StepAuthorize Step = iota
	StepChoicePage
	StepChoicePost
	StepToken
	StepUserinfo
	Steps // how many
)

var stepNames = [Steps]string{"authorize", "choice page", "choice post", "token", "userinfo"}

func (s Step) String() string { return stepNames[s] }

// Timings are the durations of one login's steps.
type Timings [Steps]time.Duration

// Login runs one complete delegated login of the aidant signed in b:
// authorize, the choice page, the choice of the permission pick returns
// among those offered, the token exchange and UserInfo. extra adds to the
// authorization request; times, when not nil, receives each step's
// duration. Errors are *Error, their Step one of the Step names.
func (s *Service) Login(ctx context.Context, b *Browser, extra url.Values, pick func(*Choice) (string, error), times *Timings) (*Tokens, error) {
	if times == nil {
		times = new(Timings)
	}
	r := NewRequest()

	// The service sends the aidant to the authorization endpoint…
	start := time.Now()
	p, err := b.Get(ctx, s.AuthorizeURL(r, extra))
	times[StepAuthorize] = time.Since(start)
	if err != nil {
		return nil, &Error{Step: StepAuthorize.String(), Err: err}
	}
	next, err := p.Next()
	if !p.Redirect() || err != nil || !b.OnProcura(next) {
		return nil, unexpected(StepAuthorize.String(), p)
	}

	// … who sees the choice…
	start = time.Now()
	choice, err := b.OpenChoice(ctx, next.String())
	times[StepChoicePage] = time.Since(start)
	if err != nil {
		return nil, err
	}
	permissionID, err := pick(choice)
	if err != nil {
		return nil, &Error{Step: StepChoicePage.String(), Status: choice.Page.Status, Err: err}
	}

	// … and picks a usager and a procedure.
	start = time.Now()
	callback, err := b.Choose(ctx, choice, permissionID)
	times[StepChoicePost] = time.Since(start)
	if err != nil {
		return nil, err
	}
	code := callback.Query().Get("code")
	if !strings.HasPrefix(callback.String(), s.RedirectURI+"?") || callback.Query().Get("state") != r.State || code == "" {
		return nil, &Error{Step: StepChoicePost.String(), Err: fmt.Errorf("callback %s: want %s with a code and the state", callback, s.RedirectURI)}
	}

	// The service redeems the code…
	start = time.Now()
	tok, err := s.Exchange(ctx, code, r)
	times[StepToken] = time.Since(start)
	if err != nil {
		return nil, err
	}

	// … and reads UserInfo.
	start = time.Now()
	_, err = s.UserInfo(ctx, tok.AccessToken)
	times[StepUserinfo] = time.Since(start)
	return tok, err
}

// Tokens is the token endpoint's answer (RFC 6749 §5.1).
type Tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
}

// Exchange redeems code with r's PKCE verifier, and checks the ID token's
// audience and nonce (OpenID Connect Core 1.0 §3.1.3.7; its signature is
// the service's business and CPU, not checked here).
func (s *Service) Exchange(ctx context.Context, code string, r Request) (*Tokens, error) {
	step := StepToken.String()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {s.RedirectURI}, "code_verifier": {r.Verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+"/oidc/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Step: step, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// RFC 6749 §2.3.1: the credentials are form-encoded before Basic.
	req.SetBasicAuth(url.QueryEscape(s.ClientID), url.QueryEscape(s.Secret))
	p, err := send(s.Client, req)
	if err != nil {
		return nil, &Error{Step: step, Err: err}
	}
	var tok Tokens
	if p.Status != http.StatusOK || json.Unmarshal([]byte(p.Body), &tok) != nil || tok.AccessToken == "" {
		return nil, &Error{Step: step, Status: p.Status, Text: cut(collapse(p.Body), 300)}
	}
	if err := checkIDToken(tok.IDToken, s.ClientID, r.Nonce); err != nil {
		return nil, &Error{Step: step, Status: p.Status, Err: err}
	}
	return &tok, nil
}

// UserInfo reads the UserInfo endpoint (JSON) with accessToken and
// returns the subject.
func (s *Service) UserInfo(ctx context.Context, accessToken string) (sub string, err error) {
	step := StepUserinfo.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(s.BaseURL, "/")+"/oidc/userinfo", nil)
	if err != nil {
		return "", &Error{Step: step, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	p, err := send(s.Client, req)
	if err != nil {
		return "", &Error{Step: step, Err: err}
	}
	var info struct {
		Sub string `json:"sub"`
	}
	if p.Status != http.StatusOK || json.Unmarshal([]byte(p.Body), &info) != nil || info.Sub == "" {
		return "", &Error{Step: step, Status: p.Status, Text: cut(collapse(p.Body), 300)}
	}
	return info.Sub, nil
}

// checkIDToken checks the audience and nonce of a compact JWS ID token.
func checkIDToken(raw, clientID, nonce string) error {
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
		aud = v == clientID
	case []any:
		aud = slices.Contains(v, any(clientID))
	}
	if !aud || c.Nonce != nonce {
		return fmt.Errorf("id_token for another audience or nonce")
	}
	return nil
}
