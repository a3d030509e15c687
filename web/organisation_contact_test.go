package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// contactValues is a valid contact form as c posts it.
func (e *env) contactValues(c *http.Client) url.Values {
	e.t.Helper()
	return url.Values{"csrf_token": {e.pageToken(c, PathManagerSettings)}, "adresse": {"12 rue de la Paix, 75002 Paris"},
		"courriel": {"contact@structure.fr"}, "dpo_nom": {"Camille Dupont"}, "dpo_courriel": {"dpo@structure.fr"}}
}

// storedContact is the organisation's contact as stored.
func (e *env) storedContact(orgID string) string {
	e.t.Helper()
	var s string
	if err := e.db.Conn(context.Background()).Raw("SELECT address || '|' || contact_email || '|' || dpo_name || '|' || dpo_email FROM organisations WHERE id = ?", orgID).
		Scan(&s).Error; err != nil {
		e.t.Fatal(err)
	}
	return s
}

// TestManagerSetsTheOrganisationContact: the settings page's contact
// form refuses each bad input with why, storing nothing; a valid one is
// stored, journaled, and listed on the legal notice and in the usager's
// space, where an organisation without details shows the placeholder.
func TestManagerSetsTheOrganisationContact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		other, _ := e.orgAndAidant(true)
		mandateID := e.createMandate(e.signInAidant(aidant), aidant, "jean-luc-darcy", "social")
		usager := e.signInUsager("jean-luc-darcy")
		_, body := e.follow(usager, PathUsagerSpace)
		if !strings.Contains(body, "coordonnées non renseignées par l'organisation") {
			t.Errorf("usager space before the details: %s", section(body, "<h2>Vos mandats", "<h2>Ce qui"))
		}
		_, body = e.get(PathLegalNotice)
		for _, o := range []account.Organisation{org, other} {
			if row := section(body, `id="organisation-`+o.SIRET+`"`, "</tr>"); !strings.Contains(row, o.Name) ||
				!strings.Contains(row, "Coordonnées non renseignées") {
				t.Errorf("legal notice row of %s before the details: %q", o.Name, row)
			}
		}

		manager := e.addAccount(org.ID, account.RoleManager)
		mc := e.signInAidant(manager)
		_, body = e.follow(mc, PathManagerSettings)
		if !strings.Contains(body, `action="`+PathManagerOrganisationContact+`"`) || !strings.Contains(body, "Coordonnées de l'organisation et de son délégué") {
			t.Fatalf("settings page lacks the contact form")
		}
		for _, tc := range []struct {
			field, value, message string
		}{
			{"adresse", "", "L&#39;adresse postale est requise."},
			{"adresse", strings.Repeat("a", 301), "L&#39;adresse postale dépasse 300 caractères."},
			{"adresse", "12 rue de la Paix\r\n75002 Paris", "retours à la ligne sont refusés"},
			{"courriel", "", "L&#39;adresse électronique de contact est requise."},
			{"courriel", "contact@", "L&#39;adresse électronique de contact n&#39;est pas valide"},
			{"courriel", "contact@structure.fr\r\nBcc: x@y.fr", "retours à la ligne sont refusés"},
			{"courriel", strings.Repeat("a", 250) + "@x.fr", "dépasse 254 caractères"},
			{"dpo_nom", strings.Repeat("a", 201), "dépasse 200 caractères"},
			{"dpo_nom", "Camille\nDupont", "retours à la ligne sont refusés"},
			{"dpo_courriel", "", "délégué à la protection des données est requise."},
			{"dpo_courriel", "dpo at structure.fr", "délégué à la protection des données n&#39;est pas valide"},
		} {
			v := e.contactValues(mc)
			v.Set(tc.field, tc.value)
			resp, body := e.post(mc, PathManagerOrganisationContact, v)
			form := section(body, `id="coordonnees"`, "</form>")
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(form, tc.message) {
				t.Errorf("%s=%q: %d, want 400 with %q: %s", tc.field, tc.value, resp.StatusCode, tc.message, form)
			}
			if !strings.ContainsAny(tc.value, "\r\n") && !strings.Contains(form, `value="`+tc.value+`"`) {
				t.Errorf("%s=%q: the typed value is not shown back", tc.field, tc.value)
			}
		}
		// Without the CSRF token, the handler does not run.
		v := e.contactValues(mc)
		v.Del("csrf_token")
		if resp, _ := e.post(mc, PathManagerOrganisationContact, v); resp.StatusCode != http.StatusForbidden {
			t.Errorf("without CSRF token = %d, want 403", resp.StatusCode)
		}
		if got := e.storedContact(org.ID); got != "|||" {
			t.Errorf("stored after refusals: %q", got)
		}
		journaled := func() int64 {
			return e.countRows("SELECT COUNT(*) FROM audit_entries WHERE action = ? AND organisation_id = ?", audit.ActionOrganisationContactUpdated, org.ID)
		}
		if n := journaled(); n != 0 {
			t.Errorf("%d contact changes journaled after refusals", n)
		}

		v = e.contactValues(mc)
		v.Set("courriel", " Contact@Structure.fr ")
		resp, _ := e.post(mc, PathManagerOrganisationContact, v)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != PathManagerSettings+"?coordonnees=1#coordonnees" {
			t.Fatalf("save = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if got := e.storedContact(org.ID); got != "12 rue de la Paix, 75002 Paris|contact@structure.fr|Camille Dupont|dpo@structure.fr" {
			t.Errorf("stored: %q", got)
		}
		if n := journaled(); n != 1 {
			t.Errorf("%d contact changes journaled, want 1", n)
		}
		_, body = e.follow(mc, PathManagerSettings+"?coordonnees=1")
		if form := section(body, `id="coordonnees"`, "</form>"); !strings.Contains(form, "sont enregistrées") || !strings.Contains(form, `value="contact@structure.fr"`) {
			t.Errorf("settings page after the save: %s", form)
		}

		_, body = e.get(PathLegalNotice)
		row := section(body, `id="organisation-`+org.SIRET+`"`, "</tr>")
		for _, want := range []string{org.Name, org.SIRET, "12 rue de la Paix, 75002 Paris", `href="mailto:contact@structure.fr"`,
			"Camille Dupont", `href="mailto:dpo@structure.fr"`} {
			if !strings.Contains(row, want) {
				t.Errorf("legal notice row lacks %s: %q", want, row)
			}
		}
		if strings.Contains(row, "non renseignées") {
			t.Errorf("legal notice row still says not given: %q", row)
		}
		if row := section(body, `id="organisation-`+other.SIRET+`"`, "</tr>"); !strings.Contains(row, "Coordonnées non renseignées") {
			t.Errorf("the other organisation's row: %q", row)
		}
		if !strings.Contains(body, "écrire au délégué à la protection des données de l'éditeur, ci-dessus, qui transmet") {
			t.Error("legal notice does not say the operator's DPO forwards requests")
		}

		_, body = e.follow(usager, PathUsagerSpace)
		mandates := section(body, "<h2>Vos mandats", "<h2>Ce qui")
		for _, want := range []string{`href="mailto:contact@structure.fr"`, "Camille Dupont", `href="mailto:dpo@structure.fr"`, "revoquer"} {
			if !strings.Contains(mandates, want) {
				t.Errorf("usager space lacks %s (mandate %s): %s", want, mandateID, mandates)
			}
		}
	})
}

// section is the part of s from the first from to the next to; "" when s
// lacks from.
func section(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	part, _, _ := strings.Cut(rest, to)
	return part
}
