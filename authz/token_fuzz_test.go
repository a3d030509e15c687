package authz

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"procura/db/dbtest"
)

// FuzzTokenEndpoints posts arbitrary forms, with or without client
// credentials, to the token, revocation, introspection and UserInfo
// endpoints: no panic and no 5xx, whatever the input.
func FuzzTokenEndpoints(f *testing.F) {
	op := newTestOP(f, dbtest.SQLite(f))
	rp := op.newRP(f, ClientRegistration{})
	jwtRP := op.newRP(f, ClientRegistration{TokenEndpointAuthMethod: AuthMethodPrivateKeyJWT})
	basic := rp.client.ID + ":" + rp.secret
	for _, seed := range []struct{ form, auth string }{
		{"", ""},
		{"grant_type=authorization_code&code=abc&redirect_uri=x&code_verifier=" + strings.Repeat("a", 43), basic},
		{"grant_type=refresh_token&refresh_token=ory_rt_x.y", basic},
		{"grant_type=refresh_token&refresh_token=ory_rt_x.y&refresh_token=z", "x:y"},
		{"grant_type=password&username=a&password=b", basic},
		{"grant_type=authorization_code+refresh_token", basic},
		{"grant_type=authorization_code&client_id=" + rp.client.ID + "&client_secret=" + rp.secret, ""},
		{"grant_type=authorization_code&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c", ""},
		{withAssertion(f, jwtRP, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, "fuzz-jti").Encode(), ""},
		{"grant_type=authorization_code&client_assertion_type=other", ""},
		{"token=abc&token_type_hint=refresh_token", basic},
		{"%zz=%", basic},
		{"access_token=" + strings.Repeat("A", 1000), ":"},
	} {
		f.Add(seed.form, seed.auth)
	}
	paths := []string{PathToken, PathRevoke, PathIntrospect, PathUserinfo}
	mux := http.NewServeMux()
	op.p.Register(mux)
	f.Fuzz(func(t *testing.T, form, auth string) {
		for _, path := range paths {
			req := httptest.NewRequest("POST", path, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if id, secret, ok := strings.Cut(auth, ":"); ok {
				req.SetBasicAuth(id, secret)
			} else if auth != "" {
				req.Header.Set("Authorization", "Bearer "+auth)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("POST %s %q (auth %q): %d %s", path, form, auth, w.Code, w.Body)
			}
		}
	})
}
