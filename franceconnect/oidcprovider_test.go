package franceconnect_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"procura/franceconnect"
	"procura/identity"
)

// These tests run the client against a provider we did not write:
// panva/oidc-provider, a certified OpenID Provider, configured like
// FranceConnect's mock identity providers (oidcprovider/server.mjs).

const (
	opClientID      = "procura"
	opClientSecret  = "secret-de-procura-pour-oidc-provider"
	opRedirectURI   = "https://procura.test/franceconnect/callback"
	opPostLogoutURI = "https://procura.test/franceconnect/logout-callback"
	harnessDir      = "oidcprovider"
)

// startOIDCProvider runs oidcprovider/server.mjs and returns its issuer.
// Node.js is required: `make test` guarantees it, so its absence fails the
// test rather than skipping it.
func startOIDCProvider(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: this test runs oidc-provider on Node.js; install Node.js (make test does) and rerun")
	}
	if _, err := os.Stat(filepath.Join(harnessDir, "node_modules", "oidc-provider", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatal("npm is not on PATH: it installs oidc-provider for this test (npm ci in franceconnect/oidcprovider)")
		}
		ci := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		ci.Dir = harnessDir
		if out, err := ci.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in franceconnect/%s: %v\n%s", harnessDir, err, out)
		}
	}

	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = harnessDir
	cmd.Env = append(os.Environ(),
		"PORT=0", "CLIENT_ID="+opClientID, "CLIENT_SECRET="+opClientSecret,
		"REDIRECT_URI="+opRedirectURI, "POST_LOGOUT_REDIRECT_URI="+opPostLogoutURI)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node server.mjs: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if issuer, ok := strings.CutPrefix(sc.Text(), "oidc-provider ready "); ok {
				ready <- issuer
			}
		}
	}()
	select {
	case issuer := <-ready:
		return issuer
	case <-time.After(30 * time.Second):
		t.Fatalf("oidc-provider did not print its ready line within 30 s; stderr:\n%s", stderr.String())
		return ""
	}
}

func opClient(t *testing.T, issuer string) *franceconnect.Client {
	t.Helper()
	c, err := franceconnect.New(context.Background(), franceconnect.Config{
		Issuer: issuer, ClientID: opClientID, ClientSecret: opClientSecret,
		RedirectURI: opRedirectURI, PostLogoutRedirectURI: opPostLogoutURI,
	})
	if err != nil {
		t.Fatalf("franceconnect.New: %v", err)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	return c
}

// opLogin begins a flow, lets oidc-provider redirect to its login page and
// presses the button whose form action ends with button ("/login" or
// "/abort"); it returns the flow and the callback's query.
func opLogin(t *testing.T, c *franceconnect.Client, button string) (franceconnect.Flow, url.Values) {
	t.Helper()
	flow, authURL, err := c.Begin(context.Background())
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	b := newBrowser(t, opRedirectURI)
	login := visit(t, b, http.MethodGet, authURL, nil)
	if login.status != http.StatusOK {
		t.Fatalf("authorize: status %d, body %.1000s", login.status, login.body)
	}
	back := visit(t, b, http.MethodPost, formAction(t, login, authURL, button), url.Values{})
	return flow, callback(t, back, opRedirectURI)
}

func TestOIDCProvider(t *testing.T) {
	issuer := startOIDCProvider(t)
	c := opClient(t, issuer)

	t.Run("identification", func(t *testing.T) {
		flow, q := opLogin(t, c, "/login")
		if q.Get("iss") != issuer {
			t.Errorf("oidc-provider sends iss (RFC 9207): got %q", q.Get("iss"))
		}
		id, ev, err := c.Complete(context.Background(), flow, q)
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		want := identity.Identity{
			Issuer: issuer, Sub: "usager-oidc-provider-0001",
			Claims: identity.Claims{GivenName: "Marianne Louise", FamilyName: "Lambert", PreferredUsername: "Dupont",
				Birthdate: "1971-05-09", Gender: "female", Birthplace: "33063", Birthcountry: "99100",
				Email: "marianne.lambert@example.org"},
		}
		if id != want {
			t.Errorf("identity\n got %+v\nwant %+v", id, want)
		}
		if ev.Userinfo == "" || ev.ACR != "eidas1" || ev.AuthTime.IsZero() || len(ev.IDTokenSHA256) != 64 {
			t.Errorf("evidence %+v", ev)
		}
		if !strings.HasPrefix(ev.IDToken, "eyJ") || jwsAlg(t, ev.IDToken) != "ES256" || jwsAlg(t, ev.Userinfo) != "ES256" {
			t.Errorf("want ES256 ID token and userinfo")
		}

		// The code is single-use at oidc-provider too.
		if _, _, err := c.Complete(context.Background(), flow, q); !errors.Is(err, franceconnect.ErrTokenRefused) {
			t.Errorf("replayed callback: %v, want ErrTokenRefused", err)
		}

		// RP-initiated logout: oidc-provider asks to confirm, then comes back.
		state := franceconnect.NewState()
		b := newBrowser(t, opPostLogoutURI)
		confirm := visit(t, b, http.MethodGet, c.LogoutURL(ev.IDToken, state), nil)
		form := hiddenInputs(confirm.body)
		form.Set("logout", "yes")
		back := visit(t, b, http.MethodPost, formAction(t, confirm, issuer, "/session/end/confirm"), form)
		if got := callback(t, back, opPostLogoutURI).Get("state"); got != state {
			t.Errorf("logout came back with state %q, want %q", got, state)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		flow, q := opLogin(t, c, "/abort")
		if _, _, err := c.Complete(context.Background(), flow, q); !errors.Is(err, franceconnect.ErrCancelled) {
			t.Fatalf("Complete: %v, want ErrCancelled", err)
		}
	})

	t.Run("state of another flow", func(t *testing.T) {
		_, q := opLogin(t, c, "/login")
		other, _, err := c.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Complete(context.Background(), other, q); !errors.Is(err, franceconnect.ErrState) {
			t.Fatalf("Complete: %v, want ErrState", err)
		}
	})
}

var hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

func hiddenInputs(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInputRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// jwsAlg reads the alg of a compact JWS's header.
func jwsAlg(t *testing.T, jws string) string {
	t.Helper()
	head, _, _ := strings.Cut(jws, ".")
	m := regexp.MustCompile(`"alg":"([^"]+)"`).FindStringSubmatch(decodeSegment(head))
	if m == nil {
		return ""
	}
	return m[1]
}

// lockedBuffer collects a child process's stderr for a failure message.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func decodeSegment(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return string(b)
}
