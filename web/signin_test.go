package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
)

var signInSeq atomic.Int64

// orgAndAidant creates an organisation and an aidant in it, with a TOTP
// seed when enrol is set.
func (e *env) orgAndAidant(enrol bool) (account.Organisation, account.Created) {
	e.t.Helper()
	ctx := context.Background()
	n := signInSeq.Add(1)
	org, err := e.srv.directory.CreateOrganisation(ctx, account.Operator, account.NewOrganisation{SIRET: luhnSIRET(e.t, n), Name: fmt.Sprintf("Structure %d", n)})
	if err != nil {
		e.t.Fatal(err)
	}
	until := e.clock.Now().AddDate(1, 0, 0)
	c, err := e.srv.directory.CreateAccount(ctx, account.Operator, account.NewAccount{
		Email: fmt.Sprintf("aidant-%d-%d@example.fr", n, time.Now().UnixNano()), GivenName: "Camille", FamilyName: "Lefèvre",
		Password: "correct horse battery", OrganisationID: org.ID, Roles: []account.Role{account.RoleAidant},
		HabilitatedUntil: &until, EnrolTOTP: enrol,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return org, c
}

func luhnSIRET(t *testing.T, n int64) string {
	base := fmt.Sprintf("%013d", (time.Now().UnixNano()/1000%1e9)*1000+n%1000)
	for d := 0; d <= 9; d++ {
		if s := base + fmt.Sprint(d); account.ValidSIRET(s) {
			return s
		}
	}
	t.Fatal("no Luhn key")
	return ""
}

func (e *env) totp(secret string) string {
	e.t.Helper()
	code, err := account.TOTPCode(secret, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// pageToken GETs path with c and returns the CSRF token of its form.
func (e *env) pageToken(c *http.Client, path string) string {
	e.t.Helper()
	resp, body := e.do(c, http.MethodGet, path, nil, nil)
	m := csrfInput.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		e.t.Fatalf("GET %s = %d, no CSRF field", path, resp.StatusCode)
	}
	return m[1]
}

// state is what a refused request must leave unchanged.
func (e *env) state() string {
	e.t.Helper()
	var out []string
	for _, table := range []string{"audit_entries", "sign_in_throttle", "web_sessions WHERE account_id IS NOT NULL", "accounts WHERE totp_secret IS NOT NULL"} {
		var n int64
		if err := e.db.Conn(context.Background()).Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
			e.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d", table, n))
	}
	return strings.Join(out, " ")
}

func TestSignInJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		c := e.newClient()
		tok := e.pageToken(c, "/connexion")
		before := e.cookie(c)
		resp, body := e.post(c, "/connexion", url.Values{"csrf_token": {tok}, "email": {aidant.Account.Email},
			"password": {"correct horse battery"}, "code": {e.totp(aidant.TOTPSecret)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/aidant" {
			t.Fatalf("sign-in = %d %s", resp.StatusCode, body)
		}
		if after := e.cookie(c); after == nil || (before != nil && after.Value == before.Value) {
			t.Error("the session id was not rotated at sign-in")
		}
		resp, body = e.do(c, http.MethodGet, "/aidant", nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Bonjour Camille") || !strings.Contains(body, org.Name) ||
			!strings.Contains(body, "Logement") {
			t.Fatalf("home = %d %s", resp.StatusCode, body)
		}
		// Signed in, the sign-in page sends home.
		if resp, _ := e.do(c, http.MethodGet, "/connexion", nil, nil); resp.Header.Get("Location") != "/aidant" {
			t.Errorf("GET /connexion signed in → %s", resp.Header.Get("Location"))
		}
		tok = csrfInput.FindStringSubmatch(body)[1]
		resp, _ = e.post(c, "/deconnexion", url.Values{"csrf_token": {tok}})
		if resp.Header.Get("Location") != "/connexion?fin=1" {
			t.Fatalf("sign-out → %s", resp.Header.Get("Location"))
		}
		if _, body := e.do(c, http.MethodGet, "/connexion?fin=1", nil, nil); !strings.Contains(body, "Vous êtes déconnecté") {
			t.Error("no signed-out notice")
		}
		if resp, _ := e.do(c, http.MethodGet, "/aidant", nil, nil); resp.Header.Get("Location") != "/connexion?retour=%2Faidant" {
			t.Errorf("GET /aidant after sign-out = %d → %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestSignInRefusalsShowTheForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		c := e.newClient()
		code := e.totp(aidant.TOTPSecret)
		signIn := func(code string) (*http.Response, string) {
			return e.post(c, "/connexion", url.Values{"csrf_token": {e.pageToken(c, "/connexion")}, "email": {aidant.Account.Email},
				"password": {"correct horse battery"}, "code": {code}})
		}
		wrong := "000000"
		if wrong == code {
			wrong = "000001"
		}
		resp, body := signIn(wrong)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Adresse électronique, mot de passe ou code incorrect.") ||
			!strings.Contains(body, `value="`+aidant.Account.Email+`"`) {
			t.Fatalf("wrong code = %d %s", resp.StatusCode, body)
		}
		if resp, _ := signIn(code); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("right code = %d", resp.StatusCode)
		}
		c = e.newClient()
		if resp, body := signIn(code); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Ce code a déjà été utilisé.") {
			t.Fatalf("replayed code = %d %s", resp.StatusCode, body)
		}
		for i := 0; i < 5; i++ {
			resp, body = signIn(wrong)
		}
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Trop de tentatives") {
			t.Fatalf("after repeated failures = %d %s", resp.StatusCode, body)
		}
	})
}

func TestSignInBadInputStoresNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		c := e.newClient()
		tok := e.pageToken(c, "/connexion")
		form := func(email string) string {
			return "csrf_token=" + url.QueryEscape(tok) + "&email=" + email + "&password=correct+horse+battery&code=123456"
		}
		tests := []struct {
			name, method, path, body, contentType string
			status                                int
		}{
			{"no CSRF token", "POST", "/connexion", "email=" + url.QueryEscape(aidant.Account.Email) + "&password=x&code=1", "application/x-www-form-urlencoded", http.StatusForbidden},
			{"wrong CSRF token", "POST", "/connexion", "csrf_token=forged&email=a%40b.fr", "application/x-www-form-urlencoded", http.StatusForbidden},
			{"non-UTF-8 email", "POST", "/connexion", form("%ff%fe"), "application/x-www-form-urlencoded", http.StatusBadRequest},
			{"control character", "POST", "/connexion", form("a%00b%40example.fr"), "application/x-www-form-urlencoded", http.StatusBadRequest},
			{"malformed encoding", "POST", "/connexion", form("%zz"), "application/x-www-form-urlencoded", http.StatusBadRequest},
			{"oversized form", "POST", "/connexion", form(strings.Repeat("a", 8000)), "application/x-www-form-urlencoded", http.StatusRequestEntityTooLarge},
			{"broken multipart", "POST", "/connexion", "--x\r\nnot a part", "multipart/form-data; boundary=x", http.StatusBadRequest},
			{"enrolment without password first", "GET", "/connexion/totp", "", "", http.StatusUnauthorized},
			{"enrolment code without password first", "POST", "/connexion/totp", "csrf_token=" + url.QueryEscape(tok) + "&code=123456", "application/x-www-form-urlencoded", http.StatusUnauthorized},
			{"unknown route", "GET", "/connexion/inconnue", "", "", http.StatusNotFound},
			{"wrong method", "DELETE", "/connexion", "", "", http.StatusMethodNotAllowed},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := e.state()
				var h http.Header
				if tt.contentType != "" {
					h = http.Header{"Content-Type": {tt.contentType}}
				}
				resp, body := e.do(c, tt.method, tt.path, strings.NewReader(tt.body), h)
				if resp.StatusCode != tt.status {
					t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
				}
				if !strings.Contains(body, `lang="fr"`) || strings.Contains(body, "goroutine") {
					t.Errorf("not a French error page: %.300s", body)
				}
				if after := e.state(); after != before {
					t.Errorf("stored something: %s → %s", before, after)
				}
			})
		}
	})
}

var secretPattern = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

func TestEnrolmentJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(false)
		c := e.newClient()
		resp, body := e.post(c, "/connexion", url.Values{"csrf_token": {e.pageToken(c, "/connexion")}, "email": {aidant.Account.Email},
			"password": {"correct horse battery"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connexion/totp" {
			t.Fatalf("password only = %d %s", resp.StatusCode, body)
		}
		if e.whoami(c) != "anonymous" {
			t.Fatal("signed in before enrolling a TOTP")
		}
		resp, body = e.do(c, http.MethodGet, "/connexion/totp", nil, nil)
		m := secretPattern.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, `src="data:image/png;base64,`) {
			t.Fatalf("enrolment page = %d %s", resp.StatusCode, body)
		}
		// Reloading shows the same seed.
		if _, again := e.do(c, http.MethodGet, "/connexion/totp", nil, nil); secretPattern.FindStringSubmatch(again)[1] != m[1] {
			t.Error("the seed changed on reload")
		}
		tok := csrfInput.FindStringSubmatch(body)[1]
		resp, body = e.post(c, "/connexion/totp", url.Values{"csrf_token": {tok}, "code": {"12345"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Le code saisi ne correspond pas") {
			t.Fatalf("wrong enrolment code = %d %s", resp.StatusCode, body)
		}
		resp, body = e.post(c, "/connexion/totp", url.Values{"csrf_token": {tok}, "code": {e.totp(m[1])}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/aidant" {
			t.Fatalf("enrolment = %d %s", resp.StatusCode, body)
		}
		if e.whoami(c) != aidant.Account.ID {
			t.Error("not signed in after enrolment")
		}
		// The pending state expires: a new password-only attempt after 11 minutes must start again.
		c2 := e.newClient()
		_, second := e.orgAndAidant(false)
		e.post(c2, "/connexion", url.Values{"csrf_token": {e.pageToken(c2, "/connexion")}, "email": {second.Account.Email}, "password": {"correct horse battery"}})
		e.clock.Advance(11 * time.Minute)
		if resp, _ := e.do(c2, http.MethodGet, "/connexion/totp", nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("stale pending enrolment = %d, want 401", resp.StatusCode)
		}
	})
}

func TestSwitchOrganisationPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		_, aidant := e.orgAndAidant(true)
		second, _ := e.orgAndAidant(false)
		stranger, _ := e.orgAndAidant(false)
		if err := e.srv.directory.AddMembership(ctx, account.Operator, aidant.Account.ID, second.ID, account.RoleManager); err != nil {
			t.Fatal(err)
		}
		c := e.newClient()
		e.post(c, "/connexion", url.Values{"csrf_token": {e.pageToken(c, "/connexion")}, "email": {aidant.Account.Email},
			"password": {"correct horse battery"}, "code": {e.totp(aidant.TOTPSecret)}})
		tok := e.pageToken(c, "/aidant")
		resp, _ := e.post(c, "/aidant/organisation", url.Values{"csrf_token": {tok}, "organisation_id": {second.ID}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("switch = %d", resp.StatusCode)
		}
		_, body := e.do(c, http.MethodGet, resp.Header.Get("Location"), nil, nil)
		if !strings.Contains(body, "Vous travaillez maintenant pour "+second.Name) || !strings.Contains(body, "responsable de structure") {
			t.Fatalf("after switch: %s", body)
		}
		for _, forged := range []string{stranger.ID, "not-a-uuid", ""} {
			resp, body = e.post(c, "/aidant/organisation", url.Values{"csrf_token": {tok}, "organisation_id": {forged}})
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Organisation introuvable") {
				t.Errorf("switch to %q = %d", forged, resp.StatusCode)
			}
		}
		var refused int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_entries WHERE action = 'organisation.cross_access_refused' AND actor_id = ?", aidant.Account.ID).Scan(&refused)
		if refused != 3 {
			t.Errorf("%d refusals audited, want 3", refused)
		}
	})
}

// Anonymous page views write no session row: a client hammering the
// sign-in page or the usager space's door cannot grow web_sessions.
func TestAnonymousPagesWriteNoSession(t *testing.T) {
	e := newEnv(t, dbtest.Postgres(t))
	before := e.sessionRows("1 = 1")
	for i := 0; i < 5; i++ {
		for _, path := range []string{PathSignIn, PathUsagerLanding, "/"} {
			resp, _ := e.follow(e.newClient(), path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", path, resp.StatusCode)
			}
		}
	}
	if n := e.sessionRows("1 = 1") - before; n != 0 {
		t.Errorf("%d session rows written by anonymous page views", n)
	}
}
