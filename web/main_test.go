package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"procura/account"
	"procura/audit"
	"procura/authz"
	"procura/db"
	"procura/db/dbtest"
	"procura/franceconnect"
	"procura/franceconnect/sandbox"
	"procura/keyring"
	"procura/mandate"
	"procura/metrics"
	"procura/notice"
	"procura/outbox"
	"procura/oversight"
	"procura/seal"
	"procura/usager"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log destination the server's goroutines and the test can
// share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one server on a real database, behind a real HTTP listener.
type env struct {
	t      *testing.T
	db     *db.DB
	clock  *clock
	srv    *Server
	ts     *httptest.Server
	client *http.Client
	logs   *syncBuffer
	// metrics are the server's and the provider's.
	metrics *metrics.Metrics
	// oauth and provider are the OpenID Provider's store and protocol.
	oauth    *authz.Store
	provider *authz.Provider
	// keys signs mandates (call Ensure in tests that sign).
	keys *keyring.Keyring
	// outbox holds the email the server writes; notices tells usagers of
	// the logins they asked to be told of.
	outbox  *outbox.Outbox
	notices *notice.Notices
	// mandates is the server's mandate registry.
	mandates *mandate.Registry
	// fcServer is the FranceConnect sandbox the server identifies usagers with.
	fcServer *httptest.Server
	// handled counts the runs of the test form handler.
	handled int
	mu      sync.Mutex
}

// testJournalOrigin is the journal's origin under testSettings' base URL.
const testJournalOrigin = "localhost:8080/journal"

func testSettings() Settings {
	return Settings{
		BaseURL:            "http://localhost:8080",
		SessionIdleTimeout: 30 * time.Minute,
		SessionMaxAge:      10 * time.Hour,
		MaxBodyBytes:       4096,
	}
}

// newEnv starts a server on d with the test settings, changed by edit.
func newEnv(t *testing.T, d *db.DB, edit ...func(*Settings)) *env {
	t.Helper()
	settings := testSettings()
	for _, f := range edit {
		f(&settings)
	}
	e := &env{t: t, db: d, clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}, metrics: metrics.New()}
	journal := audit.New(d, e.clock.Now)
	sessions := NewSessionStore(d, e.clock.Now, settings)
	dir, err := account.NewDirectory(d, journal, bytes.Repeat([]byte{7}, 32), sessions, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	// The server's URL is needed before its handler exists: the
	// FranceConnect sandbox registers its callback.
	var handler http.Handler
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.ts.Close)
	fc, usagers := e.franceConnect(journal, e.ts.URL)
	keys, err := keyring.New(d, journal, bytes.Repeat([]byte{7}, 32), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.keys = keys
	oauth := authz.NewStore(d, e.clock.Now)
	dir.SetTokens(oauth)
	e.outbox = outbox.New(d, e.clock.Now)
	links, err := notice.NewLinks(bytes.Repeat([]byte{7}, 32), "http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	e.notices = notice.New(d, journal, e.outbox, usagers, dir, links, e.clock.Now)
	dir.WithMailer(e.outbox, "http://localhost:8080")
	mandates := mandate.New(d, journal, dir, usagers, keys, oauth, e.clock.Now).WithNotifier(e.notices)
	e.notices.WithMandates(mandates)
	e.mandates = mandates
	provider, err := authz.NewProvider(authz.ProviderConfig{
		Issuer: e.ts.URL, Store: oauth, Keys: authz.KeyringKeys(keys), Journal: journal, DB: d, Now: e.clock.Now,
		Permissions: authz.MandatePermissions{Mandates: mandates, Usagers: usagers}, Usagers: authz.UsagerIdentities{Usagers: usagers},
		Notices:     authz.UsagerNotices{Notices: e.notices},
		PairwiseKey: bytes.Repeat([]byte{8}, 32), TokenKey: bytes.Repeat([]byte{9}, 32),
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil)), Metrics: e.metrics,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.oauth, e.provider = oauth, provider
	pendingSealer, err := seal.New(bytes.Repeat([]byte{7}, 32), "web pending authorization")
	if err != nil {
		t.Fatal(err)
	}
	paris, err := mandate.Paris()
	if err != nil {
		t.Fatal(err)
	}
	e.srv, err = New(Deps{
		DB: d, Journal: journal, Directory: dir, FranceConnect: fc, Usagers: usagers, Mandates: mandates, Provider: provider, Notices: e.notices,
		Oversight: oversight.New(d, journal, dir, usagers, mandates, oauth, paris, e.clock.Now),
		Sessions:  sessions, Now: e.clock.Now, Settings: settings, PendingSealer: pendingSealer, Metrics: e.metrics,
		JournalKeys: func(ctx context.Context) ([]string, error) {
			return keys.NoteVerifierKeys(ctx, testJournalOrigin)
		},
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.addTestRoutes()
	handler = e.srv.Handler()
	e.client = e.newClient()
	return e
}

// franceConnect starts a FranceConnect sandbox (with its invalid test
// identities) on the env's clock, with the server at base registered, and
// returns the client to it and a usager registry.
func (e *env) franceConnect(journal *audit.Journal, base string) (*franceconnect.Client, *usager.Registry) {
	e.t.Helper()
	var provider http.Handler
	fcServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { provider.ServeHTTP(w, r) }))
	e.t.Cleanup(fcServer.Close)
	e.fcServer = fcServer
	p, err := sandbox.New(sandbox.Config{
		Issuer: fcServer.URL + sandbox.IssuerPath, Now: e.clock.Now, IncludeInvalidIdentities: true,
		Clients: []sandbox.Client{{ID: "procura-test", Secret: "procura-test-secret",
			RedirectURIs: []string{base + "/franceconnect/callback"}, PostLogoutRedirectURIs: []string{base + "/franceconnect/deconnexion"}}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	provider = p
	fc, err := franceconnect.New(context.Background(), franceconnect.Config{
		Issuer: fcServer.URL + sandbox.IssuerPath, ClientID: "procura-test", ClientSecret: "procura-test-secret",
		RedirectURI: base + "/franceconnect/callback", PostLogoutRedirectURI: base + "/franceconnect/deconnexion", Now: e.clock.Now,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	usagers, err := usager.New(e.db, journal, bytes.Repeat([]byte{7}, 32), e.clock.Now)
	if err != nil {
		e.t.Fatal(err)
	}
	return fc, usagers
}

// newClient is a browser: its own cookie jar, no redirect following.
func (e *env) newClient() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// addTestRoutes mounts handlers that exist only in tests, the way the
// lead's handlers use the package's helpers.
func (e *env) addTestRoutes() {
	s := e.srv
	// A page with a form: its token, as a handler puts it in a page.
	s.pages.HandleFunc("GET /test/form", func(w http.ResponseWriter, r *http.Request) {
		tok, err := s.sessions.CSRFToken(w, r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		io.WriteString(w, tok)
	})
	// The form's target: it counts its runs and stores a value in the session.
	s.pages.HandleFunc("POST /test/form", func(w http.ResponseWriter, r *http.Request) {
		form, err := parseForm(r, s.settings.MaxBodyBytes)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		sess, err := s.sessions.Session(r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		sess.Values["note"] = form.Get("note")
		if err := s.sessions.Save(r, w, sess); err != nil {
			s.serveError(w, r, err)
			return
		}
		e.mu.Lock()
		e.handled++
		e.mu.Unlock()
		io.WriteString(w, "done: "+form.Get("note"))
	})
	// Sign-in as the lead's handler will do it, once credentials are checked.
	s.pages.HandleFunc("POST /test/sign-in", func(w http.ResponseWriter, r *http.Request) {
		form, err := parseForm(r, s.settings.MaxBodyBytes)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if err := s.sessions.Rotate(w, r, form.Get("account_id")); err != nil {
			s.serveError(w, r, err)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	s.pages.HandleFunc("GET /test/whoami", func(w http.ResponseWriter, r *http.Request) {
		id, err := s.sessions.AccountID(r)
		if err != nil {
			io.WriteString(w, "anonymous")
			return
		}
		io.WriteString(w, id)
	})
	s.pages.HandleFunc("GET /test/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("secret panic text")
	})
	// An exempt group, as OIDC endpoints will be.
	exempt := http.NewServeMux()
	exempt.HandleFunc("POST /test-exempt/token", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "exempt")
	})
	s.root.Handle("/test-exempt/", s.routed(exempt, false))
}

func (e *env) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.handled
}

// do sends a request with client c and returns the response and its body.
func (e *env) do(c *http.Client, method, path string, body io.Reader, header http.Header) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

func (e *env) get(path string) (*http.Response, string) {
	e.t.Helper()
	return e.do(e.client, http.MethodGet, path, nil, nil)
}

// post sends form as application/x-www-form-urlencoded.
func (e *env) post(c *http.Client, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	return e.do(c, http.MethodPost, path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// token fetches the client's CSRF token from the test form page.
func (e *env) token(c *http.Client) string {
	e.t.Helper()
	resp, body := e.do(c, http.MethodGet, "/test/form", nil, nil)
	if resp.StatusCode != http.StatusOK || body == "" {
		e.t.Fatalf("GET /test/form = %d; log:\n%s", resp.StatusCode, e.logs.String())
	}
	return body
}

// keepSomething stores a value in client c's session, which so gets its
// row (an anonymous form page alone writes none), and returns its cookie.
func (e *env) keepSomething(c *http.Client) *http.Cookie {
	e.t.Helper()
	resp, body := e.post(c, "/test/form", url.Values{"csrf_token": {e.token(c)}, "note": {"gardée"}})
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("POST /test/form = %d %s", resp.StatusCode, body)
	}
	return e.cookie(c)
}

// signIn signs client c in as accountID and returns its session cookie.
func (e *env) signIn(c *http.Client, accountID string) *http.Cookie {
	e.t.Helper()
	resp, body := e.post(c, "/test/sign-in", url.Values{"csrf_token": {e.token(c)}, "account_id": {accountID}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign-in = %d (%d bytes); log:\n%s", resp.StatusCode, len(body), e.logs.String())
	}
	return e.cookie(c)
}

// cookie returns client c's session cookie, or nil.
func (e *env) cookie(c *http.Client) *http.Cookie {
	u, _ := url.Parse(e.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == e.srv.sessions.Name() {
			return ck
		}
	}
	return nil
}

// whoami returns the account id client c is signed in as, or "anonymous".
func (e *env) whoami(c *http.Client) string {
	e.t.Helper()
	_, body := e.do(c, http.MethodGet, "/test/whoami", nil, nil)
	return body
}

// sessionRows counts web_sessions rows matching where.
func (e *env) sessionRows(where string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Conn(context.Background()).Raw("SELECT COUNT(*) FROM web_sessions WHERE "+where, args...).Scan(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// rowOf returns the hash of a session cookie, the key of its row.
func rowOf(t *testing.T, c *http.Cookie) []byte {
	t.Helper()
	h, ok := hashSessionID(c.Value)
	if !ok {
		t.Fatalf("cookie %q is not a session id", c.Value)
	}
	return h
}

// newAccount inserts an account row and returns its id.
func (e *env) newAccount(given, family string) string {
	e.t.Helper()
	id := uuid.NewString()
	now := e.clock.Now()
	err := e.db.Conn(context.Background()).Exec(
		"INSERT INTO accounts (id, email, given_name, family_name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, 'x', ?, ?)",
		id, fmt.Sprintf("%s@example.org", id), given, family, now, now).Error
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
