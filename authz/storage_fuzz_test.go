package authz

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ory/fosite"
)

// FuzzDecodeRequest feeds stored columns to the request decoder: whatever a
// damaged or hostile row holds, decoding returns an error or a request
// whose session fosite can use, and a decoded request encodes back to the
// same columns (the encoding is stable).
func FuzzDecodeRequest(f *testing.F) {
	client := &Client{ID: "client-1"}
	seed := func(r *fosite.Request) {
		row, err := encodeRequest(kindAccessToken, "sig", r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(row.RequestedScopes, row.GrantedScopes, row.RequestedAudience, row.Form, row.Session)
	}
	full := &fosite.Request{ID: "r1", RequestedAt: time.Unix(1700000000, 0), Client: client,
		RequestedScope: fosite.Arguments{"openid", "procedure:social"}, GrantedScope: fosite.Arguments{"openid"},
		Form: map[string][]string{"redirect_uri": {"https://s.example/cb"}, "nonce": {"n"}}, Session: testSession()}
	seed(full)
	seed(&fosite.Request{ID: "r2", Client: client, Session: &Session{}})
	f.Add("[]", "[]", "[]", "", "null")
	f.Add(`["a",`, `{}`, `[1]`, "%zz=1&a", `{"oidc":{"expires_at":{"access_token":"not a time"}}}`)
	f.Add(`null`, `[""]`, `["\u0000"]`, "a=%00;b", `{"oidc":null,"auth_time":"2025-01-01T00:00:00Z"}`)
	f.Add(`["x"]`, `["y"]`, `[]`, "redirect_uri=https%3A%2F%2Fs%2Fcb", `{"oidc":{"id_token_claims":{"ext":{"a":[1,{"b":null}]}},"headers":{"extra":{"kid":1}}}}`)

	f.Fuzz(func(t *testing.T, requestedScopes, grantedScopes, audience, form, session string) {
		row := &requestRow{RequestID: "r", RequestedAt: time.Unix(1700000000, 0).UTC(), ClientID: client.ID,
			RequestedScopes: requestedScopes, GrantedScopes: grantedScopes,
			RequestedAudience: audience, GrantedAudience: audience, Form: form, Session: session}
		r, err := decodeRequest(row, client, nil)
		if err != nil {
			return
		}
		sess, ok := r.GetSession().(*Session)
		if !ok {
			t.Fatalf("session: got %T, want *Session", r.GetSession())
		}
		// What fosite calls on a stored session must not panic.
		_ = sess.GetExpiresAt(fosite.AccessToken)
		_ = sess.GetSubject()
		_ = sess.IDTokenClaims()
		_ = sess.IDTokenHeaders()
		_ = sess.Clone()

		again, err := encodeRequest(kindAccessToken, "sig", r)
		if err != nil {
			t.Fatalf("re-encoding a decoded request: %v", err)
		}
		r2, err := decodeRequest(again, client, nil)
		if err != nil {
			t.Fatalf("decoding a re-encoded request: %v", err)
		}
		third, err := encodeRequest(kindAccessToken, "sig", r2)
		if err != nil {
			t.Fatal(err)
		}
		if third.RequestedScopes != again.RequestedScopes || third.GrantedScopes != again.GrantedScopes ||
			third.GrantedAudience != again.GrantedAudience || third.Form != again.Form || third.Session != again.Session {
			t.Errorf("unstable encoding:\n%+v\n%+v", again, third)
		}
		if !json.Valid([]byte(again.Session)) {
			t.Errorf("encoded session is not JSON: %q", again.Session)
		}
	})
}
