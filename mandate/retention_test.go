package mandate_test

import (
	"context"
	"errors"
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

// Past the retention period (five years after the last mandate's end, as
// the signed text promises), a usager's identity is erased and their
// mandates deleted (one audited act); a usager with a mandate ended more
// recently, or renewed, is kept; one identified again is restored. A
// shorter retention is refused.
func TestRetentionIsNeverShorterThanTheTextPromises(t *testing.T) {
	f := newFixture(t, dbtest.SQLite(t))
	if _, _, err := f.mandates.EraseExpiredIdentities(context.Background(), 365, 10, ""); err == nil {
		t.Error("a retention of one year was accepted; the mandate text promises five")
	}
}

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
		// Nearly five years after the first ran out: nothing is erased.
		erase := func() int {
			t.Helper()
			erased := 0
			for after := ""; ; {
				n, next, err := f.mandates.EraseExpiredIdentities(ctx, mandate.MinRetentionDays, 1, after)
				if err != nil {
					t.Fatal(err)
				}
				erased += n
				if next == "" {
					return erased
				}
				after = next
			}
		}
		f.clock.Advance(time.Duration(mandate.MinRetentionDays-1) * 24 * time.Hour)
		erase() // other tests' usagers share the PostgreSQL database: count none
		if u, _ := f.usagers.Get(ctx, old.ID); u.ErasedAt != nil {
			t.Fatal("erased before five years")
		}
		// Five years and a day after it ran out, the renewal (a year from
		// its start, 181 days after the first mandate) ended less than
		// five years ago.
		f.clock.Advance(2 * 24 * time.Hour)
		if erased := erase(); erased < 1 {
			t.Fatalf("erased %d usagers, want at least the one whose mandate ended", erased)
		}
		u, err := f.usagers.Get(ctx, old.ID)
		if err != nil || u.ErasedAt == nil || u.GivenName != usager.ErasedGivenName || u.Email != "" || u.Birthplace != "" {
			t.Errorf("erased usager = %+v, %v", u, err)
		}
		if n := f.count("mandates WHERE id = '" + oldMandate.ID + "'"); n != 0 {
			t.Error("the erased usager's mandate is still stored")
		}
		if n := f.count("permissions WHERE usager_id = '" + old.ID + "'"); n != 0 {
			t.Errorf("%d permissions of the erased usager still stored", n)
		}
		if _, err := f.mandates.VerifyStored(ctx, oldMandate.ID); !errors.Is(err, mandate.ErrNoSuchMandate) {
			t.Errorf("verifying the deleted mandate = %v, want ErrNoSuchMandate", err)
		}
		entries, err := audit.New(d, time.Now).List(ctx, audit.Filter{UsagerID: old.ID, Action: audit.ActionUsagerErased})
		if err != nil || len(entries) != 1 || entries[0].Details["mandates_deleted"] != "1" {
			t.Errorf("erasure entries = %+v, %v; want one saying one mandate was deleted", entries, err)
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
