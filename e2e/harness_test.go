//go:build browser

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
	"procura/devtools/journey"
)

// The harness runs the real `procura dev` binary on a fresh PostgreSQL
// database and drives it as an operator (the CLI), as an aidant (an HTTP
// client with a cookie jar, through the same pages a browser uses) and as
// a service (the tests bring their own OIDC client library).
//
// Every HTTP client it returns keeps cookies and does NOT follow redirects:
// tests see each 303 the server answers. The journeys (sign-in, mandate,
// choice) are devtools/journey's, shared with the web tests and the load
// generator.

func TestMain(m *testing.M) { dbtest.Main(m) }

// devMasterKey is cmd/procura's dev master key (dev.go): `procura dev` uses
// it when PROCURA_MASTER_KEY is unset; the harness sets it explicitly for
// the server and the CLI so that both open the same sealed secrets.
var devMasterKey = base64.StdEncoding.EncodeToString([]byte("procura-dev-master-key-not-secret"[:32]))

// procura is one running `procura dev` with its own database.
type procura struct {
	BaseURL, DatabaseURL string
	env                  []string
	listen               string
	// transport carries every request of the test's clients to BaseURL;
	// nil for http.DefaultTransport. The cluster test sets one that
	// trusts its TLS proxy.
	transport http.RoundTripper

	mu     sync.Mutex
	server *runningServer
}

// runningServer is one process of the server.
type runningServer struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	stderr *syncBuffer
	done   chan struct{}
}

// syncBuffer is a buffer written by a process and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startProcura runs `procura dev` on a database of its own (created on the
// test PostgreSQL server, dropped at cleanup) and a free port, and returns
// once /readyz answers. The server stops (SIGINT) at cleanup; its stderr
// is logged when the test failed.
func startProcura(t *testing.T) *procura {
	t.Helper()
	dbURL := createTestDatabase(t)
	port := freePort(t)
	p := &procura{
		BaseURL:     fmt.Sprintf("http://127.0.0.1:%d", port),
		DatabaseURL: dbURL,
		listen:      fmt.Sprintf("127.0.0.1:%d", port),
	}
	// The outer environment's PROCURA_* settings must not leak in.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PROCURA_") {
			p.env = append(p.env, kv)
		}
	}
	p.env = append(p.env, "PROCURA_DATABASE_URL="+dbURL, "PROCURA_MASTER_KEY="+devMasterKey)
	binary(t, "procura") // build before the clock of readiness starts
	t.Cleanup(func() {
		stderr := p.stop()
		if t.Failed() {
			t.Logf("procura dev stderr:\n%s", stderr)
		}
	})
	p.start(t)
	return p
}

// createTestDatabase creates an empty database on dbtest's server and
// drops it at cleanup; `procura dev` migrates it.
func createTestDatabase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("procura_e2e_%d", time.Now().UnixNano())
	admin, err := db.Open(ctx, dbtest.ServerURL())
	if err != nil {
		t.Fatalf("PostgreSQL at PROCURA_TEST_DATABASE_URL: %v", err)
	}
	defer admin.Close()
	if err := admin.Conn(ctx).Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := db.Open(ctx, dbtest.ServerURL())
		if err != nil {
			t.Logf("drop database %s: %v", name, err)
			return
		}
		defer admin.Close()
		if err := admin.Conn(ctx).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(dbtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// start runs the server process and waits until it is ready.
func (p *procura) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary(t, "procura"), "dev")
	cmd.Env = append(append([]string(nil), p.env...), "PROCURA_BASE_URL="+p.BaseURL, "PROCURA_LISTEN_ADDR="+p.listen)
	s := &runningServer{cmd: cmd, cancel: cancel, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout = io.Discard // the demo accounts it prints are not used
	cmd.Stderr = s.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	p.mu.Lock()
	p.server = s
	p.mu.Unlock()
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := probe.Get(p.BaseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-s.done:
			t.Fatalf("procura dev exited before it was ready: %v\nstderr:\n%s", cmd.ProcessState, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("procura dev did not become ready: %v\nstderr:\n%s", err, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop interrupts the server (graceful shutdown) and returns its stderr.
func (p *procura) stop() string {
	p.mu.Lock()
	s := p.server
	p.server = nil
	p.mu.Unlock()
	if s == nil {
		return ""
	}
	s.cancel()
	<-s.done
	return s.stderr.String()
}

// restart stops the server and starts it again on the same database and
// port: what an operator does after `procura keys rotate` to have new
// tokens signed at once. Sessions live in the database: signed-in clients
// stay signed in.
func (p *procura) restart(t *testing.T) {
	t.Helper()
	if stderr := p.stop(); strings.Contains(stderr, `"level":"ERROR"`) {
		t.Logf("procura dev stderr before restart:\n%s", stderr)
	}
	p.start(t)
}

// cli runs `procura <args>` on the server's database with the dev master
// key, stdin as its standard input; it fails the test unless the command
// succeeds, and returns its standard output.
func (p *procura) cli(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t, "procura"), args...)
	cmd.Env = p.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("procura %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// cliJSON runs cli and decodes its JSON output into v.
func (p *procura) cliJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := p.cli(t, "", args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("procura %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// aidant is a habilitated aidant account with its credentials. Every code
// of its TOTP seed comes from Codes, shared by all its browsers (a code is
// good once).
type aidant struct {
	Email, Password, TOTPSeed, OrganisationID, SIRET string
	Codes                                            *journey.TOTP
}

// journey is what signs a in, for the driver.
func (a aidant) journey() journey.Aidant {
	return journey.Aidant{Email: a.Email, Password: a.Password, Codes: a.Codes}
}

// newAidant creates, with the CLI, a fresh organisation (all procedures
// allowed) and a habilitated aidant in it with a TOTP seed.
func (p *procura) newAidant(t *testing.T) aidant {
	t.Helper()
	siret := randomSIRET(t)
	var org struct{ ID, SIRET string }
	p.cliJSON(t, &org, "admin", "org", "create", "--json", "--siret", siret, "--name", "Structure e2e "+siret)
	var acc struct {
		Email      string `json:"email"`
		Password   string `json:"password"`
		TOTPSecret string `json:"totp_secret"`
	}
	p.cliJSON(t, &acc, "admin", "aidant", "create", "--json", "--org", siret,
		"--email", "aidant-"+strings.ToLower(rand.Text()[:12])+"@example.fr", "--given-name", "Camille", "--family-name", "Essai",
		"--habilitated-until", time.Now().AddDate(1, 0, 0).Format("2006-01-02"))
	if org.ID == "" || acc.Password == "" || acc.TOTPSecret == "" {
		t.Fatalf("admin create: organisation %+v, account %+v", org, acc)
	}
	return aidant{Email: acc.Email, Password: acc.Password, TOTPSeed: acc.TOTPSecret, OrganisationID: org.ID, SIRET: siret,
		Codes: journey.NewTOTP(acc.TOTPSecret, 0)}
}

// randomSIRET returns a random 14-digit SIRET with a valid Luhn key.
func randomSIRET(t *testing.T) string {
	t.Helper()
	for range 100 {
		n, err := rand.Int(rand.Reader, big.NewInt(1e13))
		if err != nil {
			t.Fatal(err)
		}
		base := fmt.Sprintf("%013d", n)
		for d := 0; d <= 9; d++ {
			if s := base + fmt.Sprint(d); account.ValidSIRET(s) {
				return s
			}
		}
	}
	t.Fatal("no valid SIRET found")
	return ""
}

// newClient is a browser: its own cookie jar, no redirect following.
func (p *procura) newClient(t *testing.T) *http.Client {
	t.Helper()
	return journey.NewClient(p.transport, 30*time.Second)
}

// httpClient is a client without cookies for the service's back channel
// (discovery, token, userinfo, JWKS).
func (p *procura) httpClient() *http.Client {
	return &http.Client{Transport: p.transport, Timeout: 10 * time.Second}
}

// browser is c on Procura, for the journey driver.
func (p *procura) browser(c *http.Client) *journey.Browser {
	return &journey.Browser{BaseURL: p.BaseURL, Client: c}
}

// abs resolves location (absolute, or a path on Procura).
func (p *procura) abs(location string) string {
	if strings.HasPrefix(location, "/") {
		return p.BaseURL + location
	}
	return location
}

// get GETs location with c and returns the response and its body.
func (p *procura) get(t *testing.T, c *http.Client, location string) (*http.Response, string) {
	t.Helper()
	return p.do(t, c, http.MethodGet, location, nil)
}

// postForm POSTs form to location with c.
func (p *procura) postForm(t *testing.T, c *http.Client, location string, form url.Values) (*http.Response, string) {
	t.Helper()
	return p.do(t, c, http.MethodPost, location, form)
}

func (p *procura) do(t *testing.T, c *http.Client, method, location string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, p.abs(location), body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, location, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, location, err)
	}
	return resp, string(b)
}

// isRedirect reports a 3xx answer with a Location.
func isRedirect(resp *http.Response) bool {
	return resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != ""
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrfToken returns the CSRF token of a page's form.
func csrfToken(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%.2000s", page)
	}
	return m[1]
}

// pageToken GETs path with c and returns its form's CSRF token.
func (p *procura) pageToken(t *testing.T, c *http.Client, path string) string {
	t.Helper()
	resp, body := p.get(t, c, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d\n%.2000s", path, resp.StatusCode, body)
	}
	return csrfToken(t, body)
}

// signIn returns a new client signed in as a through /connexion.
func (p *procura) signIn(t *testing.T, a aidant) *http.Client {
	t.Helper()
	c := p.newClient(t)
	if loc := p.signInWith(t, c, a); loc != "/aidant" {
		t.Fatalf("sign-in went to %s, want /aidant", loc)
	}
	return c
}

// signInWith signs c in as a (a fresh sign-in, or again when a service
// asked for it) and returns where the sign-in continues: /aidant, or
// /oidc/choix when a service's request waits.
func (p *procura) signInWith(t *testing.T, c *http.Client, a aidant) string {
	t.Helper()
	next, err := p.browser(c).SignIn(context.Background(), a.journey())
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// createMandate runs the mandate creation journey with c, signed in as a:
// procedures and a duration of 182 days, the usager identified with the
// FranceConnect sandbox identity (franceconnect/sandbox/identities.json),
// the recap signed with a's TOTP. It returns the mandate's id.
func (p *procura) createMandate(t *testing.T, c *http.Client, a aidant, identity string, procedures ...string) (mandateID string) {
	t.Helper()
	id, err := p.browser(c).CreateMandate(context.Background(), a.journey(),
		journey.Mandate{Procedures: procedures, Days: 182, Usager: identity})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// permissions returns the revocable permissions of a mandate, by procedure
// label (e.g. "Social - Santé"), from its page.
func (p *procura) permissions(t *testing.T, c *http.Client, mandateID string) map[string]string {
	t.Helper()
	resp, body := p.get(t, c, "/aidant/mandats/"+mandateID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mandate page = %d\n%.2000s", resp.StatusCode, body)
	}
	out := map[string]string{}
	row := regexp.MustCompile(`(?s)<tr><td>([^<]+).*?</tr>`)
	pid := regexp.MustCompile(`revoquer\?autorisation=([0-9a-f-]{36})`)
	for _, m := range row.FindAllStringSubmatch(body, -1) {
		if id := pid.FindStringSubmatch(m[0]); id != nil {
			out[html.UnescapeString(strings.TrimSpace(m[1]))] = id[1]
		}
	}
	return out
}

// revoke revokes, as the aidant of c, one permission of a mandate, or the
// whole mandate when permissionID is "".
func (p *procura) revoke(t *testing.T, c *http.Client, mandateID, permissionID string) {
	t.Helper()
	confirm := "/aidant/mandats/" + mandateID + "/revoquer"
	form := url.Values{}
	if permissionID != "" {
		confirm += "?autorisation=" + permissionID
		form.Set("autorisation", permissionID)
	}
	form.Set("csrf_token", p.pageToken(t, c, confirm))
	resp, body := p.postForm(t, c, "/aidant/mandats/"+mandateID+"/revoquer", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "revoque=1") {
		t.Fatalf("revocation = %d → %q\n%.2000s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// openChoice GETs a service's authorization URL with the aidant's client
// c and follows to the choice page, which it returns. The aidant must be
// signed in (recently enough for the request's max_age or prompt).
func (p *procura) openChoice(t *testing.T, c *http.Client, authURL string) *journey.Choice {
	t.Helper()
	page, err := p.browser(c).OpenChoice(context.Background(), authURL)
	if err != nil {
		t.Fatalf("authorize %s: %v", authURL, err)
	}
	return page
}

// parseChoice reads body as the choice page.
func (p *procura) parseChoice(t *testing.T, body string) *journey.Choice {
	t.Helper()
	u, err := url.Parse(p.BaseURL + "/oidc/choix")
	if err != nil {
		t.Fatal(err)
	}
	page, err := journey.ParseChoice(&journey.Page{URL: u, Status: http.StatusOK, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// choose posts the choice form of page: permissionID, or the cancel button
// when permissionID is "". It returns the answer (not followed).
func (p *procura) choose(t *testing.T, c *http.Client, page *journey.Choice, permissionID string) *journey.Page {
	t.Helper()
	answer, err := p.browser(c).Submit(context.Background(), page, permissionID)
	if err != nil {
		t.Fatal(err)
	}
	return answer
}

// authorize runs a delegated login at a service: GET authURL with the
// aidant's client c, follow to /oidc/choix, pick the one button labelled
// procedureLabel (e.g. "Social - Santé"; the test fails when no usager or
// several offer it: use authorizeFor) or cancel when procedureLabel is "".
// It returns the redirect to the service's redirect URI (with code and
// state, or error), not followed.
func (p *procura) authorize(t *testing.T, c *http.Client, authURL, procedureLabel string) (callback *url.URL) {
	t.Helper()
	return p.authorizeFor(t, c, authURL, "", procedureLabel)
}

// authorizeFor is authorize for the usager shown as usagerName (e.g.
// "Jean-Luc D'Arcy"); "" accepts any one usager.
func (p *procura) authorizeFor(t *testing.T, c *http.Client, authURL, usagerName, procedureLabel string) (callback *url.URL) {
	t.Helper()
	page := p.openChoice(t, c, authURL)
	var permissionID string
	if procedureLabel != "" {
		var err error
		if permissionID, err = page.Permission(usagerName, procedureLabel); err != nil {
			t.Fatal(err)
		}
	}
	return p.serviceRedirect(t, p.choose(t, c, page, permissionID))
}

// serviceRedirect checks that answer redirects off Procura's pages (to the
// service) and returns where.
func (p *procura) serviceRedirect(t *testing.T, answer *journey.Page) *url.URL {
	t.Helper()
	u, err := p.browser(nil).ServiceRedirect(answer)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// registerClient registers a service with `admin client create --json`
// (name "Service e2e" unless args name it; args add --redirect-uri,
// --procedures, …) and returns its id and secret ("" for private_key_jwt).
func (p *procura) registerClient(t *testing.T, args ...string) (clientID, secret string) {
	t.Helper()
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	p.cliJSON(t, &out, append([]string{"admin", "client", "create", "--json", "--name", "Service e2e"}, args...)...)
	if out.ClientID == "" {
		t.Fatal("admin client create: no client_id")
	}
	return out.ClientID, out.ClientSecret
}

// TestHarness checks the harness itself on one server: an aidant signs in,
// creates a mandate, and the choice page offers it to a service.
func TestHarness(t *testing.T) {
	p := startProcura(t)
	a := p.newAidant(t)
	c := p.signIn(t, a)
	id := p.createMandate(t, c, a, "jean-luc-darcy", "social", "logement")
	perms := p.permissions(t, c, id)
	if len(perms) != 2 || perms["Social - Santé"] == "" || perms["Logement"] == "" {
		t.Fatalf("permissions of the new mandate: %v", perms)
	}
	clientID, secret := p.registerClient(t, "--redirect-uri", "http://127.0.0.1:9/harness/callback", "--procedures", "social")
	if secret == "" {
		t.Fatal("no client secret")
	}
	authURL := p.BaseURL + "/oidc/authorize?" + url.Values{"client_id": {clientID}, "response_type": {"code"},
		"scope": {"openid"}, "redirect_uri": {"http://127.0.0.1:9/harness/callback"}, "state": {"harness-state"},
		"nonce": {"harness-nonce-0123456789abcdef"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		"code_challenge_method": {"S256"}}.Encode()
	page := p.openChoice(t, c, authURL)
	if len(page.Usagers) != 1 || page.Usagers[0].Name != "Jean-Luc D'Arcy" || page.Usagers[0].Procedures["Social - Santé"] != perms["Social - Santé"] {
		t.Fatalf("choice page offers %+v", page.Usagers)
	}
	cb := p.authorize(t, c, authURL, "Social - Santé")
	if cb.Query().Get("code") == "" || cb.Query().Get("state") != "harness-state" || cb.Path != "/harness/callback" {
		t.Fatalf("callback %s", cb)
	}
	cb = p.authorize(t, c, authURL, "")
	if cb.Query().Get("error") != "access_denied" || cb.Query().Get("state") != "harness-state" {
		t.Fatalf("cancel callback %s", cb)
	}
	p.revoke(t, c, id, perms["Logement"])
	if perms := p.permissions(t, c, id); len(perms) != 1 {
		t.Fatalf("after revoking Logement: %v", perms)
	}
}
