package franceconnect

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"procura/problem"
)

// Seeds run in every `go test`; `go test -fuzz FuzzX ./franceconnect/` explores.

// FuzzComplete throws arbitrary callbacks and token strings at the client's
// parsers: the answer is always an error of one of the kinds, never a panic.
func FuzzComplete(f *testing.F) {
	hp := newHostileProvider(f)
	good := hp.signES256(hp.idTokenClaims("n"))
	f.Add("state", "code", "", good)
	f.Add("state", "", "access_denied", good)
	f.Add("x", "code", "", "e30.e30.e30")
	f.Add("state", "code", "", "eyJhbGciOiJub25lIn0.e30.")
	f.Add("state", "code", "", "a.b.c.d.e")
	f.Add("state", "code", "", strings.Repeat(".", 100))
	f.Fuzz(func(t *testing.T, state, code, errParam, idToken string) {
		hp.mu.Lock()
		hp.rawIDToken = idToken
		hp.mu.Unlock()
		c := hp.client(t, Config{})
		flow := Flow{State: "state", Nonce: "n", CreatedAt: hp.now()}
		q := url.Values{"state": {state}, "code": {code}}
		if errParam != "" {
			q.Set("error", errParam)
		}
		_, _, err := c.Complete(context.Background(), flow, q)
		if err == nil {
			if idToken != good {
				t.Fatalf("Complete accepted id_token %q", idToken)
			}
			return
		}
		var p *problem.Error
		if !errors.As(err, &p) || p.Message == "" {
			t.Fatalf("Complete: %v: want a problem", err)
		}
	})
}
