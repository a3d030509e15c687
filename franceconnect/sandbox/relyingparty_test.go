package sandbox_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"procura/franceconnect/sandbox"
)

// This file is a relying party built on go-oidc and x/oauth2, independent of
// the provider, driving it over real HTTP as a FranceConnect client would.

const (
	clientID       = "service-de-test"
	clientSecret   = "secret-du-service-de-test"
	redirectURI    = "https://service.example/franceconnect/callback?from=fc"
	postLogoutURI  = "https://service.example/franceconnect/logged-out"
	otherClientID  = "autre-service"
	otherSecret    = "secret-de-l-autre-service"
	otherRedirect  = "https://autre.example/callback"
	testNonce      = "nonce-of-at-least-22-characters"
	testState      = "state-9ed67ae42fdc5d0a6867a5425a284745"
	allFCScopesStr = "openid given_name family_name birthdate gender birthplace birthcountry email preferred_username"
)

var allFCScopes = strings.Fields(allFCScopesStr)

// clock is the provider's controlled time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// rp is one running provider and a relying party pointed at it.
type rp struct {
	t        *testing.T
	srv      *httptest.Server
	issuer   string
	clock    *clock
	ctx      context.Context
	provider *oidc.Provider
	oauth    oauth2.Config
	browser  *http.Client // follows no redirect: each hop is checked
}

type setup struct {
	prefix string // mount path inside the test server, "" for the root
	config func(*sandbox.Config)
}

func newRP(t *testing.T, s setup) *rp {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	clk := &clock{now: time.Now().Truncate(time.Second)}
	cfg := sandbox.Config{
		Issuer: srv.URL + s.prefix + sandbox.IssuerPath,
		Clients: []sandbox.Client{
			{ID: clientID, Secret: clientSecret, RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{postLogoutURI}},
			{ID: otherClientID, Secret: otherSecret, RedirectURIs: []string{otherRedirect}},
		},
		Now: clk.Now,
	}
	if s.config != nil {
		s.config(&cfg)
	}
	p, err := sandbox.New(cfg)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	if got := p.MountPath(); got != s.prefix {
		t.Fatalf("MountPath() = %q, want %q", got, s.prefix)
	}
	if s.prefix == "" {
		handler = p
	} else {
		mux := http.NewServeMux()
		mux.Handle(s.prefix+"/", http.StripPrefix(s.prefix, p))
		handler = mux
	}
	ctx := oidc.ClientContext(context.Background(), srv.Client())
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInParams // client_secret_post
	browser := *srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &rp{
		t: t, srv: srv, issuer: cfg.Issuer, clock: clk, ctx: ctx, provider: provider, browser: &browser,
		oauth: oauth2.Config{
			ClientID: clientID, ClientSecret: clientSecret, Endpoint: endpoint,
			RedirectURL: redirectURI, Scopes: allFCScopes,
		},
	}
}

// authorizeURL is what the relying party sends the browser to, with the
// parameters FranceConnect requires; extra ones are added or replace them.
func (r *rp) authorizeURL(extra ...oauth2.AuthCodeOption) string {
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(testNonce), oauth2.SetAuthURLParam("acr_values", "eidas1")}, extra...)
	return r.oauth.AuthCodeURL(testState, opts...)
}

// response is an HTTP answer with its body read.
type response struct {
	*http.Response
	body string
}

func (r *rp) do(req *http.Request) response {
	r.t.Helper()
	res, err := r.browser.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return response{res, string(body)}
}

func (r *rp) get(u string) response {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.do(req)
}

func (r *rp) postForm(u string, form url.Values) response {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r.do(req)
}

// identityPage is the page listing the test identities, as parsed.
type identityPage struct {
	action, abort string
	identities    []string
	body          string
}

var (
	chooseAction = regexp.MustCompile(`<form method="post" action="([^"]*/identity)">`)
	abortAction  = regexp.MustCompile(`<form method="post" action="([^"]*/abort)">`)
	identityBtn  = regexp.MustCompile(`name="identity" value="([^"]+)"`)
)

func (r *rp) openIdentityPage(authorizeURL string) identityPage {
	r.t.Helper()
	res := r.get(authorizeURL)
	if res.StatusCode != http.StatusOK {
		r.t.Fatalf("authorize: status %d, want 200; Location %q; body %s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	page := identityPage{body: res.body}
	if m := chooseAction.FindStringSubmatch(res.body); m != nil {
		page.action = html.UnescapeString(m[1])
	}
	if m := abortAction.FindStringSubmatch(res.body); m != nil {
		page.abort = html.UnescapeString(m[1])
	}
	for _, m := range identityBtn.FindAllStringSubmatch(res.body, -1) {
		page.identities = append(page.identities, html.UnescapeString(m[1]))
	}
	if page.action == "" || page.abort == "" || len(page.identities) == 0 {
		r.t.Fatalf("identity page lacks its forms:\n%s", res.body)
	}
	return page
}

// callback is where the provider sent the browser back: the redirect URI
// and its query.
func (r *rp) callback(res response, wantBase string) url.Values {
	r.t.Helper()
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		r.t.Fatalf("status %d, want a redirect; body %s", res.StatusCode, res.body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		r.t.Fatal(err)
	}
	q := loc.Query()
	base := *loc
	base.RawQuery = ""
	want, _ := url.Parse(wantBase)
	wantQuery := want.Query()
	want.RawQuery = ""
	if base.String() != want.String() {
		r.t.Fatalf("redirected to %s, want %s", loc, wantBase)
	}
	for k := range wantQuery { // the redirect URI's own query is kept
		if q.Get(k) != wantQuery.Get(k) {
			r.t.Fatalf("redirect lost its query parameter %s: %s", k, loc)
		}
	}
	return q
}

// login runs authorize and the identity choice; it returns the code.
func (r *rp) login(identity string, extra ...oauth2.AuthCodeOption) string {
	r.t.Helper()
	page := r.openIdentityPage(r.authorizeURL(extra...))
	q := r.callback(r.postForm(page.action, url.Values{"identity": {identity}}), redirectURI)
	if q.Get("state") != testState {
		r.t.Fatalf("state = %q, want %q", q.Get("state"), testState)
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		r.t.Fatalf("callback without code: %v", q)
	}
	return q.Get("code")
}

func (r *rp) exchange(code string) (*oauth2.Token, error) {
	return r.oauth.Exchange(r.ctx, code)
}

// verifyIDToken checks the ID token as a relying party must: signature
// against the JWKS, iss, aud, exp, then nonce and at_hash.
func (r *rp) verifyIDToken(tok *oauth2.Token) *oidc.IDToken {
	r.t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		r.t.Fatal("token response without id_token")
	}
	idt, err := r.verifier().Verify(r.ctx, raw)
	if err != nil {
		r.t.Fatalf("id_token: %v", err)
	}
	if idt.Nonce != testNonce {
		r.t.Fatalf("nonce = %q, want %q", idt.Nonce, testNonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		r.t.Fatalf("at_hash: %v", err)
	}
	return idt
}

func (r *rp) verifier() *oidc.IDTokenVerifier {
	return r.provider.Verifier(&oidc.Config{ClientID: clientID, Now: r.clock.Now})
}

// userinfo fetches userinfo and verifies the JWT against the JWKS, as an
// ID token (iss, aud, exp, signature); it returns its claims.
func (r *rp) userinfo(accessToken string) map[string]any {
	r.t.Helper()
	res := r.userinfoResponse(accessToken)
	if res.StatusCode != http.StatusOK {
		r.t.Fatalf("userinfo: status %d: %s", res.StatusCode, res.body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/jwt" {
		r.t.Fatalf("userinfo Content-Type = %q, want application/jwt", ct)
	}
	tok, err := r.verifier().Verify(r.ctx, res.body)
	if err != nil {
		r.t.Fatalf("userinfo JWT: %v", err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		r.t.Fatal(err)
	}
	// go-oidc's own UserInfo checks the signature of application/jwt answers.
	ui, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken, TokenType: "Bearer"}))
	if err != nil {
		r.t.Fatalf("go-oidc UserInfo: %v", err)
	}
	if ui.Subject != claims["sub"] {
		r.t.Fatalf("go-oidc UserInfo sub = %q, want %q", ui.Subject, claims["sub"])
	}
	return claims
}

func (r *rp) userinfoResponse(accessToken string) response {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.discoveryString("userinfo_endpoint"), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	return r.do(req)
}

func (r *rp) discoveryString(name string) string {
	r.t.Helper()
	var all map[string]any
	if err := r.provider.Claims(&all); err != nil {
		r.t.Fatal(err)
	}
	s, _ := all[name].(string)
	if s == "" {
		r.t.Fatalf("discovery has no %s", name)
	}
	return s
}

// tokenErrorCode returns the OAuth error code of a failed exchange.
func tokenErrorCode(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("exchange error %v is not an OAuth error answer", err)
	}
	return re.ErrorCode
}
