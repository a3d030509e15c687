package authz

import (
	"encoding/base64"
	"net/url"
	"testing"
	"time"
)

// FuzzCheckClientCredentials: any client_id and client assertion from a
// form is accepted or refused as invalid_client, never a panic; what is
// accepted as a client_id can reach a query (valid UTF-8, no NUL).
func FuzzCheckClientCredentials(f *testing.F) {
	payload := func(s string) string {
		return "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(s)) + ".c2ln"
	}
	f.Add("service", payload(`{"exp":1795512600,"iat":1795512500,"jti":"x"}`))
	f.Add("bad\x00id", payload(`{"exp":"soon"}`))
	f.Add("", payload(`{"exp":1e300,"nbf":-1e300}`))
	f.Add("\xff", "a.b.c")
	f.Add("x", payload(`[]`))
	now := time.Unix(1795512500, 0)
	f.Fuzz(func(t *testing.T, clientID, assertion string) {
		if plausibleClientID(clientID) && (len(clientID) > maxClientIDLength || clientID == "") {
			t.Fatalf("implausible client_id accepted: %q", clientID)
		}
		form := url.Values{"client_id": {clientID}, "client_assertion": {assertion}}
		err := checkAssertionTimes(form, now)
		if err == nil && assertion != "" && len(assertion) < 3 {
			t.Fatalf("assertion %q accepted", assertion)
		}
	})
}
