package demoservice_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"procura/demoservice"
)

// newDemo serves a demo service signing in with op, under prefix ("" for
// the root), and returns its base URL.
func newDemo(t *testing.T, op *fakeOP, prefix string, edit ...func(*demoservice.Config)) string {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := demoservice.Config{
		Issuer:       op.issuer(),
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		BaseURL:      srv.URL + prefix,
		Logger:       slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	for _, f := range edit {
		f(&cfg)
	}
	svc, err := demoservice.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := svc.RedirectURI(), srv.URL+prefix+"/callback"; got != want {
		t.Errorf("RedirectURI() = %q, want %q", got, want)
	}
	if got, want := svc.PostLogoutRedirectURI(), srv.URL+prefix+"/deconnecte"; got != want {
		t.Errorf("PostLogoutRedirectURI() = %q, want %q", got, want)
	}
	if prefix == "" {
		mux.Handle("/", svc)
	} else {
		mux.Handle(prefix+"/", http.StripPrefix(prefix, svc))
	}
	return srv.URL + prefix
}

// browser follows redirects itself, across the demo service and the OP,
// and keeps cookies.
type browser struct {
	t      *testing.T
	client *http.Client
}

type page struct {
	status   int
	url      string // the URL that answered
	location string
	header   http.Header
	body     string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends one request, without following a redirect.
func (b *browser) do(method, target string) page {
	b.t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{status: resp.StatusCode, url: target, header: resp.Header, body: string(body)}
	if loc, err := resp.Location(); err == nil {
		p.location = loc.String()
	}
	return p
}

// walk sends a request and follows redirects with GET to the last page.
func (b *browser) walk(method, target string) page {
	b.t.Helper()
	p := b.do(method, target)
	for range 10 {
		if p.location == "" {
			return p
		}
		p = b.do(http.MethodGet, p.location)
	}
	b.t.Fatalf("too many redirects, last %s", p.url)
	return p
}

func wantPage(t *testing.T, p page, status int, fragments ...string) {
	t.Helper()
	if p.status != status {
		t.Errorf("%s: status %d, want %d\n%s", p.url, p.status, status, p.body)
	}
	for _, f := range fragments {
		if !strings.Contains(p.body, f) {
			t.Errorf("%s: page lacks %q\n%s", p.url, f, p.body)
		}
	}
}

// wantStyleAllowed checks that the CSP allows the page's inline style sheet
// by its hash, and nothing else: no script.
func wantStyleAllowed(t *testing.T, p page) {
	t.Helper()
	_, rest, _ := strings.Cut(p.body, "<style>")
	css, _, found := strings.Cut(rest, "</style>")
	sum := sha256.Sum256([]byte(css))
	want := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if csp := p.header.Get("Content-Security-Policy"); !found || !strings.HasPrefix(csp, want) || strings.Contains(csp, "script") {
		t.Errorf("CSP = %q, want it to start with %q", csp, want)
	}
}

func TestLoginShowsIdentityProcedureAndActor(t *testing.T) {
	for _, tc := range []struct {
		name       string
		jwt        bool
		wantFormat string
	}{
		{name: "userinfo JSON", wantFormat: "UserInfo (JSON)"},
		{name: "userinfo JWT", jwt: true, wantFormat: "JWT signé, ES256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := newFakeOP(t)
			op.set(func(op *fakeOP) { op.userinfoJWT = tc.jwt })
			base := newDemo(t, op, "")
			b := newBrowser(t)

			home := b.do(http.MethodGet, base+"/")
			wantPage(t, home, http.StatusOK, "Se connecter avec Procura", `href="/connexion"`, "social")
			wantStyleAllowed(t, home)

			p := b.walk(http.MethodGet, base+"/connexion")
			wantPage(t, p, http.StatusOK,
				"Démarche effectuée par un aidant habilité : identifiant <code>aidant-pairwise-42</code>, structure SIRET <code>13002526500013</code>",
				"Angela Claire Louise", "DUBOIS", "1962-08-24", "féminin", "75107", "99100", "angela.dubois@example.fr",
				"usager-pairwise-7", "Social-Santé", "<code>eidas1</code>", "<code>pwd</code>, <code>otp</code>", " UTC",
				tc.wantFormat, "Se déconnecter")
			if p.url != base+"/compte" {
				t.Errorf("signed in at %s, want %s/compte", p.url, base)
			}

			op.mu.Lock()
			q := op.authorizeQuery
			op.mu.Unlock()
			for name, want := range map[string]string{
				"response_type": "code", "client_id": testClientID, "redirect_uri": base + "/callback",
				"scope": "openid profile email birth", "acr_values": "eidas1", "code_challenge_method": "S256",
			} {
				if got := q.Get(name); got != want {
					t.Errorf("authorize %s = %q, want %q", name, got, want)
				}
			}
			for _, name := range []string{"state", "nonce", "code_challenge"} {
				if len(q.Get(name)) < 22 {
					t.Errorf("authorize %s = %q, want at least 22 characters", name, q.Get(name))
				}
			}
			var claims map[string]map[string]struct {
				Essential bool     `json:"essential"`
				Values    []string `json:"values"`
			}
			if err := json.Unmarshal([]byte(q.Get("claims")), &claims); err != nil {
				t.Fatalf("claims %q: %v", q.Get("claims"), err)
			}
			if rs := claims["id_token"]["rep_scope"]; !rs.Essential || len(rs.Values) != 1 || rs.Values[0] != "social" {
				t.Errorf("claims = %s", q.Get("claims"))
			}

			// The home page now points to the account.
			wantPage(t, b.do(http.MethodGet, base+"/"), http.StatusOK, "Voir ce que le service a reçu")
		})
	}
}

func TestProceduresRequestedAsConfigured(t *testing.T) {
	op := newFakeOP(t)
	base := newDemo(t, op, "", func(c *demoservice.Config) { c.Procedures = []string{"famille", " Logement ", ""} })
	b := newBrowser(t)
	b.walk(http.MethodGet, base+"/connexion")
	op.mu.Lock()
	got := op.authorizeQuery.Get("claims")
	op.mu.Unlock()
	if want := `{"id_token":{"rep_scope":{"essential":true,"values":["famille","Logement"]}}}`; got != want {
		t.Errorf("claims = %s, want %s", got, want)
	}
}

func TestLoginWithoutActorSaysSo(t *testing.T) {
	op := newFakeOP(t)
	op.set(func(op *fakeOP) { op.act = nil })
	base := newDemo(t, op, "")
	p := newBrowser(t).walk(http.MethodGet, base+"/connexion")
	wantPage(t, p, http.StatusOK, "Aucun aidant (act absent)", "Angela Claire Louise", "Social-Santé")
	if strings.Contains(p.body, "aidant habilité : identifiant") {
		t.Error("page names an aidant although act is absent")
	}
}

func TestCallbackWithWrongStateRefused(t *testing.T) {
	op := newFakeOP(t)
	base := newDemo(t, op, "")
	b := newBrowser(t)
	start := b.do(http.MethodGet, base+"/connexion")
	if start.status != http.StatusSeeOther || !strings.HasPrefix(start.location, op.issuer()+"/authorize?") {
		t.Fatalf("login: %d to %q", start.status, start.location)
	}

	wantPage(t, b.do(http.MethodGet, base+"/callback?code=stolen&state=not-the-state"), http.StatusBadRequest, "Réponse refusée")
	wantPage(t, b.do(http.MethodGet, base+"/callback?code=stolen"), http.StatusBadRequest, "Réponse refusée")
	// A stranger's browser, with no login in progress, gets nowhere either.
	wantPage(t, newBrowser(t).do(http.MethodGet, base+"/callback?code=stolen&state=x"), http.StatusBadRequest, "Connexion expirée ou inconnue")

	// The injected responses did not spoil the genuine one.
	wantPage(t, b.walk(http.MethodGet, start.location), http.StatusOK, "Angela Claire Louise")
}

func TestNonceMismatchRefused(t *testing.T) {
	op := newFakeOP(t)
	op.set(func(op *fakeOP) { op.wrongNonce = true })
	base := newDemo(t, op, "")
	b := newBrowser(t)
	p := b.walk(http.MethodGet, base+"/connexion")
	wantPage(t, p, http.StatusBadRequest, "Connexion refusée", "nonce")
	if strings.Contains(p.body, "Angela") {
		t.Error("identity shown after a refused ID token")
	}
	if p := b.do(http.MethodGet, base+"/compte"); p.status != http.StatusSeeOther {
		t.Errorf("after refusal, /compte = %d, want a redirect home", p.status)
	}
}

func TestBadUserinfoRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		knob func(op *fakeOP)
	}{
		{"JSON of another sub", func(op *fakeOP) { op.userinfoSub = "someone-else" }},
		{"JWT of another sub", func(op *fakeOP) { op.userinfoJWT, op.userinfoSub = true, "someone-else" }},
		{"JWT for another client", func(op *fakeOP) { op.userinfoJWT, op.userinfoAud = true, "another-service" }},
		{"JWT signed by a foreign key", func(op *fakeOP) { op.userinfoJWT, op.foreignKey = true, true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := newFakeOP(t)
			op.set(tc.knob)
			base := newDemo(t, op, "")
			p := newBrowser(t).walk(http.MethodGet, base+"/connexion")
			wantPage(t, p, http.StatusBadGateway, "Identité indisponible")
			if strings.Contains(p.body, "Angela") {
				t.Error("identity shown from a refused UserInfo")
			}
		})
	}
}

func TestProviderErrorShown(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"access_denied", "Accès refusé"},
		{"login_required", "Connexion requise"},
		{"server_error", "Réessayez dans quelques instants"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			op := newFakeOP(t)
			op.set(func(op *fakeOP) { op.denyWith = tc.code })
			base := newDemo(t, op, "")
			b := newBrowser(t)
			p := b.walk(http.MethodGet, base+"/connexion")
			wantPage(t, p, http.StatusBadRequest, tc.want, "<code>"+tc.code+"</code>", "aidant a annulé")
			// The login is over: replaying the response gets nowhere.
			wantPage(t, b.do(http.MethodGet, p.url), http.StatusBadRequest, "Connexion expirée ou inconnue")
		})
	}
}

func TestLogout(t *testing.T) {
	op := newFakeOP(t)
	base := newDemo(t, op, "")
	b := newBrowser(t)
	wantPage(t, b.walk(http.MethodGet, base+"/connexion"), http.StatusOK, "Se déconnecter")

	out := b.do(http.MethodPost, base+"/deconnexion")
	if out.status != http.StatusSeeOther || !strings.HasPrefix(out.location, op.issuer()+"/logout?") {
		t.Fatalf("logout: %d to %q", out.status, out.location)
	}
	to, _ := url.Parse(out.location)
	q := to.Query()
	op.mu.Lock()
	idToken := op.idTokens[len(op.idTokens)-1]
	op.mu.Unlock()
	if q.Get("id_token_hint") != idToken {
		t.Errorf("id_token_hint = %q, want the ID token issued", q.Get("id_token_hint"))
	}
	if q.Get("post_logout_redirect_uri") != base+"/deconnecte" || q.Get("client_id") != testClientID || len(q.Get("state")) < 22 {
		t.Errorf("end_session query = %v", q)
	}
	// Signed out of the service before Procura even answers.
	if p := b.do(http.MethodGet, base+"/compte"); p.status != http.StatusSeeOther {
		t.Errorf("/compte during logout = %d, want a redirect home", p.status)
	}

	wantPage(t, b.walk(http.MethodGet, out.location), http.StatusOK, "Vous êtes déconnecté")
	// The logout is over: coming back again is refused.
	wantPage(t, b.do(http.MethodGet, base+"/deconnecte?state="+q.Get("state")), http.StatusBadRequest, "Déconnexion inconnue")
}

func TestLogoutReturnWithWrongStateRefused(t *testing.T) {
	op := newFakeOP(t)
	op.set(func(op *fakeOP) { op.logoutState = "forged-state-forged-state-forged" })
	base := newDemo(t, op, "")
	b := newBrowser(t)
	b.walk(http.MethodGet, base+"/connexion")
	p := b.walk(http.MethodPost, base+"/deconnexion")
	wantPage(t, p, http.StatusBadRequest, "Retour de déconnexion refusé")
	if strings.Contains(p.body, "Vous êtes déconnecté") {
		t.Error("wrong state accepted")
	}
}

func TestLogoutWithoutSessionGoesHome(t *testing.T) {
	op := newFakeOP(t)
	base := newDemo(t, op, "")
	p := newBrowser(t).do(http.MethodPost, base+"/deconnexion")
	if p.status != http.StatusSeeOther || p.location != base+"/" {
		t.Errorf("logout without session: %d to %q", p.status, p.location)
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	op := newFakeOP(t)
	base := newDemo(t, op, "/demo-service")
	b := newBrowser(t)
	wantPage(t, b.do(http.MethodGet, base+"/"), http.StatusOK, `href="/demo-service/connexion"`)

	p := b.walk(http.MethodGet, base+"/connexion")
	wantPage(t, p, http.StatusOK, "Angela Claire Louise", `action="/demo-service/deconnexion"`)
	if p.url != base+"/compte" {
		t.Errorf("signed in at %s", p.url)
	}
	op.mu.Lock()
	redirect := op.authorizeQuery.Get("redirect_uri")
	op.mu.Unlock()
	if redirect != base+"/callback" {
		t.Errorf("redirect_uri = %q", redirect)
	}
	wantPage(t, b.walk(http.MethodPost, base+"/deconnexion"), http.StatusOK, "Vous êtes déconnecté")
	// Nothing is served outside the prefix.
	if p := b.do(http.MethodGet, strings.TrimSuffix(base, "/demo-service")+"/connexion"); p.status != http.StatusNotFound {
		t.Errorf("outside the prefix: %d", p.status)
	}
}

func TestDiscoveryIsLazyAndRetried(t *testing.T) {
	op := newFakeOP(t)
	op.set(func(op *fakeOP) { op.down = true })
	base := newDemo(t, op, "")
	op.mu.Lock()
	calls := op.requests
	op.mu.Unlock()
	if calls != 0 {
		t.Errorf("New made %d requests to the provider, want none", calls)
	}
	b := newBrowser(t)
	wantPage(t, b.do(http.MethodGet, base+"/"), http.StatusOK, "Se connecter avec Procura")
	wantPage(t, b.walk(http.MethodGet, base+"/connexion"), http.StatusServiceUnavailable, "Procura est injoignable")

	op.set(func(op *fakeOP) { op.down = false })
	wantPage(t, b.walk(http.MethodGet, base+"/connexion"), http.StatusOK, "Angela Claire Louise")
}

func TestUnknownPage(t *testing.T) {
	base := newDemo(t, newFakeOP(t), "")
	wantPage(t, newBrowser(t).do(http.MethodGet, base+"/nulle-part"), http.StatusNotFound, "Page introuvable")
	if p := newBrowser(t).do(http.MethodDelete, base+"/compte"); p.status != http.StatusMethodNotAllowed && p.status != http.StatusNotFound {
		t.Errorf("DELETE /compte = %d", p.status)
	}
}

func TestNewChecksConfig(t *testing.T) {
	good := demoservice.Config{Issuer: "http://op.test", ClientID: "c", ClientSecret: "s", BaseURL: "http://rp.test"}
	for _, tc := range []struct {
		name string
		edit func(*demoservice.Config)
	}{
		{"no issuer", func(c *demoservice.Config) { c.Issuer = "" }},
		{"no client id", func(c *demoservice.Config) { c.ClientID = "" }},
		{"no secret", func(c *demoservice.Config) { c.ClientSecret = "" }},
		{"relative base URL", func(c *demoservice.Config) { c.BaseURL = "/demo" }},
		{"base URL with query", func(c *demoservice.Config) { c.BaseURL = "http://rp.test/?a=b" }},
		{"short cookie key", func(c *demoservice.Config) { c.CookieKey = []byte("short") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			if _, err := demoservice.New(cfg); err == nil {
				t.Error("accepted")
			}
		})
	}
	svc, err := demoservice.New(good)
	if err != nil {
		t.Fatal(err)
	}
	if svc.RedirectURI() != "http://rp.test/callback" {
		t.Errorf("RedirectURI() = %q", svc.RedirectURI())
	}
}
