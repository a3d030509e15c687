package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
)

// signInWithForm signs aidant in through the sign-in form, with retour if
// set, and returns where the sign-in continues.
func (e *env) signInWithForm(c *http.Client, aidant account.Created, retour string) string {
	e.t.Helper()
	form := url.Values{"csrf_token": {e.pageToken(c, PathSignIn)}, "email": {aidant.Account.Email},
		"password": {"correct horse battery"}, "code": {e.totp(aidant.TOTPSecret)}}
	if retour != "" {
		form.Set("retour", retour)
	}
	resp, body := e.post(c, PathSignIn, form)
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign-in = %d %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

func TestSessionEndIsExplained(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		cases := []struct {
			name   string
			end    func(c *http.Client)
			want   string
			notice string
		}{
			{"idle", func(*http.Client) { e.clock.Advance(30*time.Minute + time.Second) }, "inactivite",
				"Votre session a pris fin après 30 minutes sans activité"},
			{"absolute", func(c *http.Client) {
				for range 20 { // used every 29 minutes for 10 hours
					e.clock.Advance(29 * time.Minute)
					e.whoami(c)
				}
				e.clock.Advance(time.Hour)
			}, "duree", "une session dure au plus 10 heures"},
			{"closed", func(*http.Client) {
				// What the account package does on deactivation or a new password.
				if _, err := e.srv.sessions.EndAccountSessions(t.Context(), aidant.Account.ID); err != nil {
					t.Fatal(err)
				}
			}, "fermee", "Votre session a été fermée"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := e.newClient()
				e.clock.Advance(time.Minute) // a fresh TOTP code
				e.signInWithForm(c, aidant, "")
				tc.end(c)
				resp, _ := e.do(c, http.MethodGet, "/aidant/usagers?q=dupont", nil, nil)
				loc, _ := url.Parse(resp.Header.Get("Location"))
				if resp.StatusCode != http.StatusSeeOther || loc.Path != PathSignIn || loc.Query().Get("fin") != tc.want ||
					loc.Query().Get("retour") != "/aidant/usagers?q=dupont" {
					t.Fatalf("GET after the end = %d → %s, want the sign-in page with fin=%s and the page asked for", resp.StatusCode, loc, tc.want)
				}
				_, body := e.do(c, http.MethodGet, loc.RequestURI(), nil, nil)
				if !strings.Contains(body, tc.notice) || !strings.Contains(body, `name="retour" value="/aidant/usagers?q=dupont"`) {
					t.Errorf("sign-in page: no %q or no return field:\n%s", tc.notice, body)
				}
				e.clock.Advance(time.Minute)
				if got := e.signInWithForm(c, aidant, loc.Query().Get("retour")); got != "/aidant/usagers?q=dupont" {
					t.Errorf("sign-in continues to %q, want the page asked for", got)
				}
			})
		}
	})
}

func TestUnsafeReturnPathsAreRefused(t *testing.T) {
	unsafe := []string{
		"", "aidant", "//evil.example/x", "///evil.example", "/\\evil.example", "\\\\evil.example", "/\\/evil.example",
		"https://evil.example/", "http:/evil.example", "javascript:alert(1)", "/\t/evil.example", "/\n/evil.example",
		"/ /evil.example", "/%2F/evil.example", "/%5Cevil.example", "/connexion", "/connexion?retour=/aidant", "/deconnexion",
		"/aidant\x00", "/" + strings.Repeat("a", maxReturnPath),
	}
	for _, p := range unsafe {
		if safeReturnPath(p) {
			t.Errorf("safeReturnPath(%q) = true", p)
		}
	}
	for _, p := range []string{"/aidant", "/aidant/usagers?q=le+goff&statut=actif", "/responsable/journal?du=2026-11-01"} {
		if !safeReturnPath(p) {
			t.Errorf("safeReturnPath(%q) = false", p)
		}
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		for _, p := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example"} {
			c := e.newClient()
			_, body := e.do(c, http.MethodGet, PathSignIn+"?"+url.Values{"retour": {p}}.Encode(), nil, nil)
			if strings.Contains(body, `name="retour"`) {
				t.Errorf("the sign-in page carries retour=%q", p)
			}
			e.clock.Advance(time.Minute)
			if got := e.signInWithForm(c, aidant, p); got != PathAidantHome {
				t.Errorf("sign-in with retour=%q continues to %q, want %s", p, got, PathAidantHome)
			}
		}
	})
}

// savedFormOf opens client c's saved-form cookie.
func (e *env) savedFormOf(c *http.Client) (savedForm, string, bool) {
	e.t.Helper()
	u, _ := url.Parse(e.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name != e.srv.savedFormCookieName() {
			continue
		}
		sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
		if err != nil {
			e.t.Fatal(err)
		}
		b, err := e.srv.pendingSealer.Open(sealed, []byte(savedFormSealContext))
		if err != nil {
			e.t.Fatal(err)
		}
		var f savedForm
		if err := json.Unmarshal(b, &f); err != nil {
			e.t.Fatal(err)
		}
		return f, ck.Value, true
	}
	return savedForm{}, "", false
}

func TestFormPostedAfterSessionEndIsShownAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		c := e.newClient()
		e.signInWithForm(c, aidant, "")
		tok := e.pageToken(c, PathMandateNew)
		e.clock.Advance(31 * time.Minute)
		before := e.state()

		form := url.Values{"csrf_token": {tok}, "procedures": {"logement", "social"}, "duration": {"182"},
			"password": {"secret de Camille"}, "code": {"123456"}, "totp_code": {"654321"}}
		resp, body := e.do(c, http.MethodPost, PathMandateNew, strings.NewReader(form.Encode()), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "Referer": {e.ts.URL + PathMandateNew}})
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc.Path != PathSignIn || loc.Query().Get("fin") != "inactivite" ||
			loc.Query().Get("retour") != PathMandateNew || loc.Query().Get("formulaire") != "1" {
			t.Fatalf("POST after the end = %d → %s %s", resp.StatusCode, loc, body)
		}
		if after := e.state(); after != before {
			t.Errorf("the refused post changed %s into %s", before, after)
		}
		saved, raw, ok := e.savedFormOf(c)
		if !ok {
			t.Fatal("no saved form")
		}
		if strings.Contains(raw, "logement") {
			t.Error("the saved form is readable in its cookie")
		}
		for _, secret := range []string{"csrf_token", "password", "code", "totp_code"} {
			if saved.Fields.Has(secret) {
				t.Errorf("the saved form keeps the secret field %q", secret)
			}
		}
		if saved.AccountID != aidant.Account.ID || saved.Fields.Get("duration") != "182" {
			t.Errorf("saved form = %+v", saved)
		}

		_, body = e.do(c, http.MethodGet, loc.RequestURI(), nil, nil)
		if !strings.Contains(body, "sauf les mots de passe et les codes") {
			t.Errorf("the sign-in page does not say the form is kept:\n%s", body)
		}
		e.clock.Advance(time.Minute)
		if got := e.signInWithForm(c, aidant, PathMandateNew); got != PathMandateNew {
			t.Fatalf("sign-in continues to %q", got)
		}
		_, body = e.do(c, http.MethodGet, PathMandateNew, nil, nil)
		for _, want := range []string{`value="logement" checked`, `value="social" checked`, `value="182" checked`, "Rien n&#39;a encore été enregistré"} {
			if !strings.Contains(body, want) {
				t.Errorf("the form shown again lacks %q", want)
			}
		}
		if strings.Contains(body, "secret de Camille") || strings.Contains(body, `value="papiers" checked`) {
			t.Error("the form shown again shows a secret, or what was not typed")
		}
		// Once only.
		if _, body := e.do(c, http.MethodGet, PathMandateNew, nil, nil); strings.Contains(body, " checked") {
			t.Error("the saved form was shown twice")
		}
	})
}

func TestSavedFormGoesToNobodyElse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, first := e.orgAndAidant(true)
		_, second := e.orgAndAidant(true)
		c := e.newClient()
		e.signInWithForm(c, first, "")
		tok := e.pageToken(c, PathMandateNew)
		e.clock.Advance(31 * time.Minute)
		// Without a Referer: the form's path is a page too, so it is where
		// the sign-in continues.
		resp, _ := e.post(c, PathMandateNew, url.Values{"csrf_token": {tok}, "procedures": {"logement"}, "duration": {"31"}})
		if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusSeeOther || loc.Query().Get("retour") != PathMandateNew {
			t.Fatalf("POST after the end = %d → %s", resp.StatusCode, loc)
		}
		// Someone else signs in at the same computer.
		e.signInWithForm(c, second, PathMandateNew)
		if _, body := e.do(c, http.MethodGet, PathMandateNew, nil, nil); strings.Contains(body, " checked") {
			t.Error("another aidant saw the form of the first")
		}
		if _, _, ok := e.savedFormOf(c); ok {
			t.Error("the saved form outlived another person's sign-in")
		}
	})
}

func TestPostAfterSessionEndStillRefusedFromAnotherSite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		c := e.newClient()
		e.signInWithForm(c, aidant, "")
		tok := e.pageToken(c, PathMandateNew)
		e.clock.Advance(31 * time.Minute)
		form := url.Values{"csrf_token": {tok}, "procedures": {"logement"}, "duration": {"31"}}
		resp, _ := e.do(c, http.MethodPost, PathMandateNew, strings.NewReader(form.Encode()), http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST after the end = %d, want 403", resp.StatusCode)
		}
		if _, _, ok := e.savedFormOf(c); ok {
			t.Error("a cross-site post was kept")
		}
		// With a live session, a wrong token is still a 403.
		c2 := e.newClient()
		e.clock.Advance(time.Minute)
		e.signInWithForm(c2, aidant, "")
		form.Set("csrf_token", "forged")
		if resp, _ := e.post(c2, PathMandateNew, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("wrong token with a live session = %d, want 403", resp.StatusCode)
		}
	})
}

// The invitation form of the manager space, typed then sent after the
// session ended: shown again with the names and the email typed.
func TestInvitationFormPostedAfterSessionEndIsShownAgain(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	org, _ := e.orgAndAidant(true)
	manager := e.addAccount(org.ID, account.RoleManager)
	c := e.signInAidant(manager)
	tok := e.pageToken(c, PathManagerNewMember)
	e.clock.Advance(31 * time.Minute)
	typed := url.Values{"csrf_token": {tok}, "given_name": {"Aïcha"},
		"family_name": {"N'Diaye"}, "email": {"aicha.ndiaye@example.fr"}, "role": {"aidant", "manager"}}
	resp, _ := e.do(c, http.MethodPost, PathManagerInvitations, strings.NewReader(typed.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Referer": {e.ts.URL + PathManagerNewMember}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("formulaire") != "1" || loc.Query().Get("retour") != PathManagerNewMember {
		t.Fatalf("POST after the end = %d → %s", resp.StatusCode, loc)
	}
	form := url.Values{"csrf_token": {e.pageToken(c, loc.RequestURI())}, "email": {manager.Account.Email},
		"password": {"correct horse battery"}, "code": {e.nextCode(manager)}, "retour": {loc.Query().Get("retour")}}
	if resp, _ := e.post(c, PathSignIn, form); resp.Header.Get("Location") != PathManagerNewMember {
		t.Fatalf("sign-in → %s", resp.Header.Get("Location"))
	}
	_, body := e.follow(c, PathManagerNewMember)
	for _, want := range []string{`value="Aïcha"`, `value="N&#39;Diaye"`, `value="aicha.ndiaye@example.fr"`, `value="manager" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("the invitation form shown again lacks %s", want)
		}
	}
}

// Each of the three forms of the manager's settings page, typed then sent
// after the session ended, comes back as typed after the sign-in.
func TestSettingsFormsPostedAfterSessionEndAreShownAgain(t *testing.T) {
	cases := []struct {
		name   string
		action string
		typed  url.Values
		want   []string
	}{
		{"organisation", PathManagerSettings, url.Values{"name": {"Maison France Services d'Ys"}, "procedure": {"social", "logement"}},
			[]string{`value="Maison France Services d&#39;Ys"`}},
		{"thresholds", PathManagerAlertThresholds, url.Values{"facteur_volume": {"9"}, "refus": {"17"}},
			[]string{`value="17"`, `value="9"`}},
		{"contact", PathManagerOrganisationContact, url.Values{"adresse": {"3 place du Marché, 29000 Quimper"},
			"courriel": {"contact@ys.example.fr"}, "dpo_courriel": {"dpo@ys.example.fr"}},
			[]string{`value="3 place du Marché, 29000 Quimper"`, `value="contact@ys.example.fr"`, `value="dpo@ys.example.fr"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dbtest.SQLite(t))
			org, _ := e.orgAndAidant(true)
			manager := e.addAccount(org.ID, account.RoleManager)
			c := e.signInAidant(manager)
			tc.typed.Set("csrf_token", e.pageToken(c, PathManagerSettings))
			e.clock.Advance(31 * time.Minute)
			resp, _ := e.do(c, http.MethodPost, tc.action, strings.NewReader(tc.typed.Encode()), http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "Referer": {e.ts.URL + PathManagerSettings}})
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("formulaire") != "1" || loc.Query().Get("retour") != PathManagerSettings {
				t.Fatalf("POST after the end = %d → %s", resp.StatusCode, loc)
			}
			form := url.Values{"csrf_token": {e.pageToken(c, loc.RequestURI())}, "email": {manager.Account.Email},
				"password": {"correct horse battery"}, "code": {e.nextCode(manager)}, "retour": {loc.Query().Get("retour")}}
			if resp, _ := e.post(c, PathSignIn, form); resp.Header.Get("Location") != PathManagerSettings {
				t.Fatalf("sign-in → %s", resp.Header.Get("Location"))
			}
			_, body := e.follow(c, PathManagerSettings)
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("the settings page shown again lacks %s", want)
				}
			}
			if _, again := e.follow(c, PathManagerSettings); strings.Contains(again, tc.want[0]) {
				t.Error("the kept form is shown a second time")
			}
		})
	}
}
