package authz

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"procura/db"
	"procura/db/dbtest"
)

// Malformed input from a client is a 4xx with an OAuth error, never a 5xx:
// client ids PostgreSQL cannot even compare (NUL byte, invalid UTF-8), and
// client assertions that are signed right but expired, not yet valid, or
// valid for too long.
func TestMalformedClientInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		for _, id := range []string{"bad\x00id", "bad\xffid", string(make([]byte, 300))} {
			q := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {"https://x.example/cb"}, "scope": {"openid"}}
			resp, err := op.srv.Client().Get(op.srv.URL + PathAuthorize + "?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("authorize with client_id %.20q = %d, want 400", id, resp.StatusCode)
			}
			for _, path := range []string{PathToken, PathIntrospect, PathRevoke} {
				var e struct{ Error string }
				form := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "token": {"x"}}
				resp := op.postForm(t, path, id, "secret", form, &e)
				if resp.StatusCode != http.StatusUnauthorized || e.Error != "invalid_client" {
					t.Errorf("%s with client_id %.20q = %d %q, want 401 invalid_client", path, id, resp.StatusCode, e.Error)
				}
			}
		}

		rp := op.newRP(t, ClientRegistration{TokenEndpointAuthMethod: AuthMethodPrivateKeyJWT})
		now := time.Now()
		for name, edit := range map[string]func(map[string]any){
			"expired":          func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() },
			"not yet valid":    func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() },
			"issued in future": func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() },
			"valid ten years":  func(c map[string]any) { c["exp"] = now.AddDate(10, 0, 0).Unix() },
			"without exp":      func(c map[string]any) { delete(c, "exp") },
		} {
			form := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {"https://x.example/cb"},
				"client_id":             {rp.client.ID},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {rp.assertionJWTWith(t, randomID(t, "jti-"), edit)}}
			var e struct{ Error string }
			resp := op.postForm(t, PathToken, "", "", form, &e)
			if resp.StatusCode != http.StatusUnauthorized || e.Error != "invalid_client" {
				t.Errorf("assertion %s = %d %q, want 401 invalid_client", name, resp.StatusCode, e.Error)
			}
		}
	})
}
