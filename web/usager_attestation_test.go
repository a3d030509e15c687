package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

func TestUsagerDownloadsTheirAttestations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		id := e.createMandate(e.signInAidant(aidant), aidant, "jean-luc-darcy", "social", "logement")
		attestation, revocation := PathUsagerMandateAttestation(id), PathUsagerRevocationAttestation(id)

		c := e.signInUsager("jean-luc-darcy")
		_, body := e.follow(c, PathUsagerSpace)
		if !strings.Contains(body, `href="`+attestation+`"`) || strings.Contains(body, revocation) {
			t.Errorf("usager space: attestation link missing, or a revocation link before any revocation:\n%s", body)
		}
		resp, pdf := e.follow(c, attestation)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") {
			t.Fatalf("attestation = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp, body := e.follow(c, revocation); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "aucune révocation") {
			t.Errorf("revocation attestation before any revocation = %d", resp.StatusCode)
		}

		// Another usager gets 404 for both, and nothing of the mandate.
		other := e.signInUsager("camille-nguyen")
		for _, path := range []string{attestation, revocation, PathUsagerMandateAttestation("not-a-uuid"),
			PathUsagerMandateAttestation("00000000-0000-4000-8000-000000000000")} {
			resp, body := e.follow(other, path)
			if resp.StatusCode != http.StatusNotFound || strings.Contains(body, org.Name) || strings.Contains(body, "D&#39;Arcy") ||
				strings.HasPrefix(body, "%PDF") {
				t.Errorf("another usager's GET %s = %d, want 404 without the mandate", path, resp.StatusCode)
			}
		}
		// Nobody signed in: the space's door.
		if resp, _ := e.follow(e.newClient(), attestation); resp.Header.Get("Location") != PathUsagerLanding {
			t.Errorf("anonymous → %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		// Once a procedure is revoked, its revocation attestation.
		var pid string
		d.Conn(context.Background()).Raw("SELECT id FROM permissions WHERE mandate_id = ? AND procedure = 'social'", id).Scan(&pid)
		tok := e.pageToken(c, PathUsagerMandateRevoke(id)+"?autorisation="+pid)
		if resp, _ := e.post(c, PathUsagerMandateRevoke(id), url.Values{"csrf_token": {tok}, "autorisation": {pid}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revocation = %d", resp.StatusCode)
		}
		if _, body := e.follow(c, PathUsagerSpace); !strings.Contains(body, `href="`+revocation+`"`) {
			t.Errorf("no revocation attestation link after a revocation")
		}
		if resp, pdf := e.follow(c, revocation); resp.StatusCode != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
			t.Errorf("revocation attestation = %d", resp.StatusCode)
		}
		if resp, _ := e.follow(other, revocation); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another usager's revocation attestation = %d, want 404", resp.StatusCode)
		}
	})
}
