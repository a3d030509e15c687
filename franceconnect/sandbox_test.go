package franceconnect_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"procura/franceconnect"
	"procura/franceconnect/sandbox"
	"procura/identity"
	"procura/problem"
)

// These tests run the client against the fc-sandbox provider over real
// HTTP, choosing identities on its page as a person would.

const (
	sbClientID      = "procura"
	sbClientSecret  = "secret-de-procura-pour-les-tests"
	sbRedirectURI   = "https://procura.test/franceconnect/callback"
	sbPostLogoutURI = "https://procura.test/franceconnect/logout-callback"
)

type sandboxEnv struct {
	srv    *httptest.Server
	issuer string
	clock  *testClock
}

func startSandbox(t *testing.T, withInvalid bool) *sandboxEnv {
	t.Helper()
	var provider http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		provider.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	issuer := srv.URL + sandbox.IssuerPath
	p, err := sandbox.New(sandbox.Config{
		Issuer: issuer,
		Clients: []sandbox.Client{{
			ID: sbClientID, Secret: sbClientSecret,
			RedirectURIs: []string{sbRedirectURI}, PostLogoutRedirectURIs: []string{sbPostLogoutURI},
		}},
		IncludeInvalidIdentities: withInvalid,
	})
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	provider = p
	return &sandboxEnv{srv: srv, issuer: issuer, clock: newTestClock()}
}

func (e *sandboxEnv) client(t *testing.T) *franceconnect.Client {
	t.Helper()
	c, err := franceconnect.New(context.Background(), franceconnect.Config{
		Issuer: e.issuer, ClientID: sbClientID, ClientSecret: sbClientSecret,
		RedirectURI: sbRedirectURI, PostLogoutRedirectURI: sbPostLogoutURI,
		Now: e.clock.Now,
	})
	if err != nil {
		t.Fatalf("franceconnect.New: %v", err)
	}
	return c
}

// identify begins a flow and chooses identityID on the sandbox's page; it
// returns the flow and the callback's query.
func (e *sandboxEnv) identify(t *testing.T, c *franceconnect.Client, identityID string) (franceconnect.Flow, url.Values) {
	t.Helper()
	flow, authURL, err := c.Begin(context.Background())
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	b := newBrowser(t, sbRedirectURI)
	choice := visit(t, b, http.MethodGet, authURL, nil)
	action := formAction(t, choice, authURL, "/identity")
	back := visit(t, b, http.MethodPost, action, url.Values{"identity": {identityID}})
	return flow, callback(t, back, sbRedirectURI)
}

func TestSandboxHappyPathForEachIdentity(t *testing.T) {
	env := startSandbox(t, false)
	c := env.client(t)
	identities, err := sandbox.DefaultIdentities()
	if err != nil {
		t.Fatal(err)
	}
	subs := map[string]bool{}
	for _, want := range identities {
		t.Run(want.ID, func(t *testing.T) {
			flow, q := env.identify(t, c, want.ID)
			id, ev, err := c.Complete(context.Background(), flow, q)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			got := identity.Identity{
				Issuer: env.issuer, Sub: id.Sub,
				Claims: identity.Claims{GivenName: want.GivenName, FamilyName: want.FamilyName, PreferredUsername: want.PreferredUsername,
					Birthdate: want.Birthdate, Gender: want.Gender, Birthplace: want.Birthplace,
					Birthcountry: want.Birthcountry, Email: want.Email},
			}
			if id != got {
				t.Errorf("identity\n got %+v\nwant %+v", id, got)
			}
			if id.Sub == "" || subs[id.Sub] {
				t.Errorf("sub %q empty or shared with another identity", id.Sub)
			}
			subs[id.Sub] = true
			if ev.IDToken == "" || len(ev.IDTokenSHA256) != 64 || ev.Userinfo == "" || ev.ACR != "eidas1" || ev.AuthTime.IsZero() {
				t.Errorf("evidence %+v", ev)
			}

			// End the FranceConnect session right after, as DESIGN.md §5 asks.
			state := franceconnect.NewState()
			logout := c.LogoutURL(ev.IDToken, state)
			back := visit(t, newBrowser(t, sbPostLogoutURI), http.MethodGet, logout, nil)
			if q := callback(t, back, sbPostLogoutURI); q.Get("state") != state {
				t.Errorf("logout came back with state %q, want %q", q.Get("state"), state)
			}
		})
	}
}

func TestSandboxCancel(t *testing.T) {
	env := startSandbox(t, false)
	c := env.client(t)
	flow, authURL, err := c.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, sbRedirectURI)
	choice := visit(t, b, http.MethodGet, authURL, nil)
	back := visit(t, b, http.MethodPost, formAction(t, choice, authURL, "/abort"), nil)
	_, _, err = c.Complete(context.Background(), flow, callback(t, back, sbRedirectURI))
	if !errors.Is(err, franceconnect.ErrCancelled) {
		t.Fatalf("Complete: %v, want ErrCancelled", err)
	}
	if problem.CodeOf(err) != problem.Unauthorized || problem.MessageOf(err) == "" {
		t.Errorf("problem %s %q", problem.CodeOf(err), problem.MessageOf(err))
	}
}

func TestSandboxStateMismatch(t *testing.T) {
	env := startSandbox(t, false)
	c := env.client(t)
	_, q := env.identify(t, c, "camille-nguyen")
	otherFlow, _, err := c.Begin(context.Background()) // the browser's session holds another flow
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Complete(context.Background(), otherFlow, q); !errors.Is(err, franceconnect.ErrState) {
		t.Fatalf("Complete: %v, want ErrState", err)
	}
}

func TestSandboxReplayedCallback(t *testing.T) {
	env := startSandbox(t, false)
	c := env.client(t)
	flow, q := env.identify(t, c, "jean-luc-darcy")
	if _, _, err := c.Complete(context.Background(), flow, q); err != nil {
		t.Fatalf("first Complete: %v", err)
	}
	// As documented, the caller deletes the flow before Complete: a replay
	// finds none.
	if _, _, err := c.Complete(context.Background(), franceconnect.Flow{}, q); !errors.Is(err, franceconnect.ErrState) {
		t.Fatalf("replay without the flow: %v, want ErrState", err)
	}
	// A caller that kept the flow still fails: the provider refuses the code.
	if _, _, err := c.Complete(context.Background(), flow, q); !errors.Is(err, franceconnect.ErrTokenRefused) {
		t.Fatalf("replay with the flow: %v, want ErrTokenRefused", err)
	}
}

func TestSandboxExpiredFlow(t *testing.T) {
	env := startSandbox(t, false)
	c := env.client(t)
	flow, q := env.identify(t, c, "oceane-payet")
	env.clock.Advance(franceconnect.FlowTTL + time.Second)
	if _, _, err := c.Complete(context.Background(), flow, q); !errors.Is(err, franceconnect.ErrFlowExpired) {
		t.Fatalf("Complete: %v, want ErrFlowExpired", err)
	}
}

func TestSandboxDown(t *testing.T) {
	t.Run("at start", func(t *testing.T) {
		env := startSandbox(t, false)
		env.srv.Close()
		c := env.client(t) // the server must start while FranceConnect is down
		if _, _, err := c.Begin(context.Background()); !errors.Is(err, franceconnect.ErrUnavailable) {
			t.Fatalf("Begin: %v, want ErrUnavailable", err)
		}
		if err := c.Check(context.Background()); !errors.Is(err, franceconnect.ErrUnavailable) {
			t.Fatalf("Check: %v, want ErrUnavailable", err)
		}
	})
	t.Run("during the flow", func(t *testing.T) {
		env := startSandbox(t, false)
		c := env.client(t)
		flow, q := env.identify(t, c, "ange-colonna")
		env.srv.Close()
		_, _, err := c.Complete(context.Background(), flow, q)
		if !errors.Is(err, franceconnect.ErrUnavailable) || problem.MessageOf(err) == "" {
			t.Fatalf("Complete: %v, want ErrUnavailable", err)
		}
	})
}

func TestSandboxInvalidIdentities(t *testing.T) {
	env := startSandbox(t, true)
	c := env.client(t)
	invalid, err := sandbox.InvalidIdentities()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range invalid {
		t.Run(bad.ID, func(t *testing.T) {
			flow, q := env.identify(t, c, bad.ID)
			id, _, err := c.Complete(context.Background(), flow, q)
			var ce *identity.ClaimError
			if !errors.Is(err, franceconnect.ErrInvalidClaims) || !errors.As(err, &ce) {
				t.Fatalf("Complete: %v, want ErrInvalidClaims", err)
			}
			if ce.Claim != bad.Defect {
				t.Errorf("claim %q reported, want %q", ce.Claim, bad.Defect)
			}
			if id != (identity.Identity{}) {
				t.Errorf("an identity came with the error: %+v", id)
			}
		})
	}
}
