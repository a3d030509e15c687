package mandate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/identity"
	"procura/mandate"
	"procura/usager"
)

// Past the retention period, a usager's identity and their mandates'
// FranceConnect ID tokens are erased (one audited act), the mandates still
// verify; a usager with a mandate ended recently, or renewed, is kept; one
// identified again is restored.
func TestRetentionErasesIdentitiesPastTheirTime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		identify := func(sub string) usager.Usager {
			t.Helper()
			u, err := f.usagers.Identify(ctx, audit.ActorAidant, f.aidant.Account.ID, identity.Identity{
				Issuer: "https://fc.example/api/v2", Sub: sub,
				Claims: identity.Claims{GivenName: "Élodie", FamilyName: "D'Arcy", Birthdate: "1962-00-00", Gender: "female",
					Birthplace: "75056", Birthcountry: "99100", Email: "elodie@example.fr"}}, usager.ContextMandate)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		oldSub := fmt.Sprintf("retention-old-%d", time.Now().UnixNano())
		old, renewed := identify(oldSub), identify(fmt.Sprintf("retention-renewed-%d", time.Now().UnixNano()))
		oldMandate, err := f.mandates.Create(ctx, f.input(old, f.aidant, "papiers"))
		if err != nil {
			t.Fatal(err)
		}
		first, err := f.mandates.Create(ctx, f.input(renewed, f.aidant, "social"))
		if err != nil {
			t.Fatal(err)
		}
		// 181 days later, the second is renewed without a new
		// identification; the first runs out the day after.
		f.clock.Advance(181 * 24 * time.Hour)
		renewal, err := f.mandates.Renew(ctx, mandate.Renewal{OrganisationID: f.org.ID, AidantID: f.aidant.Account.ID,
			MandateID: first.ID, DurationDays: 365, TOTPCode: f.code(f.aidant)})
		if err != nil {
			t.Fatal(err)
		}
		// A year after the first ran out (and the renewal is still in its
		// year).
		f.clock.Advance(367 * 24 * time.Hour)
		erased := 0
		for after := ""; ; {
			n, next, err := f.mandates.EraseExpiredIdentities(ctx, 365, 1, after)
			if err != nil {
				t.Fatal(err)
			}
			erased += n
			if next == "" {
				break
			}
			after = next
		}
		if erased < 1 {
			t.Fatalf("erased %d usagers, want at least the one whose mandate ended", erased)
		}
		u, err := f.usagers.Get(ctx, old.ID)
		if err != nil || u.ErasedAt == nil || u.GivenName != usager.ErasedGivenName || u.Email != "" || u.Birthplace != "" {
			t.Errorf("erased usager = %+v, %v", u, err)
		}
		var token string
		d.Conn(ctx).Raw("SELECT fc_id_token FROM mandates WHERE id = ?", oldMandate.ID).Scan(&token)
		if token != "" {
			t.Error("the FranceConnect ID token of the erased usager's mandate is still stored")
		}
		if _, err := f.mandates.VerifyStored(ctx, oldMandate.ID); err != nil {
			t.Errorf("the erased usager's mandate no longer verifies: %v", err)
		}
		if n := f.count("audit_entries WHERE action = '" + string(audit.ActionUsagerErased) + "' AND usager_id = '" + old.ID + "'"); n != 1 {
			t.Errorf("%d erasure entries, want 1", n)
		}
		if u, _ := f.usagers.Get(ctx, renewed.ID); u.ErasedAt != nil {
			t.Errorf("a usager whose renewed mandate %s runs is erased", renewal.ID)
		}
		// Identified again: restored.
		again := identify(oldSub)
		if again.ErasedAt != nil || again.GivenName != old.GivenName {
			t.Errorf("identified again = %+v", again)
		}
	})
}
