//go:build browser

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"procura/franceconnect/sandbox"
)

// Redirect URIs on a loopback port nothing serves: the aidant's client
// stops at the redirect and hands the URL to the relying party.
const (
	rpRedirectURI   = "http://127.0.0.1:9/callback"
	rpPostLogoutURI = "http://127.0.0.1:9/logged-out"
)

// TestOpenIDClientFlows runs e2e/openidclient/flows.mjs, openid-client (a
// certified relying-party library) against the real `procura dev`, and
// plays the aidant whenever the relying party sends the browser to Procura.
func TestOpenIDClientFlows(t *testing.T) {
	started := time.Now()
	dir := openIDClientProject(t)

	p := startProcura(t)
	a := p.newAidant(t)
	c := p.signIn(t, a)
	const identityID = "jean-luc-darcy"
	p.createMandate(t, c, a, identityID, "social")
	t.Logf("Procura, aidant and mandate ready in %s", time.Since(started).Round(time.Millisecond))

	common := []string{"--redirect-uri", rpRedirectURI, "--post-logout-uri", rpPostLogoutURI, "--procedures", "social"}
	basicID, basicSecret := p.registerClient(t, append([]string{"--name", "RP client_secret_basic"}, common...)...)
	postID, postSecret := p.registerClient(t, append([]string{"--name", "RP client_secret_post",
		"--auth-method", "client_secret_post", "--userinfo-alg", "ES256"}, common...)...)

	identity, err := json.Marshal(sandboxIdentity(t, identityID))
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := filepath.Join(t.TempDir(), "jwks.json")
	rp := startRP(t, dir,
		"ISSUER="+p.BaseURL,
		"REDIRECT_URI="+rpRedirectURI,
		"POST_LOGOUT_REDIRECT_URI="+rpPostLogoutURI,
		"BASIC_CLIENT_ID="+basicID, "BASIC_CLIENT_SECRET="+basicSecret,
		"POST_CLIENT_ID="+postID, "POST_CLIENT_SECRET="+postSecret,
		"JWKS_FILE="+jwksFile,
		// `admin client create` has no flag for the assertion algorithm
		// and registers private_key_jwt clients with RS256: an ES256 key
		// would be refused.
		"PRIVATE_KEY_JWT_ALG=ES256",
		"EXPECT_SIRET="+a.SIRET,
		"EXPECT_IDENTITY="+string(identity),
	)

	flowsStarted := time.Now()
	for {
		line, ok := rp.next()
		if !ok {
			rp.fail(t, "flows.mjs stopped before DONE")
		}
		kind, arg, _ := strings.Cut(line, " ")
		switch kind {
		case "ok":
			t.Logf("openid-client: ok %s", arg)
		case "DONE":
			rp.wait(t)
			t.Logf("openid-client flows in %s, whole test in %s", time.Since(flowsStarted).Round(time.Millisecond),
				time.Since(started).Round(time.Millisecond))
			return
		case "AUTHORIZE":
			rp.answer(t, p.authorize(t, c, arg, "Social - Santé").String())
		case "CANCEL":
			rp.answer(t, p.authorize(t, c, arg, "").String())
		case "JWKS":
			id, _ := p.registerClient(t, append([]string{"--name", "RP private_key_jwt",
				"--auth-method", "private_key_jwt", "--jwks-file", arg}, common...)...)
			rp.answer(t, id)
		case "LOGOUT":
			rp.answer(t, followLogout(t, p, c, arg).String())
		default:
			rp.fail(t, "unexpected line from flows.mjs: %q", line)
		}
	}
}

// openIDClientProject returns e2e/openidclient with its node_modules
// installed from the lockfile (npm ci, when missing or older than the
// lockfile).
func openIDClientProject(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node (Node.js ≥ 20) is required for the openid-client tests: install nodejs (make test checks for it)")
	}
	dir := filepath.Join(repoRoot(t), "e2e", "openidclient")
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && !installed.ModTime().Before(lock.ModTime()) {
		return dir
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is required to install e2e/openidclient's packages (npm ci)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in e2e/openidclient: %v\n%s", err, out)
	}
	return dir
}

// sandboxIdentity is the FranceConnect sandbox's test identity id.
func sandboxIdentity(t *testing.T, id string) sandbox.Identity {
	t.Helper()
	all, err := sandbox.DefaultIdentities()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range all {
		if i.ID == id {
			return i
		}
	}
	t.Fatalf("no sandbox identity %q", id)
	return sandbox.Identity{}
}

// rpProcess is the running flows.mjs: its stdout lines, its stdin, and
// everything it printed, logged when the test fails.
type rpProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}
	out   syncBuffer
}

// startRP runs flows.mjs in dir with env; it is killed at cleanup, at the
// latest after two minutes.
func startRP(t *testing.T, dir string, env ...string) *rpProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, "node", "flows.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	rp := &rpProcess{cmd: cmd, lines: make(chan string, 64), done: make(chan struct{})}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stderr = &rp.out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	rp.stdin = stdin
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			rp.out.Write([]byte(sc.Text() + "\n"))
			select {
			case rp.lines <- sc.Text():
			case <-ctx.Done():
			}
		}
		close(rp.lines)
	}()
	go func() {
		cmd.Wait()
		close(rp.done)
	}()
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		<-rp.done
		if t.Failed() {
			t.Logf("flows.mjs (%v) printed:\n%s", cmd.ProcessState, rp.out.String())
		}
	})
	return rp
}

// next returns the next line flows.mjs printed; false once it closed its
// output.
func (rp *rpProcess) next() (string, bool) {
	line, ok := <-rp.lines
	return line, ok
}

func (rp *rpProcess) answer(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(rp.stdin, line+"\n"); err != nil {
		rp.fail(t, "writing to flows.mjs: %v", err)
	}
}

// wait waits for flows.mjs to exit, successfully.
func (rp *rpProcess) wait(t *testing.T) {
	t.Helper()
	rp.stdin.Close()
	<-rp.done
	if !rp.cmd.ProcessState.Success() {
		rp.fail(t, "flows.mjs exited: %v", rp.cmd.ProcessState)
	}
}

// fail fails the test once flows.mjs has exited (its output is logged at
// cleanup).
func (rp *rpProcess) fail(t *testing.T, format string, args ...any) {
	t.Helper()
	rp.stdin.Close()
	select {
	case <-rp.done:
	case <-time.After(10 * time.Second):
	}
	t.Fatalf(format, args...)
}

// followLogout follows the relying party's end_session URL with the
// aidant's browser: Procura must end the aidant's session at once (the
// id_token_hint names them) and send them back to the registered URI.
func followLogout(t *testing.T, p *procura, c *http.Client, logoutURL string) *url.URL {
	t.Helper()
	resp, body := p.get(t, c, logoutURL)
	back, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("end_session answered %d → %q, want a redirect to %s\n%.3000s", resp.StatusCode,
			resp.Header.Get("Location"), rpPostLogoutURI, body)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != rpPostLogoutURI {
		t.Fatalf("logout sent the aidant to %s, want %s", back, rpPostLogoutURI)
	}
	if back.Query().Get("state") == "" {
		t.Fatalf("logout redirect %s carries no state", back)
	}
	resp, _ = p.get(t, c, "/aidant")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/connexion") {
		t.Fatalf("after logout /aidant answered %d → %q, want /connexion: the aidant's session did not end", resp.StatusCode, loc)
	}
	return back
}
