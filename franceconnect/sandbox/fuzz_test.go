package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"procura/franceconnect/sandbox"
)

// fuzzProvider is a Provider served in-process, for fuzzing.
func fuzzProvider(f *testing.F) *sandbox.Provider {
	f.Helper()
	p, err := sandbox.New(sandbox.Config{
		Issuer: "http://sandbox.test/api/v2",
		Clients: []sandbox.Client{{ID: clientID, Secret: clientSecret, RedirectURIs: []string{redirectURI},
			PostLogoutRedirectURIs: []string{postLogoutURI}}},
	})
	if err != nil {
		f.Fatal(err)
	}
	return p
}

// Whatever the query, authorize never fails with 5xx and never redirects
// anywhere but the registered redirect URI.
func FuzzAuthorize(f *testing.F) {
	f.Add(validAuthorize().Encode())
	f.Add("client_id=" + clientID + "&redirect_uri=" + url.QueryEscape(redirectURI))
	f.Add("client_id=" + clientID + "&redirect_uri=" + url.QueryEscape(redirectURI) + "&claims=%7B%22id_token%22%3Anull%7D&state=%00")
	f.Add("%zz&client_id=;&&==")
	p := fuzzProvider(f)
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "http://sandbox.test/api/v2/authorize", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q", rec.Code, query)
		}
		if loc := rec.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "https://service.example/franceconnect/callback?") {
			t.Fatalf("redirect to %q for %q", loc, query)
		}
	})
}

// Whatever the form, token answers a JSON error and never 5xx.
func FuzzToken(f *testing.F) {
	f.Add("grant_type=authorization_code&code=x&redirect_uri=" + url.QueryEscape(redirectURI) + "&client_id=" + clientID + "&client_secret=" + clientSecret)
	f.Add("client_id=" + clientID + "&client_secret=" + clientSecret + "&grant_type=authorization_code&code=&code=")
	f.Add("%%%")
	p := fuzzProvider(f)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "http://sandbox.test/api/v2/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}

// Whatever the query, session/end never fails with 5xx and redirects only
// to the registered post-logout URI.
func FuzzEndSession(f *testing.F) {
	f.Add("id_token_hint=eyJhbGciOiJFUzI1NiJ9.e30.AAAA&post_logout_redirect_uri=" + url.QueryEscape(postLogoutURI) + "&state=s")
	f.Add("id_token_hint=a.b.c.d.e")
	f.Add("id_token_hint=...")
	p := fuzzProvider(f)
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "http://sandbox.test/api/v2/session/end", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q", rec.Code, query)
		}
		if loc := rec.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, postLogoutURI+"?") {
			t.Fatalf("redirect to %q for %q", loc, query)
		}
	})
}
