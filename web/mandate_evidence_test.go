package web

import (
	"context"
	"testing"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/franceconnect"
)

// The FranceConnect key set that verified the usager's ID token is archived
// with the mandate (once per distinct set), named in the journal, and
// verifies the ID token without asking the provider.
func TestMandateEvidenceOutlivesTheProvidersKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		_, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		first := e.createMandate(c, aidant, "jean-luc-darcy", "logement")
		second := e.createMandate(c, aidant, "camille-nguyen", "social")
		for _, id := range []string{first, second} {
			ev, err := e.srv.mandates.EvidenceOf(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if ev.JWKS == nil || franceconnect.JWKSSHA256(ev.JWKS) != ev.JWKSSHA256 {
				t.Fatalf("mandate %s: key set not archived (%q)", id, ev.JWKSSHA256)
			}
			tok, err := franceconnect.VerifyArchived(ev.IDToken, ev.JWKS)
			if err != nil || tok.Subject == "" {
				t.Fatalf("mandate %s: archived verification: %+v %v", id, tok, err)
			}
			entries, err := e.srv.journal.List(ctx, audit.Filter{Action: audit.ActionMandateCreated, Newest: true, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			named := false
			for _, en := range entries {
				named = named || (en.MandateID == id && en.Details["fc_jwks_sha256"] == ev.JWKSSHA256)
			}
			if !named {
				t.Errorf("mandate %s: the journal does not name its archived key set", id)
			}
		}
		var n int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM mandate_provider_keys").Scan(&n)
		if d.Dialect == db.SQLite && n != 1 {
			t.Errorf("%d archived key sets for one provider's keys, want 1", n)
		}
	})
}
