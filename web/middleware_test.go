package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"procura/db/dbtest"
)

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	for _, path := range []string{"/", "/nope", "/static/css/procura.css", "/healthz", "/test/panic"} {
		resp, _ := e.get(path)
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
				"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "same-origin",
			"X-Frame-Options":        "DENY",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("GET %s over an http base URL sent HSTS %q", path, got)
		}
		if !requestIDPattern.MatchString(resp.Header.Get("X-Request-Id")) {
			t.Errorf("GET %s: X-Request-Id = %q", path, resp.Header.Get("X-Request-Id"))
		}
		cache := resp.Header.Get("Cache-Control")
		if strings.HasPrefix(path, "/static/css") {
			if !strings.HasPrefix(cache, "public, max-age=") {
				t.Errorf("GET %s: Cache-Control = %q, want long caching", path, cache)
			}
		} else if cache != "no-store" {
			t.Errorf("GET %s: Cache-Control = %q, want no-store", path, cache)
		}
	}
	if strings.Contains(contentSecurityPolicy, "form-action") {
		t.Error("the CSP has form-action: it would block OIDC redirects after a form POST")
	}
}

func TestHSTSOnlyUnderHTTPS(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t), func(s *Settings) { s.BaseURL = "https://procura.example.gouv.fr" })
	resp, _ := e.get("/")
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=63072000; includeSubDomains" {
		t.Errorf("HSTS = %q", got)
	}
}

func TestRequestIDsDiffer(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	a, _ := e.get("/healthz")
	b, _ := e.get("/healthz")
	if a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
		t.Error("two requests got the same id")
	}
}

func TestErrorPages(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	tests := []struct {
		name   string
		method string
		path   string
		status int
		text   string
		allow  string
	}{
		{"unknown page", http.MethodGet, "/nope", http.StatusNotFound, "Page introuvable", ""},
		{"unknown static file", http.MethodGet, "/static/dsfr/nope.css", http.StatusNotFound, "Page introuvable", ""},
		{"static directory", http.MethodGet, "/static/dsfr/", http.StatusNotFound, "Page introuvable", ""},
		{"Go source of the static package", http.MethodGet, "/static/static.go", http.StatusNotFound, "Page introuvable", ""},
		{"wrong method, unsafe", http.MethodPut, "/healthz", http.StatusMethodNotAllowed, "Méthode non autorisée", "GET, HEAD"},
		{"wrong method, form target", http.MethodGet, "/deconnexion", http.StatusMethodNotAllowed, "Méthode non autorisée", "POST"},
		{"unknown page, POST", http.MethodPost, "/nope", http.StatusNotFound, "Page introuvable", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.do(e.client, tc.method, tc.path, nil, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if !strings.Contains(body, tc.text) || !strings.Contains(body, `<html lang="fr">`) || !strings.Contains(body, "fr-header") {
				t.Errorf("page is not the French DSFR page with %q: %s", tc.text, body)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if !strings.Contains(body, resp.Header.Get("X-Request-Id")) {
				t.Error("the page does not show the request id")
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t)) // MaxBodyBytes 4096
	tok := e.token(e.client)
	big := url.Values{"csrf_token": {tok}, "note": {strings.Repeat("a", 5000)}}.Encode()
	tests := []struct {
		name string
		body func() io.Reader
	}{
		{"announced by Content-Length", func() io.Reader { return strings.NewReader(big) }},
		// An io.Reader of unknown length goes out chunked: the limit bites
		// while reading.
		{"chunked", func() io.Reader { return io.MultiReader(strings.NewReader(big)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.do(e.client, http.MethodPost, "/test/form", tc.body(),
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "Envoi trop volumineux") {
				t.Errorf("status = %d: %s", resp.StatusCode, body)
			}
			if e.count() != 0 {
				t.Error("the handler ran")
			}
		})
	}
	// Just under the limit passes.
	small := url.Values{"csrf_token": {tok}, "note": {strings.Repeat("a", 3000)}}
	if resp, body := e.post(e.client, "/test/form", small); resp.StatusCode != http.StatusOK {
		t.Errorf("a body under the limit = %d: %s", resp.StatusCode, body)
	}
}

func TestMalformedForms(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	tok := e.token(e.client)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"plain", "csrf_token=" + tok + "&note=Bonjour%20%C3%A9t%C3%A9", http.StatusOK},
		{"text area lines", "csrf_token=" + tok + "&note=a%0D%0Ab%09c", http.StatusOK},
		{"invalid UTF-8 value", "csrf_token=" + tok + "&note=%FF%FE", http.StatusBadRequest},
		{"invalid UTF-8 name", "csrf_token=" + tok + "&n%C3=x", http.StatusBadRequest},
		{"NUL", "csrf_token=" + tok + "&note=a%00b", http.StatusBadRequest},
		{"escape", "csrf_token=" + tok + "&note=%1B%5B31m", http.StatusBadRequest},
		{"C1 control", "csrf_token=" + tok + "&note=%C2%85", http.StatusBadRequest},
		{"DEL", "csrf_token=" + tok + "&note=%7F", http.StatusBadRequest},
		{"bad percent-encoding", "csrf_token=" + tok + "&note=%ZZ", http.StatusBadRequest},
		{"semicolon separator", "csrf_token=" + tok + ";note=x", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.count()
			resp, body := e.do(e.client, http.MethodPost, "/test/form", strings.NewReader(tc.body),
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			if tc.want == http.StatusBadRequest {
				if !strings.Contains(body, "caractères non valides") {
					t.Errorf("400 page does not explain: %s", body)
				}
				if e.count() != before {
					t.Error("the handler ran to its end")
				}
			}
		})
	}
}

func TestPanicGivesSafePage(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	resp, body := e.get("/test/panic")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if strings.Contains(body, "secret panic text") || strings.Contains(body, "goroutine") {
		t.Error("the page shows the panic")
	}
	if !strings.Contains(body, "Erreur inattendue") {
		t.Errorf("not the 500 page: %s", body)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "secret panic text") || !strings.Contains(logs, resp.Header.Get("X-Request-Id")) {
		t.Errorf("the panic is not logged with its request id: %s", logs)
	}
	// The server lives on.
	if resp, _ := e.get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("after a panic, /healthz = %d", resp.StatusCode)
	}
}

func TestRequestLog(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	tok := e.token(e.client)
	resp, _ := e.do(e.client, http.MethodPost, "/test/form?code=querysecret",
		strings.NewReader(url.Values{"csrf_token": {tok}, "note": {"formsecret"}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	logs := e.logs.String()
	for _, secret := range []string{"querysecret", "formsecret", tok, e.cookie(e.client).Value} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q: %s", secret, logs)
		}
	}
	var found bool
	for line := range strings.Lines(logs) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "http request" && rec["method"] == "POST" {
			found = true
			if rec["path"] != "/test/form" || rec["status"] != float64(200) || rec["request_id"] != resp.Header.Get("X-Request-Id") || rec["duration"] == nil {
				t.Errorf("request log = %v", rec)
			}
		}
	}
	if !found {
		t.Errorf("no request line in the log: %s", logs)
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name   string
		trust  bool
		remote string
		xff    []string
		want   string
	}{
		{"peer", false, "192.0.2.1:5000", nil, "192.0.2.1"},
		{"untrusted header ignored", false, "192.0.2.1:5000", []string{"198.51.100.7"}, "192.0.2.1"},
		{"trusted, last hop", true, "10.0.0.1:5000", []string{"203.0.113.9, 192.0.2.50,198.51.100.7"}, "198.51.100.7"},
		{"trusted, last header", true, "10.0.0.1:5000", []string{"203.0.113.9", "198.51.100.8"}, "198.51.100.8"},
		{"trusted, garbage", true, "10.0.0.1:5000", []string{"not an ip"}, "10.0.0.1"},
		{"trusted, absent", true, "10.0.0.1:5000", nil, "10.0.0.1"},
		{"IPv6 peer", false, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"IPv4-mapped", true, "10.0.0.1:5000", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{settings: Settings{TrustProxyHeaders: tc.trust}}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientIP(r); got != tc.want {
				t.Errorf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewRefusesMissingDeps(t *testing.T) {
	if _, err := New(Deps{}); err == nil {
		t.Fatal("New accepted empty Deps")
	}
	e := newEnv(t, dbtest.SQLite(t))
	deps := Deps{DB: e.db, Journal: e.srv.journal, Directory: e.srv.directory, Logger: e.srv.log, Now: e.clock.Now, Settings: testSettings()}
	deps.Settings.BaseURL = "localhost:8080"
	if _, err := New(deps); err == nil {
		t.Error("New accepted a base URL without scheme")
	}
}

func TestTwoServersInOneBinary(t *testing.T) {
	a := newEnv(t, dbtest.SQLite(t))
	b := newEnv(t, dbtest.SQLite(t))
	_, aidant := a.orgAndAidant(true)
	session := a.signIn(a.client, aidant.Account.ID)
	tok := a.token(a.client)
	// b knows nothing of a's session.
	u, _ := url.Parse(b.ts.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{session})
	resp, _ := b.do(b.client, http.MethodPost, "/test/form", bytes.NewBufferString(url.Values{"csrf_token": {tok}}.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	// To b, a's cookie names a session it does not have, like one ended
	// elsewhere: the post is refused and the person asked to sign in
	// (form_saved.go), and nothing runs.
	if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusSeeOther || loc.Path != PathSignIn || b.count() != 0 {
		t.Errorf("a's token on b = %d → %s, handler runs %d; want the sign-in page and no run", resp.StatusCode, loc, b.count())
	}
}
