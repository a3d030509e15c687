package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"procura/db"
	"procura/db/dbtest"
)

// An anonymous client cannot grow the journal: refused sign-ins for an
// unknown email, attempts during a lockout and FranceConnect callbacks for
// no flow are logged (one line per address per 10 s) and counted.
func TestNoiseIsLoggedNotJournaled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		entries := func() int64 {
			var n int64
			d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM audit_entries").Scan(&n)
			return n
		}
		before := entries()
		c := e.newClient()
		const attempts = 12 // past the lockout threshold: the later ones are refused as locked out
		for range attempts {
			tok := e.pageToken(c, "/connexion")
			resp, _ := e.post(c, "/connexion", url.Values{"csrf_token": {tok}, "email": {"nobody-" + t.Name() + "@example.fr"},
				"password": {"whatever-password"}, "code": {"123456"}})
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("sign-in of an unknown email = %d", resp.StatusCode)
			}
			e.follow(c, "/franceconnect/callback?code=forged&state=forged")
		}
		if n := entries() - before; n != 0 {
			t.Errorf("%d journal entries for requests naming no one", n)
		}
		if got := e.srv.noise.count("sign_in_refused"); got != attempts {
			t.Errorf("%d sign-in refusals counted, want %d", got, attempts)
		}
		if got := e.srv.noise.count("franceconnect_callback_without_flow"); got != attempts {
			t.Errorf("%d callbacks counted, want %d", got, attempts)
		}
		rec := httptest.NewRecorder()
		e.metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		for _, want := range []string{
			fmt.Sprintf(`procura_noise_total{kind="sign_in_refused"} %d`, attempts),
			fmt.Sprintf(`procura_noise_total{kind="franceconnect_callback_without_flow"} %d`, attempts),
		} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if lines := strings.Count(e.logs.String(), "not journaled"); lines != 1 {
			t.Errorf("%d log lines within 10 s from one address, want 1", lines)
		}
		e.clock.Advance(11 * time.Second)
		e.follow(c, "/franceconnect/callback?code=forged&state=forged")
		if lines := strings.Count(e.logs.String(), "not journaled"); lines != 2 || !strings.Contains(e.logs.String(), `"suppressed_since_last_line":23`) {
			t.Errorf("after 10 s: %d lines, want 2 with 23 suppressed: %s", lines, e.logs.String())
		}
	})
}
