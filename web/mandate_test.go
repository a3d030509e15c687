package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
	"procura/devtools/journey"
	"procura/keyring"
)

// browser is client c on the test server, for the journey driver.
func (e *env) browser(c *http.Client) *journey.Browser {
	return &journey.Browser{BaseURL: e.ts.URL, Client: c}
}

// journeyAidant signs a in for the journey driver; each of its codes
// moves the clock to the next TOTP step (nextCode).
func (e *env) journeyAidant(a account.Created) journey.Aidant {
	return journey.Aidant{Email: a.Account.Email, Password: "correct horse battery",
		Codes: journey.CodeFunc(func(context.Context) (string, error) { return e.nextCode(a), nil })}
}

// signInAidant signs a new client in as the aidant, and returns it.
func (e *env) signInAidant(a account.Created) *http.Client {
	e.t.Helper()
	c := e.newClient()
	if _, err := e.browser(c).SignIn(context.Background(), e.journeyAidant(a)); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// nextCode moves the clock to the next TOTP step and returns its code.
func (e *env) nextCode(a account.Created) string {
	e.t.Helper()
	e.clock.Advance(30 * time.Second)
	return e.totp(a.TOTPSecret)
}

// followAll follows redirects from location until a page answers.
func (e *env) followAll(c *http.Client, location string) (*http.Response, string) {
	e.t.Helper()
	for i := 0; i < 10; i++ {
		resp, body := e.follow(c, location)
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
			return resp, body
		}
		location = resp.Header.Get("Location")
	}
	e.t.Fatal("too many redirects")
	return nil, ""
}

// createMandate runs the creation journey for the aidant's client c with
// a sandbox identity, for 182 days, and returns the new mandate's id.
func (e *env) createMandate(c *http.Client, a account.Created, identity string, procs ...string) string {
	e.t.Helper()
	if _, err := e.keys.Ensure(context.Background(), keyring.PurposeMandate, jose.ES256); err != nil {
		e.t.Fatal(err)
	}
	id, err := e.browser(c).CreateMandate(context.Background(), e.journeyAidant(a),
		journey.Mandate{Procedures: procs, Days: 182, Usager: identity})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestMandateJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		id := e.createMandate(c, aidant, "jean-luc-darcy", "social", "logement")
		resp, body := e.follow(c, "/aidant/mandats/"+id+"?cree=1")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Mandat de Jean-Luc D&#39;Arcy") || !strings.Contains(body, "Le mandat est signé") ||
			!strings.Contains(body, "Social - Santé") || !strings.Contains(body, `id="statut-mandat">actif`) {
			t.Fatalf("mandate page = %d %s", resp.StatusCode, body)
		}
		// The public verification link says valid and active, without the usager's name.
		verify := regexp.MustCompile(`href="(http://localhost:8080/mandats/verifier/[0-9a-f-]{36})"`).FindStringSubmatch(body)
		if verify == nil {
			t.Fatal("no verification link")
		}
		_, vbody := e.follow(e.newClient(), strings.Replace(verify[1], "http://localhost:8080", "", 1))
		if !strings.Contains(vbody, "Signature valide") || !strings.Contains(vbody, `id="statut-verifie">actif`) || strings.Contains(vbody, "Jean-Luc") {
			t.Fatalf("verification page: %s", vbody)
		}
		// The attestation is a PDF.
		resp, pdf := e.follow(c, "/aidant/mandats/"+id+"/attestation.pdf")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
			t.Fatalf("attestation = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp, _ := e.follow(c, "/aidant/mandats/"+id+"/revocation.pdf"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("revocation attestation before any revocation = %d", resp.StatusCode)
		}
		// The list finds the usager by name and status.
		if _, list := e.follow(c, "/aidant/usagers?q=d%27ar&statut=active"); !strings.Contains(list, "Jean-Luc D&#39;Arcy") {
			t.Errorf("usagers list lacks the usager: %s", list)
		}
		if _, list := e.follow(c, "/aidant/usagers?statut=revoked"); strings.Contains(list, "Jean-Luc") {
			t.Error("the revoked filter lists an active mandate")
		}
		// Revoke one procedure, after confirmation.
		pid := regexp.MustCompile(`revoquer\?autorisation=([0-9a-f-]{36})`).FindStringSubmatch(body)[1]
		tok := e.pageToken(c, "/aidant/mandats/"+id+"/revoquer?autorisation="+pid)
		resp, _ = e.post(c, "/aidant/mandats/"+id+"/revoquer", url.Values{"csrf_token": {tok}, "autorisation": {pid}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke = %d", resp.StatusCode)
		}
		_, body = e.follow(c, resp.Header.Get("Location"))
		if !strings.Contains(body, `id="statut-`+pid+`">révoqué`) || !strings.Contains(body, `id="statut-mandat">actif`) {
			t.Errorf("after revoking one procedure: %s", body)
		}
		if resp, pdf := e.follow(c, "/aidant/mandats/"+id+"/revocation.pdf"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
			t.Errorf("revocation attestation = %d", resp.StatusCode)
		}
		// Renew with a new TOTP code.
		resp, body = e.post(c, "/aidant/mandats/"+id+"/renouveler", url.Values{"csrf_token": {tok}, "duration": {"31"}, "code": {e.nextCode(aidant)}})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "renouvele=1") {
			t.Fatalf("renew = %d %s", resp.StatusCode, body)
		}
		_, body = e.follow(c, "/aidant/mandats/"+id)
		if !strings.Contains(body, `id="statut-mandat">remplacé`) {
			t.Errorf("the renewed mandate is not shown replaced: %s", body)
		}
	})
}

func TestMandateRoutesAreScopedToTheOrganisation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, owner := e.orgAndAidant(true)
		id := e.createMandate(e.signInAidant(owner), owner, "elodie-lefevre", "papiers")
		var pid string
		d.Conn(context.Background()).Raw("SELECT id FROM permissions WHERE mandate_id = ?", id).Scan(&pid)
		_, stranger := e.orgAndAidant(true)
		c := e.signInAidant(stranger)
		tok := e.pageToken(c, "/aidant/usagers")
		before := e.state()
		crossBefore := e.crossAttempts(stranger.Account.ID)
		for _, tt := range []struct{ method, path string }{
			{"GET", "/aidant/mandats/" + id},
			{"GET", "/aidant/mandats/" + id + "/revoquer"},
			{"GET", "/aidant/mandats/" + id + "/revoquer?autorisation=" + pid},
			{"POST", "/aidant/mandats/" + id + "/revoquer"},
			{"POST", "/aidant/mandats/" + id + "/revoquer?autorisation=" + pid},
			{"POST", "/aidant/mandats/" + id + "/renouveler"},
			{"GET", "/aidant/mandats/not-a-uuid"},
			{"GET", "/aidant/mandats/" + id + "/attestation.pdf"},
			{"GET", "/aidant/mandats/" + id + "/revocation.pdf"},
		} {
			var resp *http.Response
			if tt.method == "GET" {
				resp, _ = e.follow(c, tt.path)
			} else {
				resp, _ = e.post(c, tt.path, url.Values{"csrf_token": {tok}, "autorisation": {pid}, "duration": {"31"}, "code": {e.nextCode(stranger)}})
			}
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s as another organisation = %d, want 404", tt.method, tt.path, resp.StatusCode)
			}
		}
		if _, list := e.follow(c, "/aidant/usagers"); strings.Contains(list, "Élodie") {
			t.Error("another organisation's usager is listed")
		}
		// Every forged id of the other organisation's mandate (8 of the 9
		// requests; not the malformed one) is recorded, and nothing else.
		crossAfter := e.crossAttempts(stranger.Account.ID)
		if crossAfter-crossBefore != 8 {
			t.Errorf("%d cross-organisation entries, want 8", crossAfter-crossBefore)
		}
		if after, want := e.state(), strings.Replace(before, fmt.Sprintf("audit_entries=%d", e.auditCount()-(crossAfter-crossBefore)),
			fmt.Sprintf("audit_entries=%d", e.auditCount()), 1); after != want {
			t.Errorf("state changed: %s → %s", before, after)
		}
	})
}

// auditCount counts the journal's entries.
func (e *env) auditCount() int64 {
	e.t.Helper()
	var n int64
	e.db.Conn(context.Background()).Raw("SELECT COUNT(*) FROM audit_entries").Scan(&n)
	return n
}

func TestMandateCreationRefusesBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		tok := e.pageToken(c, "/aidant/mandats/nouveau")
		for _, tt := range []struct {
			name    string
			form    url.Values
			message string
		}{
			{"no procedure", url.Values{"duration": {"31"}}, "Choisissez au moins une démarche."},
			{"unknown procedure", url.Values{"duration": {"31"}, "procedures": {"banque"}}, "pas autorisée dans votre organisation"},
			{"bad duration", url.Values{"duration": {"30"}, "procedures": {"social"}}, "Choisissez une durée"},
			{"no duration", url.Values{"procedures": {"social"}}, "Choisissez une durée"},
		} {
			tt.form.Set("csrf_token", tok)
			resp, body := e.post(c, "/aidant/mandats/nouveau", tt.form)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tt.message) {
				t.Errorf("%s: %d %.300s", tt.name, resp.StatusCode, body)
			}
		}
		// No draft: the recap and the signature refuse clearly.
		if resp, body := e.follow(c, "/aidant/mandats/recapitulatif"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Aucun mandat n&#39;est en cours") {
			t.Errorf("recap without draft = %d %.300s", resp.StatusCode, body)
		}
		resp, _ := e.post(c, "/aidant/mandats/recapitulatif", url.Values{"csrf_token": {tok}, "consent": {"1"}, "code": {"123456"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("signature without draft = %d", resp.StatusCode)
		}
		var n int64
		d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM mandates WHERE organisation_id = ?", org.ID).Scan(&n)
		if n != 0 {
			t.Errorf("%d mandates stored", n)
		}
	})
}

func TestVerifyPageRefusesForgedSignatures(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	if _, err := e.keys.Ensure(context.Background(), keyring.PurposeMandate, jose.ES256); err != nil {
		t.Fatal(err)
	}
	// Nothing to check: the form to paste a signature, no verdict.
	if resp, body := e.follow(e.newClient(), "/mandats/verifier"); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, `name="signature"`) || strings.Contains(body, "pas authentique") {
		t.Errorf("verify without signature: %d %.300s", resp.StatusCode, body)
	}
	for _, sig := range []string{"abc", "eyJhbGciOiJub25lIn0.e30.", strings.Repeat("x", 9000)} {
		resp, body := e.follow(e.newClient(), "/mandats/verifier?signature="+url.QueryEscape(sig))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Mandat non vérifié") || !strings.Contains(body, "pas authentique") {
			t.Errorf("signature %.20q: %d %.300s", sig, resp.StatusCode, body)
		}
	}
}
