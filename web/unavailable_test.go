package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"procura/authz"
	"procura/db/dbtest"
)

// While the database is unreachable, people get the French 503 page and
// programs a 503 temporarily_unavailable, both with Retry-After; /healthz
// still answers and /readyz says not ready.
func TestDatabaseUnreachable(t *testing.T) {
	d, cut := dbtest.Cuttable(t)
	e := newEnv(t, d)
	_, aidant := e.orgAndAidant(true)
	service, secret := e.newServiceWithSecret("social")
	c := e.signInAidant(aidant)
	if resp, _ := e.follow(c, "/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz before the cut = %d", resp.StatusCode)
	}
	cut()

	for _, path := range []string{"/aidant", authorizePath(service, nil)} {
		resp, body := e.follow(c, path)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			!strings.Contains(body, "momentanément indisponible") {
			t.Errorf("GET %s without database = %d (Retry-After %q) %.200s\n%s", path, resp.StatusCode, resp.Header.Get("Retry-After"), body, e.logs.String())
		}
	}
	if resp, _ := e.follow(c, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz without database = %d, want 503", resp.StatusCode)
	}
	if resp, _ := e.follow(c, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz without database = %d, want 200", resp.StatusCode)
	}
	for _, path := range []string{authz.PathToken, authz.PathIntrospect, authz.PathRevoke} {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "token": {"x"}, "redirect_uri": {serviceCallback}}
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(service, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			!strings.Contains(b.String(), "temporarily_unavailable") {
			t.Errorf("POST %s without database = %d (Retry-After %q) %s", path, resp.StatusCode, resp.Header.Get("Retry-After"), b.String())
		}
	}
}
