package authz

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"procura/audit"
	"procura/db"
	"procura/keyring"
	"procura/problem"
)

// The tests below drive the provider over real HTTP, as a service would,
// with an independent client library (go-oidc and x/oauth2), against the
// real store, journal and keyring on PostgreSQL and SQLite. Only the two
// interfaces implemented elsewhere (PermissionChecker, UsagerClaims) are
// fakes, and a tiny "web layer" stands in for the aidant's pages.

// fakePermissions refuses the permissions a test names.
type fakePermissions struct {
	mu      sync.Mutex
	refused map[string]error
	calls   int
}

func (f *fakePermissions) CheckPermission(ctx context.Context, d Delegation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if !db.InTransaction(ctx) {
		return errors.New("fake: CheckPermission called outside the step's transaction")
	}
	if d.PermissionID == "" || d.UsagerID == "" || d.AidantID == "" {
		return problem.New(problem.Invalid, "Délégation incomplète.")
	}
	return f.refused[d.PermissionID]
}

// ResolvePermission resolves nothing: these tests grant a delegation they
// build (Grant); Choose is tested through the web layer.
func (f *fakePermissions) ResolvePermission(context.Context, string, string, string) (Delegation, error) {
	return Delegation{}, problem.New(problem.NotFound, "Autorisation introuvable.")
}

func (f *fakePermissions) Offer(context.Context, string, string, []string, string) (Offer, error) {
	return Offer{}, nil
}

func (f *fakePermissions) refuse(permissionID string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused[permissionID] = err
}

// fakeUsagers holds identities by usager id.
type fakeUsagers struct {
	mu  sync.Mutex
	ids map[string]Identity
}

func (f *fakeUsagers) UsagerIdentity(_ context.Context, id string) (Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.ids[id]
	if !ok {
		return Identity{}, problem.New(problem.NotFound, "Usager inconnu.")
	}
	return i, nil
}

// testOP is a provider served over HTTP with a stand-in web layer.
type testOP struct {
	t       testing.TB
	db      *db.DB
	store   *Store
	journal *audit.Journal
	keyring *keyring.Keyring
	p       *Provider
	srv     *httptest.Server
	perms   *fakePermissions
	usagers *fakeUsagers

	mu sync.Mutex
	// What the stand-in web layer does: whether an aidant is signed in,
	// when they authenticated, the delegation they choose, and whether
	// it re-authenticates them when the request asks for it.
	signedIn   bool
	authTime   time.Time
	delegation Delegation
	procedure  string
	noReauth   bool
	pending    map[string]PendingAuthorize
	lastLogout *LogoutRequest
}

var testMasterKey = bytes.Repeat([]byte{7}, 32)

func newTestOP(t testing.TB, d *db.DB) *testOP {
	t.Helper()
	ctx := context.Background()
	op := &testOP{
		t: t, db: d, store: NewStore(d, time.Now), journal: audit.New(d, time.Now),
		perms:    &fakePermissions{refused: map[string]error{}},
		usagers:  &fakeUsagers{ids: map[string]Identity{}},
		signedIn: true, authTime: time.Now().Add(-2 * time.Minute),
		pending: map[string]PendingAuthorize{},
	}
	var err error
	if op.keyring, err = keyring.New(d, op.journal, testMasterKey, time.Now); err != nil {
		t.Fatal(err)
	}
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256} {
		if _, err := op.keyring.Ensure(ctx, keyring.PurposeOIDC, alg); err != nil {
			t.Fatalf("keyring: %v", err)
		}
	}
	mux := http.NewServeMux()
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	op.p, err = NewProvider(ProviderConfig{
		Issuer: op.srv.URL, Store: op.store, Keys: KeyringKeys(op.keyring), Journal: op.journal, DB: d,
		Permissions: op.perms, Usagers: op.usagers,
		PairwiseKey: bytes.Repeat([]byte{1}, 32), TokenKey: bytes.Repeat([]byte{2}, 32),
	})
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	op.p.Register(mux)
	mux.HandleFunc("GET "+PathAuthorize, op.handleAuthorize)
	mux.HandleFunc("POST "+PathAuthorize, op.handleAuthorize)
	mux.HandleFunc("GET /choix", op.handleChoice)
	mux.HandleFunc("GET "+PathLogout, op.handleLogout)
	op.delegation = op.newDelegation(t)
	return op
}

// newDelegation returns a delegation with fresh ids, and the usager's
// identity.
func (op *testOP) newDelegation(t testing.TB) Delegation {
	d := Delegation{
		AidantID: randomID(t, "aidant-"), UsagerID: randomID(t, "usager-"), OrganisationID: randomID(t, "org-"),
		OrganisationSIRET: "13002526500013", PermissionID: randomID(t, "perm-"), MandateID: randomID(t, "mandate-"),
		AMR: []string{"pwd", "otp", "mfa"}, SessionID: randomID(t, "sid-"),
	}
	op.usagers.mu.Lock()
	op.usagers.ids[d.UsagerID] = Identity{
		GivenName: "Angela Claire Louise", FamilyName: "DUBOIS", Birthdate: "1962-08-24", Gender: "female",
		Birthplace: "75107", Birthcountry: "99100", Email: "angela.dubois@example.fr",
	}
	op.usagers.mu.Unlock()
	return d
}

// page answers like the web layer's French error page.
func page(w http.ResponseWriter, status int, err error) {
	http.Error(w, "page: "+problem.MessageOf(err), status)
}

func (op *testOP) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ar, err := op.p.ParseAuthorize(r.Context(), r)
	if err != nil {
		if ar != nil {
			op.p.WriteAuthorizeError(w, r, ar, err)
			return
		}
		page(w, http.StatusBadRequest, err)
		return
	}
	op.mu.Lock()
	signedIn := op.signedIn
	op.mu.Unlock()
	if ar.PromptNone() {
		if !signedIn {
			op.p.LoginRequired(w, r, ar)
		} else {
			op.p.InteractionRequired(w, r, ar)
		}
		return
	}
	// The pages in between: the pending request waits in the session.
	id := randomID(op.t, "")
	op.mu.Lock()
	op.pending[id] = ar.Pending()
	op.mu.Unlock()
	http.Redirect(w, r, "/choix?id="+id, http.StatusSeeOther)
}

func (op *testOP) handleChoice(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	pending, ok := op.pending[r.URL.Query().Get("id")]
	d, procedure, noReauth, authTime := op.delegation, op.procedure, op.noReauth, op.authTime
	op.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	ar, err := op.p.ResumeAuthorize(r.Context(), pending)
	if err != nil {
		if ar != nil {
			op.p.WriteAuthorizeError(w, r, ar, err)
			return
		}
		page(w, http.StatusBadRequest, err)
		return
	}
	d.AuthTime = authTime
	if ar.NeedsAuthentication(d.AuthTime) && !noReauth {
		d.AuthTime = time.Now() // the aidant signs in again
	}
	d.Procedure = procedure
	if d.Procedure == "" {
		d.Procedure = ar.RequestedProcedures[0]
	}
	if err := op.p.Grant(r.Context(), w, r, ar, d); err != nil {
		page(w, http.StatusForbidden, err)
	}
}

func (op *testOP) handleLogout(w http.ResponseWriter, r *http.Request) {
	lr, err := op.p.ParseLogout(r.Context(), r)
	if err != nil {
		page(w, http.StatusBadRequest, err)
		return
	}
	op.mu.Lock()
	op.lastLogout = lr
	op.mu.Unlock()
	if lr.RedirectURI != "" {
		http.Redirect(w, r, lr.RedirectURI, http.StatusSeeOther)
		return
	}
	_, _ = io.WriteString(w, "Vous êtes déconnecté.")
}

// browse follows redirects while they stay on the provider, like a browser
// on Procura's pages, and returns the first answer that leaves it or is
// not a redirect.
func (op *testOP) browse(t *testing.T, rawURL string) *http.Response {
	t.Helper()
	host := op.srv.Listener.Addr().String()
	client := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// callback returns the query the service's redirect URI receives, and
// fails unless the provider redirected there.
func callback(t *testing.T, resp *http.Response, redirectURI string) url.Values {
	t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, redirectURI+"?") {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("authorize: got %d to %q (%s), want a redirect to %s", resp.StatusCode, loc, body, redirectURI)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// entries returns the audit entries of an organisation with action.
func (op *testOP) entries(t *testing.T, org string, action audit.Action) []audit.Entry {
	t.Helper()
	es, err := op.journal.List(context.Background(), audit.Filter{OrganisationID: org, Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// testRP is a service: a registered client and its OIDC client library.
type testRP struct {
	op       *testOP
	client   *Client
	secret   string
	ctx      context.Context
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	conf     *oauth2.Config
	// assertionKey signs the private_key_jwt assertions.
	assertionKey *ecdsa.PrivateKey
}

// newRP registers a client from reg (defaults filled in) and discovers
// the provider with go-oidc.
func (op *testOP) newRP(t testing.TB, reg ClientRegistration) *testRP {
	t.Helper()
	base := "https://" + randomID(t, "service-") + ".example"
	if reg.Name == "" {
		reg.Name = "Service de test"
	}
	if reg.RedirectURIs == nil {
		reg.RedirectURIs = []string{base + "/callback"}
	}
	if reg.PostLogoutRedirectURIs == nil {
		reg.PostLogoutRedirectURIs = []string{base + "/deconnecte"}
	}
	if reg.Procedures == nil {
		reg.Procedures = []string{"social", "famille", "logement"}
	}
	rp := &testRP{op: op}
	if reg.TokenEndpointAuthMethod == AuthMethodPrivateKeyJWT {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rp.assertionKey = k
		b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "rp-key", Algorithm: "ES256", Use: "sig"}}})
		reg.JWKS, reg.TokenEndpointAuthSigningAlg = string(b), AlgES256
	}
	c, secret, err := op.store.CreateClient(context.Background(), reg)
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	rp.client, rp.secret = c, secret
	rp.ctx = oidc.ClientContext(context.Background(), op.srv.Client())
	if rp.provider, err = oidc.NewProvider(rp.ctx, op.srv.URL); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	rp.verifier = rp.provider.Verifier(&oidc.Config{ClientID: c.ID})
	endpoint := rp.provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if c.TokenEndpointAuthMethod != AuthMethodSecretBasic {
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	rp.conf = &oauth2.Config{
		ClientID: c.ID, ClientSecret: secret, Endpoint: endpoint, RedirectURL: c.RedirectURIs[0],
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}
	return rp
}

// flow is one authorization request of a service, with its secrets.
type flow struct {
	state, nonce, verifier string
}

func newFlow(t testing.TB) flow {
	return flow{state: randomID(t, "state-"), nonce: randomID(t, "nonce-0123456789-"), verifier: oauth2.GenerateVerifier()}
}

// authURL is the authorization request of f, with PKCE unless the options
// say otherwise.
func (rp *testRP) authURL(f flow, opts ...oauth2.AuthCodeOption) string {
	all := []oauth2.AuthCodeOption{oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}
	return rp.conf.AuthCodeURL(f.state, append(all, opts...)...)
}

// code runs the authorization of f to the callback and returns the code.
func (rp *testRP) code(t *testing.T, f flow, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	q := callback(t, rp.op.browse(t, rp.authURL(f, opts...)), rp.conf.RedirectURL)
	if q.Get("error") != "" || q.Get("state") != f.state || q.Get("code") == "" {
		t.Fatalf("authorize: got callback %v", q)
	}
	return q.Get("code")
}

// exchangeOptions are the token request's client-side options: the
// verifier, and a fresh client assertion for a private_key_jwt client.
func (rp *testRP) exchangeOptions(t *testing.T, verifier string) []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	if rp.assertionKey != nil {
		opts = append(opts, rp.assertion(t, randomID(t, "jti-"))...)
	}
	return opts
}

// assertion returns the parameters of a private_key_jwt client assertion
// with jti.
func (rp *testRP) assertion(t *testing.T, jti string) []oauth2.AuthCodeOption {
	t.Helper()
	return []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
		oauth2.SetAuthURLParam("client_assertion", rp.assertionJWT(t, jti)),
	}
}

// assertionJWT is a client assertion (RFC 7523 §3) with jti, its audience
// the issuer, as most client libraries send it.
func (rp *testRP) assertionJWT(t testing.TB, jti string) string {
	t.Helper()
	return rp.assertionJWTWith(t, jti, nil)
}

// assertionJWTWith is assertionJWT with its claims changed by edit.
func (rp *testRP) assertionJWTWith(t testing.TB, jti string, edit func(claims map[string]any)) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: rp.assertionKey, KeyID: "rp-key"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := map[string]any{
		"iss": rp.client.ID, "sub": rp.client.ID, "aud": rp.op.srv.URL, "jti": jti,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	}
	if edit != nil {
		edit(claims)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return compact
}

// login runs a whole code flow and returns the tokens and the verified ID
// token.
func (rp *testRP) login(t *testing.T, opts ...oauth2.AuthCodeOption) (*oauth2.Token, *oidc.IDToken, flow) {
	t.Helper()
	f := newFlow(t)
	code := rp.code(t, f, opts...)
	tok, err := rp.conf.Exchange(rp.ctx, code, rp.exchangeOptions(t, f.verifier)...)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok, rp.verifyIDToken(t, tok, f.nonce), f
}

func (rp *testRP) verifyIDToken(t *testing.T, tok *oauth2.Token, nonce string) *oidc.IDToken {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.verifier.Verify(rp.ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Errorf("nonce: got %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	return idt
}

// idTokenClaims are the claims the tests read.
type testIDClaims struct {
	Sub      string            `json:"sub"`
	Aud      string            `json:"aud"`
	ACR      string            `json:"acr"`
	AMR      []string          `json:"amr"`
	AuthTime int64             `json:"auth_time"`
	RepScope []string          `json:"rep_scope"`
	Act      map[string]string `json:"act"`
	SID      string            `json:"sid"`
}

func claimsOf(t *testing.T, idt *oidc.IDToken) testIDClaims {
	t.Helper()
	var c testIDClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// retrieveError returns the OAuth error code of a failed token request.
func retrieveError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// userinfoRaw calls UserInfo with token and returns the answer.
func (op *testOP) userinfoRaw(t *testing.T, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", op.srv.URL+PathUserinfo, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := op.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// postForm posts form to path with HTTP basic credentials (when id is
// set) and decodes the JSON answer into out (when set).
func (op *testOP) postForm(t *testing.T, path, id, secret string, form url.Values, out any) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", op.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := op.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("POST %s: %d %s: %v", path, resp.StatusCode, body, err)
		}
	}
	return resp
}
