package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

func TestSessionRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		before := e.sessionRows("1 = 1")
		// An anonymous form page: its token in a cookie of its own, no
		// session row, no session cookie.
		tok := e.token(e.client)
		if ck := e.cookie(e.client); ck != nil {
			t.Fatalf("session cookie %v after an anonymous form page", ck)
		}
		if n := e.sessionRows("1 = 1"); n != before {
			t.Fatalf("%d session rows written by an anonymous form page", n-before)
		}
		// The same token comes back, and no new cookie is sent.
		resp, body := e.get("/test/form")
		if body != tok {
			t.Errorf("second token = %q, want %q", body, tok)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("second page set cookies %v", resp.Cookies())
		}
		// A wrong token is refused; the right one passes, and a value saved
		// by the handler starts the session's row.
		if resp, _ := e.post(e.client, "/test/form", url.Values{"csrf_token": {newCSRFToken()}, "note": {"x"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST with another token = %d, want 403", resp.StatusCode)
		}
		resp, body = e.post(e.client, "/test/form", url.Values{"csrf_token": {tok}, "note": {"été ✓"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST = %d %s", resp.StatusCode, body)
		}
		ck := e.cookie(e.client)
		if ck == nil {
			t.Fatal("no session cookie once the session keeps a value")
		}
		if n := e.sessionRows("id_hash = ? AND account_id IS NULL", rowOf(t, ck)); n != 1 {
			t.Fatalf("%d rows for the new session, want 1", n)
		}
		s, err := e.srv.sessions.New(requestWith(ck), e.srv.sessions.Name())
		if err != nil {
			t.Fatal(err)
		}
		if s.IsNew || s.Values["note"] != "été ✓" {
			t.Errorf("loaded session = new %v, values %v", s.IsNew, s.Values)
		}
	})
}

func TestSessionValues(t *testing.T) {
	in := map[any]any{"s": "texte", "b": true, "n": int64(1) << 60, "neg": int64(-3)}
	data, err := encodeValues(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeValues(data)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range in {
		if out[k] != v {
			t.Errorf("%v: got %#v, want %#v", k, out[k], v)
		}
	}
	for _, bad := range []map[any]any{
		{1: "key not a string"},
		{"f": 1.5},
		{"i": 3}, // int, not int64
		{"l": []string{"x"}},
	} {
		if _, err := encodeValues(bad); err == nil {
			t.Errorf("encodeValues(%v) accepted", bad)
		}
	}
	for _, bad := range []string{`[]`, `{"f": 1.5}`, `{"o": {}}`, `not json`} {
		if _, err := decodeValues([]byte(bad)); err == nil {
			t.Errorf("decodeValues(%s) accepted", bad)
		}
	}
}

func TestSessionCookie(t *testing.T) {
	tests := []struct {
		name       string
		secure     bool
		cookieName string
		csrfCookie string
	}{
		{"dev over http", false, "procura_session", "procura_csrf"},
		{"production over https", true, "__Host-procura", "__Host-procura-csrf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dbtest.SQLite(t), func(s *Settings) { s.SecureCookies = tc.secure })
			check := func(c *http.Cookie, name string) {
				t.Helper()
				if c.Name != name || !c.HttpOnly || c.Secure != tc.secure || c.SameSite != http.SameSiteLaxMode ||
					c.Path != "/" || c.Domain != "" || c.MaxAge != 0 {
					t.Errorf("cookie = %+v, want %s", c, name)
				}
			}
			// An anonymous form page: only the CSRF cookie, holding the
			// form's token (double-submit).
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/test/form", nil))
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies = %v", cookies)
			}
			check(cookies[0], tc.csrfCookie)
			tok := rec.Body.String()
			if cookies[0].Value != tok {
				t.Errorf("CSRF cookie %q, form token %q", cookies[0].Value, tok)
			}
			// Once the session keeps something: the session cookie, an id
			// that says nothing of the token.
			req := httptest.NewRequest(http.MethodPost, "/test/form", strings.NewReader(url.Values{"csrf_token": {tok}, "note": {"x"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(cookies[0])
			rec = httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, req)
			cookies = rec.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies after POST %d = %v", rec.Code, cookies)
			}
			check(cookies[0], tc.cookieName)
			if _, ok := hashSessionID(cookies[0].Value); !ok {
				t.Errorf("cookie value %q is not a 32-byte id", cookies[0].Value)
			}
			if cookies[0].Value == tok {
				t.Error("the session id is the CSRF token")
			}
		})
	}
}

func TestRotate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		accountID := e.newAccount("Camille", "Lefèvre")
		before := e.token(e.client)
		e.post(e.client, "/test/form", url.Values{"csrf_token": {before}, "note": {"gardée"}})
		anonymous := e.cookie(e.client)

		signedIn := e.signIn(e.client, accountID)
		if signedIn.Value == anonymous.Value {
			t.Fatal("sign-in kept the session id")
		}
		if n := e.sessionRows("id_hash = ?", rowOf(t, anonymous)); n != 0 {
			t.Errorf("the pre-sign-in row is still there")
		}
		if n := e.sessionRows("id_hash = ? AND account_id = ?", rowOf(t, signedIn), accountID); n != 1 {
			t.Errorf("no row for the signed-in session with its account_id")
		}
		if got := e.whoami(e.client); got != accountID {
			t.Errorf("whoami = %q, want %q", got, accountID)
		}
		after := e.token(e.client)
		if after == before {
			t.Error("the CSRF token was not renewed at sign-in")
		}
		s, err := e.srv.sessions.New(requestWith(signedIn), e.srv.sessions.Name())
		if err != nil {
			t.Fatal(err)
		}
		if s.Values["note"] != "gardée" {
			t.Errorf("values after rotation = %v", s.Values)
		}
		// The old id, replayed by an attacker who planted or saw it, is worthless.
		attacker := e.newClient()
		u, _ := url.Parse(e.ts.URL)
		attacker.Jar.SetCookies(u, []*http.Cookie{anonymous})
		if got := e.whoami(attacker); got != "anonymous" {
			t.Errorf("the pre-sign-in cookie gives %q", got)
		}
		// The signed-in header shows the name and a sign-out form with the token.
		_, page := e.get("/")
		for _, want := range []string{"Camille Lefèvre", `action="/deconnexion"`, `value="` + after + `"`} {
			if !strings.Contains(page, want) {
				t.Errorf("signed-in page lacks %s", want)
			}
		}
	})
}

func TestRotateNeedsAccount(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	resp, _ := e.post(e.client, "/test/sign-in", url.Values{"csrf_token": {e.token(e.client)}, "account_id": {""}})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("Rotate without account = %d, want 500", resp.StatusCode)
	}
	if got := e.whoami(e.client); got != "anonymous" {
		t.Errorf("whoami = %q", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		accountID := e.newAccount("Camille", "Lefèvre")
		ck := e.signIn(e.client, accountID)

		// Used every 29 minutes, the session lives on.
		for range 3 {
			e.clock.Advance(29 * time.Minute)
			if got := e.whoami(e.client); got != accountID {
				t.Fatalf("after 29 min of idleness: %q", got)
			}
		}
		e.clock.Advance(30*time.Minute + time.Second)
		if got := e.whoami(e.client); got != "anonymous" {
			t.Fatalf("after 30 min of idleness: %q, want anonymous", got)
		}
		if n := e.sessionRows("id_hash = ? AND data = ?", rowOf(t, ck), erasedData); n != 1 {
			t.Error("the ended session's data was not erased, or its bare row not kept")
		}
	})
}

func TestAbsoluteTimeout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		accountID := e.newAccount("Camille", "Lefèvre")
		ck := e.signIn(e.client, accountID)
		var elapsed time.Duration
		for elapsed+20*time.Minute < 10*time.Hour {
			e.clock.Advance(20 * time.Minute)
			elapsed += 20 * time.Minute
			if got := e.whoami(e.client); got != accountID {
				t.Fatalf("after %v of use: %q", elapsed, got)
			}
		}
		e.clock.Advance(10*time.Hour - elapsed)
		if got := e.whoami(e.client); got != "anonymous" {
			t.Fatalf("after 10 h: %q, want anonymous", got)
		}
		if n := e.sessionRows("id_hash = ? AND data = ?", rowOf(t, ck), erasedData); n != 1 {
			t.Error("the ended session's data was not erased, or its bare row not kept")
		}
	})
}

func TestTouchAtMostOncePerMinute(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ck := e.signIn(e.client, e.newAccount("Camille", "Lefèvre"))
		signedInAt := e.clock.Now()
		lastSeen := func() time.Time {
			t.Helper()
			var ts []time.Time
			if err := d.Conn(t.Context()).Raw("SELECT last_seen_at FROM web_sessions WHERE id_hash = ?", rowOf(t, ck)).Scan(&ts).Error; err != nil || len(ts) != 1 {
				t.Fatalf("last_seen_at: %v %v", ts, err)
			}
			return ts[0]
		}
		e.clock.Advance(59 * time.Second)
		e.whoami(e.client)
		if got := lastSeen(); !got.Equal(signedInAt) {
			t.Errorf("after 59 s: last_seen_at = %v, want unchanged %v", got, signedInAt)
		}
		e.clock.Advance(time.Second)
		e.whoami(e.client)
		if got, want := lastSeen(), signedInAt.Add(time.Minute); !got.Equal(want) {
			t.Errorf("after 60 s: last_seen_at = %v, want %v", got, want)
		}
	})
}

func TestDeletedRowSignsOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		accountID := e.newAccount("Camille", "Lefèvre")
		e.signIn(e.client, accountID)
		other := e.newClient()
		e.signIn(other, accountID)

		// What the account package does on deactivation.
		if err := d.Conn(t.Context()).Exec("DELETE FROM web_sessions WHERE account_id = ?", accountID).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range []*http.Client{e.client, other} {
			if got := e.whoami(c); got != "anonymous" {
				t.Errorf("after deletion: %q, want anonymous", got)
			}
		}
	})
}

func TestSaveDoesNotResurrect(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		accountID := e.newAccount("Camille", "Lefèvre")
		ck := e.signIn(e.client, accountID)
		r := requestWith(ck)
		s, err := e.srv.sessions.New(r, e.srv.sessions.Name())
		if err != nil {
			t.Fatal(err)
		}
		// Deactivated while this request was running.
		if err := d.Conn(t.Context()).Exec("DELETE FROM web_sessions WHERE account_id = ?", accountID).Error; err != nil {
			t.Fatal(err)
		}
		s.Values["note"] = "x"
		if err := e.srv.sessions.Save(r, httptest.NewRecorder(), s); err != ErrSessionEnded {
			t.Errorf("Save after deletion = %v, want ErrSessionEnded", err)
		}
		if n := e.sessionRows("account_id = ?", accountID); n != 0 {
			t.Errorf("Save brought the session back (%d rows)", n)
		}
	})
}

func TestSignOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		accountID := e.newAccount("Camille", "Lefèvre")
		ck := e.signIn(e.client, accountID)
		resp, body := e.post(e.client, "/deconnexion", url.Values{"csrf_token": {e.token(e.client)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connexion?fin=1" {
			t.Fatalf("sign-out = %d %s", resp.StatusCode, body)
		}
		var expired bool
		for _, c := range resp.Cookies() {
			expired = expired || (c.Name == ck.Name && c.MaxAge < 0)
		}
		if !expired {
			t.Errorf("sign-out did not expire the cookie: %v", resp.Header["Set-Cookie"])
		}
		if n := e.sessionRows("id_hash = ?", rowOf(t, ck)); n != 0 {
			t.Error("the session row survived sign-out")
		}
		// Even replayed, the old cookie signs nobody in.
		replay := e.newClient()
		u, _ := url.Parse(e.ts.URL)
		replay.Jar.SetCookies(u, []*http.Cookie{ck})
		if got := e.whoami(replay); got != "anonymous" {
			t.Errorf("old cookie after sign-out = %q", got)
		}
		entries, err := e.srv.journal.List(t.Context(), audit.Filter{ActorID: accountID, Action: audit.ActionSessionEnded})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].RequestID == "" {
			t.Errorf("journal entries = %+v, want one session end with its request id", entries)
		}
	})
}

func TestAnonymousVisitsWriteNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		before := e.sessionRows("1 = 1")
		for _, path := range []string{"/static/css/procura.css", "/static/dsfr/dsfr.min.css", "/", "/healthz", "/nope", "/static/nope.css"} {
			resp, _ := e.get(path)
			if len(resp.Cookies()) != 0 {
				t.Errorf("GET %s set cookies %v", path, resp.Cookies())
			}
		}
		if after := e.sessionRows("1 = 1"); after != before {
			t.Errorf("anonymous GETs wrote %d session rows", after-before)
		}
	})
}

// requestWith is a request carrying a session cookie.
func requestWith(c *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(c)
	return r
}

func TestPurgeExpired(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// Rows of other tests (same PostgreSQL database) all end within a day
		// of the test clock's start: go past them and start clean.
		e.clock.Advance(72 * time.Hour)
		if _, err := e.srv.sessions.PurgeExpired(t.Context()); err != nil {
			t.Fatal(err)
		}
		abandoned := e.keepSomething(e.client)
		e.clock.Advance(20 * time.Minute)
		kept := e.newClient()
		e.keepSomething(kept)

		e.clock.Advance(10*time.Minute + time.Second) // abandoned is 30 min idle
		n, err := e.srv.sessions.PurgeExpired(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || e.sessionRows("id_hash = ? AND data = ?", rowOf(t, abandoned), erasedData) != 1 {
			t.Errorf("purged %d rows; abandoned row erased and kept: %d", n, e.sessionRows("id_hash = ? AND data = ?", rowOf(t, abandoned), erasedData))
		}
		if e.sessionRows("id_hash = ?", rowOf(t, e.cookie(kept))) != 1 {
			t.Error("a live session was purged")
		}
		// A day after its end, the bare row goes too.
		e.clock.Advance(endedKeep)
		if _, err := e.srv.sessions.PurgeExpired(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := e.sessionRows("id_hash = ?", rowOf(t, abandoned)); n != 0 {
			t.Errorf("the row of a session ended a day ago is still there")
		}
	})
}
