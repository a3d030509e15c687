//go:build browser

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"procura/db"
	"procura/db/dbtest"
)

// The cluster of these tests is what DESIGN.md §3 promises: several
// `procura serve` processes, stateless, on one PostgreSQL database,
// behind a load balancer. It is built as docker-compose.yml builds it,
// without Docker:
//
//   - one database with the roles of deploy/postgres-roles.sql, migrated
//     by `procura migrate` as the owner role; the instances and the
//     operator's commands connect as the application role (rows only);
//   - the FranceConnect sandbox as its own process (cmd/fc-sandbox), so
//     that identifying a usager may start on one instance and come back to
//     the other (`procura dev` mounts a sandbox in each process, in memory:
//     a flow split across two of them would fail for a reason that has
//     nothing to do with Procura);
//   - `procura serve`, the production command, twice, on plain http on
//     loopback, behind a round-robin reverse proxy started by the test
//     (roundrobin_test.go) that terminates TLS: the base URL is the
//     proxy's https URL, as behind Caddy or a cloud load balancer, and the
//     instances trust the proxy's headers (PROCURA_TRUST_PROXY_HEADERS);
//   - the sandbox behind a TLS proxy of its own, since `serve` accepts only
//     an https FranceConnect issuer; the instances trust the test
//     certificate through SSL_CERT_FILE, the test's clients through their
//     transport.

// cluster is the base URL of the proxy in front of the instances (the
// embedded procura: its helpers drive the proxy, its CLI the database) and
// the instances.
type cluster struct {
	*procura
	lb        *roundRobin
	instances []*instance
}

// instance is one `procura serve` process behind the proxy.
type instance struct {
	n               int
	listen, metrics string
	env             []string
	started         time.Time
	server          *runningServer
}

// startCluster starts the sandbox, migrates a fresh database and starts n
// instances behind the proxy; it returns once every instance is ready.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	owner, app := "procura_owner_"+suffix, "procura_app_"+suffix
	t.Cleanup(func() { dropRoles(t, owner, app) }) // after the database's drop
	dbURL := createTestDatabase(t)
	ownerURL, appURL := createRoles(t, dbURL, owner, app)
	key := make([]byte, 32)
	rand.Read(key)

	lb := newRoundRobin(t)
	front := httptest.NewUnstartedServer(lb)
	front.StartTLS()
	t.Cleanup(front.Close)
	transport := front.Client().Transport.(*http.Transport).Clone()
	// httptest's certificate names 127.0.0.1: one file of trust for the
	// instances, towards both proxies.
	caFile := filepath.Join(t.TempDir(), "proxy-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PROCURA_") && !strings.HasPrefix(kv, "SSL_CERT_") {
			env = append(env, kv)
		}
	}
	masterKey := "PROCURA_MASTER_KEY=" + base64.StdEncoding.EncodeToString(key)
	// The schema as its owner; the server and the operator commands as the
	// application role (deploy/postgres-roles.sql, as in docker-compose.yml).
	migrator := &procura{env: append(append([]string(nil), env...), "PROCURA_DATABASE_URL="+ownerURL)}
	env = append(env, "PROCURA_DATABASE_URL="+appURL, masterKey)
	c := &cluster{procura: &procura{BaseURL: front.URL, DatabaseURL: dbURL, env: env, transport: transport}, lb: lb}

	fcIssuer, fcSecret := startSandbox(t, c.BaseURL)
	binary(t, "procura")
	migrator.cli(t, "", "migrate")
	serveEnv := append(append([]string(nil), env...),
		"PROCURA_BASE_URL="+c.BaseURL,
		"PROCURA_FC_ISSUER="+fcIssuer, "PROCURA_FC_CLIENT_ID=procura-cluster", "PROCURA_FC_CLIENT_SECRET="+fcSecret,
		"PROCURA_TRUST_PROXY_HEADERS=true",
		"PROCURA_DB_MAX_CONNS=8",
		// A mail server nobody listens on: notices wait in the outbox.
		"PROCURA_SMTP_HOST=127.0.0.1", "PROCURA_SMTP_PORT=9", "PROCURA_SMTP_FROM=procura@cluster.test", "PROCURA_SMTP_STARTTLS=none",
		// The operator's details of the legal pages (serve refuses the placeholders).
		"PROCURA_OPERATOR_NAME=Opérateur du test", "PROCURA_OPERATOR_ADDRESS=1 rue du Test, 75000 Paris",
		"PROCURA_OPERATOR_EMAIL=contact@cluster.test", "PROCURA_OPERATOR_DPO_EMAIL=dpo@cluster.test",
		"PROCURA_OPERATOR_DIRECTOR=Camille Test", "PROCURA_OPERATOR_HOST=Hébergeur du test, 59000 Lille",
		"PROCURA_MAINTENANCE_INTERVAL=1s",
		"PROCURA_LOG_LEVEL=warn",
		"SSL_CERT_FILE="+caFile,
	)
	for i := range n {
		in := &instance{n: i, listen: fmt.Sprintf("127.0.0.1:%d", freePort(t)), metrics: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
		in.env = append(append([]string(nil), serveEnv...), "PROCURA_LISTEN_ADDR="+in.listen, "PROCURA_METRICS_ADDR="+in.metrics)
		c.instances = append(c.instances, in)
		t.Cleanup(func() {
			if stderr := in.stop(); t.Failed() {
				t.Logf("instance %d stderr:\n%s", in.n, stderr)
			}
		})
		in.start(t)
		lb.add(t, "http://"+in.listen)
	}
	return c
}

// createRoles runs deploy/postgres-roles.sql on the database at dbURL as
// the PostgreSQL image does at its first start (psql, as the superuser),
// with role names of this test (roles are shared by the whole server),
// and returns the URLs of the owner and of the application role.
func createRoles(t *testing.T, dbURL, owner, app string) (ownerURL, appURL string) {
	t.Helper()
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql is required to run deploy/postgres-roles.sql (the PostgreSQL client, which make test installs with the server)")
	}
	password := rand.Text()
	cmd := exec.Command("psql", "-X", "-q", "-d", dbURL, "-f", filepath.Join(repoRoot(t), "deploy", "postgres-roles.sql"))
	cmd.Env = append(os.Environ(), "DB_OWNER_ROLE="+owner, "DB_APP_ROLE="+app, "DB_OWNER_PASSWORD="+password, "DB_APP_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy/postgres-roles.sql: %v\n%s", err, out)
	}
	as := func(role string) string {
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(role, password)
		return u.String()
	}
	return as(owner), as(app)
}

// dropRoles drops the roles of createRoles once their database is gone.
func dropRoles(t *testing.T, roles ...string) {
	d, err := db.Open(context.Background(), dbtest.ServerURL())
	if err != nil {
		t.Logf("drop roles: %v", err)
		return
	}
	defer d.Close()
	for _, r := range roles {
		if err := d.Conn(context.Background()).Exec(`DROP ROLE IF EXISTS "` + r + `"`).Error; err != nil {
			t.Logf("drop role %s: %v", r, err)
		}
	}
}

// startSandbox runs cmd/fc-sandbox behind a TLS proxy, with Procura
// (base) as its client, and returns its issuer and Procura's secret.
func startSandbox(t *testing.T, base string) (issuer, secret string) {
	t.Helper()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	backend, _ := url.Parse("http://" + listen)
	front := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(backend))
	front.StartTLS()
	t.Cleanup(front.Close)
	issuer = front.URL + "/api/v2"
	secret = "cluster-" + rand.Text()
	clients, _ := json.Marshal([]map[string]any{{"id": "procura-cluster", "secret": secret,
		"redirect_uris": []string{base + "/franceconnect/callback"}, "post_logout_redirect_uris": []string{base + "/franceconnect/deconnexion"}}})
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary(t, "fc-sandbox"), "-listen", listen, "-issuer", issuer, "-clients", string(clients))
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("fc-sandbox stderr:\n%s", stderr.String())
		}
	})
	waitReady(t, "fc-sandbox", "http://"+listen+"/healthz", stderr, nil)
	return issuer, secret
}

// waitReady polls url until it answers 200, for 30 s at most or until done
// (the process exited) is closed.
func waitReady(t *testing.T, what, url string, stderr *syncBuffer, done chan struct{}) {
	t.Helper()
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := probe.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			t.Fatalf("%s exited before it was ready\nstderr:\n%s", what, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not become ready: %v\nstderr:\n%s", what, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// start runs `procura serve` for the instance and waits for its /readyz.
func (in *instance) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary(t, "procura"), "serve")
	cmd.Env = in.env
	s := &runningServer{cmd: cmd, cancel: cancel, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout = io.Discard
	cmd.Stderr = s.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	in.server, in.started = s, time.Now()
	waitReady(t, fmt.Sprintf("procura serve (instance %d)", in.n), "http://"+in.listen+"/readyz", s.stderr, s.done)
}

// stop interrupts the instance (graceful shutdown) and returns its stderr.
func (in *instance) stop() string {
	s := in.server
	if s == nil {
		return ""
	}
	in.server = nil
	s.cancel()
	<-s.done
	return s.stderr.String()
}

// kill ends the instance with SIGKILL: no shutdown, connections cut.
func (in *instance) kill(t *testing.T) {
	t.Helper()
	if err := in.server.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-in.server.done
	in.server = nil
}

// health runs `procura health` with the instance's environment, as the
// container's health check does.
func (in *instance) health(t *testing.T) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t, "procura"), "health")
	cmd.Env = in.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// jobRuns reads from the instance's own /metrics how many runs of a
// periodic job ended with outcome (ok, error).
func (in *instance) jobRuns(t *testing.T, job, outcome string) int {
	t.Helper()
	resp, err := http.Get("http://" + in.metrics + "/metrics")
	if err != nil {
		t.Fatalf("metrics of instance %d: %v", in.n, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^procura_maintenance_runs_total\{job="` + job + `",outcome="` + outcome + `"\} (\d+)`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// getVia GETs path through the proxy with c and returns the answer and
// the instance that served it.
func (c *cluster) getVia(t *testing.T, client *http.Client, path string) (*http.Response, int) {
	t.Helper()
	resp, _ := c.get(t, client, path)
	n, err := strconv.Atoi(resp.Header.Get(backendHeader))
	if err != nil {
		t.Fatalf("GET %s: the proxy did not say which instance answered", path)
	}
	return resp, n
}

// TestSeveralInstances runs two `procura serve` processes on one database
// behind the round-robin proxy (DESIGN.md §3, issue 13 part 6): the
// aidant's session and every flow work whichever instance answers, a key
// rotated by the operator is published and verified by every instance at
// once, periodic jobs run on both without recording anything twice, and
// when an instance is killed the other carries on.
func TestSeveralInstances(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2)
	a := c.newAidant(t)
	// Every step below goes through the proxy, which alternates: the
	// sign-in (password, then TOTP), and the mandate's FranceConnect round
	// trip, whose state and nonce one instance keeps in the session row
	// and the other checks on the callback.
	browser := c.signIn(t, a)
	c.createMandate(t, browser, a, "jean-luc-darcy", "social")

	t.Run("the aidant's session is valid on both instances", func(t *testing.T) {
		served := map[int]int{}
		for range 4 {
			resp, n := c.getVia(t, browser, "/aidant")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /aidant on instance %d = %d → %q", n, resp.StatusCode, resp.Header.Get("Location"))
			}
			served[n]++
		}
		if served[0] != 2 || served[1] != 2 {
			t.Errorf("GET /aidant served by instance: %v, want 2 each", served)
		}
	})

	s := newService(t, c.procura)
	t.Run("delegated logins spread over both instances", func(t *testing.T) {
		before := c.lb.counts()
		const logins = 6
		for range logins {
			tok, _, _ := s.login(t, browser, "Social - Santé")
			if status, _, body := s.userinfo(t, tok.AccessToken); status != http.StatusOK {
				t.Fatalf("userinfo = %d %s", status, body)
			}
		}
		after := c.lb.counts()
		steps := []string{"GET /oidc/authorize", "GET /oidc/choix", "POST /oidc/choix", "POST /oidc/token", "GET /oidc/userinfo"}
		for _, step := range steps {
			per := []int{after[0][step] - before[0][step], after[1][step] - before[1][step]}
			t.Logf("%-20s instance 0: %d, instance 1: %d", step, per[0], per[1])
			if per[0]+per[1] != logins {
				t.Errorf("%s: %d requests, want %d", step, per[0]+per[1], logins)
			}
		}
		// Each login's 5 requests alternate: the instance that issues the
		// code is not the one that redeems it, and consecutive logins
		// start on different instances.
		for _, step := range steps {
			if after[0][step]-before[0][step] == 0 || after[1][step]-before[1][step] == 0 {
				t.Errorf("%s served by one instance only", step)
			}
		}
	})

	t.Run("periodic jobs on both instances record an expiry once", func(t *testing.T) {
		id := c.createMandate(t, browser, a, "aissatou-diop", "famille", "logement")
		d := c.openDB(t)
		// The mandate's time comes: moved 200 days back (its signature no
		// longer matches, which the expiry job does not read).
		for _, q := range []string{
			"UPDATE mandates SET signed_at = signed_at - interval '200 days', expires_at = expires_at - interval '200 days', totp_confirmed_at = totp_confirmed_at - interval '200 days' WHERE id = ?",
			"UPDATE permissions SET expires_at = expires_at - interval '200 days' WHERE mandate_id = ?",
		} {
			if err := d.Conn(context.Background()).Exec(q, id).Error; err != nil {
				t.Fatal(err)
			}
		}
		// Two more runs on each instance: at least one of them started
		// after the update and saw the mandate.
		from := []int{c.instances[0].jobRuns(t, "mandate_expiries", "ok"), c.instances[1].jobRuns(t, "mandate_expiries", "ok")}
		deadline := time.Now().Add(15 * time.Second)
		for c.instances[0].jobRuns(t, "mandate_expiries", "ok") < from[0]+2 || c.instances[1].jobRuns(t, "mandate_expiries", "ok") < from[1]+2 {
			if time.Now().After(deadline) {
				t.Fatalf("the expiry job did not run twice on each instance in 15 s (from %v)", from)
			}
			time.Sleep(200 * time.Millisecond)
		}
		// Every job ran without error on both, as the application role.
		for _, in := range c.instances {
			for _, job := range []string{"mandate_expiries", "retention", "session_purge"} {
				if n := in.jobRuns(t, job, "error"); n != 0 {
					t.Errorf("instance %d: %d runs of %s failed", in.n, n, job)
				}
				if n := in.jobRuns(t, job, "ok"); n == 0 {
					t.Errorf("instance %d: %s never ran", in.n, job)
				}
			}
		}
		count := func(action string) int64 {
			var n int64
			if err := d.Conn(context.Background()).Raw("SELECT count(*) FROM audit_entries WHERE action = ? AND mandate_id = ?", action, id).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count("mandate.expired"); n != 1 {
			t.Errorf("mandate.expired entries: %d, want 1", n)
		}
		if n := count("permission.expired"); n != 2 {
			t.Errorf("permission.expired entries: %d, want 2 (one per procedure)", n)
		}
		var ended int64
		d.Conn(context.Background()).Raw("SELECT count(*) FROM permissions WHERE mandate_id = ? AND end_reason = 'expired'", id).Scan(&ended)
		if ended != 2 {
			t.Errorf("permissions ended as expired: %d, want 2", ended)
		}
	})

	t.Run("an instance killed, the other carries on; restarted, it rejoins", func(t *testing.T) {
		if out, err := c.instances[1].health(t); err != nil {
			t.Fatalf("procura health of instance 1: %v\n%s", err, out)
		}
		c.instances[1].kill(t)
		if out, err := c.instances[1].health(t); err == nil {
			t.Fatalf("procura health of the killed instance 1 succeeded: %s", out)
		}
		// The first request sent to the dead instance finds its port
		// closed; the proxy marks it down and sends the request on, as
		// Caddy's passive health checks do.
		for range 4 {
			resp, n := c.getVia(t, browser, "/aidant")
			if resp.StatusCode != http.StatusOK || n != 0 {
				t.Fatalf("GET /aidant with instance 1 killed = %d from instance %d", resp.StatusCode, n)
			}
		}
		before := c.lb.counts()
		tok, _, _ := s.login(t, browser, "Social - Santé")
		if status, _, body := s.userinfo(t, tok.AccessToken); status != http.StatusOK {
			t.Fatalf("userinfo = %d %s", status, body)
		}
		if after := c.lb.counts(); after[1]["POST /oidc/token"] != before[1]["POST /oidc/token"] || after[0]["POST /oidc/token"] != before[0]["POST /oidc/token"]+1 {
			t.Errorf("token requests with instance 1 killed: %v → %v", before, after)
		}

		c.instances[1].start(t)
		c.lb.waitUp(t, 1)
		served := map[int]int{}
		for range 4 {
			resp, n := c.getVia(t, browser, "/aidant")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /aidant after the restart = %d on instance %d", resp.StatusCode, n)
			}
			served[n]++
		}
		if served[0] != 2 || served[1] != 2 {
			t.Errorf("GET /aidant after instance 1 rejoined: %v, want 2 each", served)
		}
	})

	t.Run("a key rotated is published and verified by both at once", func(t *testing.T) {
		_, _, rawOld := s.login(t, browser, "Social - Santé")
		oldKID := headerKID(t, rawOld)
		out := c.cli(t, "", "keys", "rotate", "--purpose", "oidc", "--alg", "ES256")
		m := rotatedKID.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("keys rotate printed %q", out)
		}
		newKID := m[1]
		// JWKS and Verify read the keys from the database on every call:
		// both instances publish the new key at once.
		for i := range c.instances {
			c.lb.only(i)
			if published := kids(jwks(t, c.procura)); !slices.Contains(published, newKID) || !slices.Contains(published, oldKID) {
				t.Errorf("JWKS of instance %d after the rotation: %v, want %s and %s", i, published, oldKID, newKID)
			}
		}
		c.lb.only(-1)

		// The operator restarts instance 0 (a rolling restart): it signs
		// with the new key at once.
		c.lb.only(1)
		c.instances[0].stop()
		c.instances[0].start(t)
		c.lb.only(0)
		_, _, rawNew := s.login(t, browser, "Social - Santé")
		if kid := headerKID(t, rawNew); kid != newKID {
			t.Errorf("ID token of the restarted instance 0 signed by %s, want %s", kid, newKID)
		}
		// Instance 1 goes on signing with the key it read, for at most
		// keyring.RefreshInterval (a minute: not waited here; the keyring
		// tests show the switch on their clock). It read it when it
		// restarted above, before the rotation.
		c.lb.only(1)
		_, _, raw1 := s.login(t, browser, "Social - Santé")
		if kid := headerKID(t, raw1); time.Since(c.instances[1].started) < 50*time.Second && kid != oldKID {
			t.Errorf("instance 1, started %s ago, signs with %s; want %s until its refresh", time.Since(c.instances[1].started).Round(time.Second), kid, oldKID)
		}
		// …but verifies at once what instance 0 signed with the new key:
		// the ID token as id_token_hint of a logout.
		q := url.Values{"id_token_hint": {rawNew}, "post_logout_redirect_uri": {s.PostLogoutURI}, "state": {"cluster"}}
		resp, body := c.get(t, browser, s.endSessionURL(t)+"?"+q.Encode())
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != s.PostLogoutURI+"?state=cluster" {
			t.Errorf("logout on instance 1 with a hint signed by instance 0's new key = %d → %q\n%.1500s", resp.StatusCode, loc, body)
		}
		if n := resp.Header.Get(backendHeader); n != "1" {
			t.Errorf("the logout was served by instance %s, want 1", n)
		}
		c.lb.only(-1)
	})
}

// openDB opens the cluster's database for the test's own reads and
// writes.
func (c *cluster) openDB(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
