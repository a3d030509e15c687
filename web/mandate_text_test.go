package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
	"procura/keyring"
)

var recapCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// The recap and the mandate page name the usager with their nom d'usage,
// and give the end in Paris time; across the change to summer time (29
// March 2026), a mandate of 31 days of 24 hours signed at 10 h in Paris
// ends at 11 h, and the pages say why.
func TestMandatePagesShowNomDUsageAndEndInParisTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d) // the clock starts on 2 March 2026 at 9 h UTC, 10 h in Paris
		if _, err := e.keys.Ensure(context.Background(), keyring.PurposeMandate, jose.ES256); err != nil {
			t.Fatal(err)
		}
		_, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		resp, _ := e.post(c, PathMandateNew, url.Values{"csrf_token": {e.pageToken(c, PathMandateNew)},
			"procedures": {"logement"}, "duration": {"31"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("mandate form = %d", resp.StatusCode)
		}
		answer, err := e.browser(c).SandboxIdentity(context.Background(), resp.Header.Get("Location"), "elodie-lefevre", 0)
		if err != nil {
			t.Fatal(err)
		}
		callback, err := answer.Next()
		if err != nil {
			t.Fatal(err)
		}
		resp, recap := e.followAll(c, callback.String())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("recap = %d %s", resp.StatusCode, recap)
		}
		for _, want := range []string{"Élodie Anne Lefèvre</strong> (nom d'usage : Martin)", "né(e) le 12 avril 1985",
			"le mandat prendra fin le 2 avril 2026 à 11 h 0", "(heure de Paris)", "passage à l’heure d’été"} {
			if !strings.Contains(recap, want) {
				t.Errorf("recap lacks %q:\n%s", want, recap)
			}
		}
		resp, _ = e.post(c, PathMandateRecap, url.Values{"csrf_token": {recapCSRF.FindStringSubmatch(recap)[1]},
			"text_version": {regexp.MustCompile(`name="text_version" value="([^"]+)"`).FindStringSubmatch(recap)[1]},
			"consent":      {"1"}, "code": {e.nextCode(aidant)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("signature = %d", resp.StatusCode)
		}
		_, page := e.follow(c, resp.Header.Get("Location"))
		for _, want := range []string{"Mandat de Élodie Anne Lefèvre", "Nom d'usage : Martin", "jusqu'au 2 avril 2026 à 11 h 0",
			"(heure de Paris)", "passage à l’heure d’été"} {
			if !strings.Contains(page, want) {
				t.Errorf("mandate page lacks %q:\n%s", want, page)
			}
		}
	})
}

// A manager without the aidant role is told what they can do, not that
// nobody gave a mandate; an aidant whose habilitation ended is told before
// filling the form.
func TestNotAnAidantIsToldWhy(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	org, aidant := e.orgAndAidant(true)
	manager := e.signInAidant(e.addAccount(org.ID, account.RoleManager))
	for _, path := range []string{PathUsagers, PathMandateNew} {
		resp, body := e.follow(manager, path)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "responsable de structure sans rôle d&#39;aidant") ||
			!strings.Contains(body, "espace responsable") || strings.Contains(body, "Aucun usager") {
			t.Errorf("a manager's GET %s = %d %s", path, resp.StatusCode, body)
		}
	}
	c := e.signInAidant(aidant)
	if err := e.db.Conn(context.Background()).Exec("UPDATE accounts SET habilitated_until = ? WHERE id = ?",
		e.clock.Now().AddDate(0, 0, -1), aidant.Account.ID).Error; err != nil {
		t.Fatal(err)
	}
	if resp, body := e.follow(c, PathMandateNew); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "pas habilité") {
		t.Errorf("an aidant whose habilitation ended: GET %s = %d %s", PathMandateNew, resp.StatusCode, body)
	}
}
