package mandate_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/identity"
	"procura/mandate"
	"procura/usager"
)

// identifyAs identifies (again, when sub is reused) a usager with these
// names.
func (f *fixture) identifyAs(sub, given, family, usageName string) usager.Usager {
	f.t.Helper()
	u, err := f.usagers.Identify(context.Background(), audit.ActorAidant, f.aidant.Account.ID, identity.Identity{
		Issuer: "https://fc.example/api/v2", Sub: sub,
		Claims: identity.Claims{GivenName: given, FamilyName: family, PreferredUsername: usageName, Birthdate: "1938-09-15",
			Gender: "female", Birthplace: "75056", Birthcountry: "99100", Email: "usager@example.fr"}}, usager.ContextMandate)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func names(listed []mandate.UsagerMandates) []string {
	var out []string
	for _, u := range listed {
		out = append(out, u.GivenName+" "+u.FamilyName)
	}
	return out
}

// UsagersOf searches the organisation's usagers only, by any part of any
// of their names, and follows their names when they change.
func TestUsagersOfSearchesTheOrganisationOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		sub := fmt.Sprintf("sub-%d-%d", seq.Add(1), time.Now().UnixNano())
		marie := f.identifyAs(sub, "Marie-Thérèse Yvonne", "Le Goff", "Kerbrat")
		if _, err := f.mandates.Create(ctx, f.input(marie, f.aidant, "papiers")); err != nil {
			t.Fatal(err)
		}
		// A second mandate: still one row for the usager.
		if _, err := f.mandates.Create(ctx, f.input(marie, f.aidant, "social")); err != nil {
			t.Fatal(err)
		}
		other := f.newOrg("France Services de Thiers", "papiers")
		otherAidant := f.newAidant(other)
		jeanLuc := f.identifyAs(fmt.Sprintf("sub-%d-%d", seq.Add(1), time.Now().UnixNano()), "Jean-Luc", "D'Arcy", "")
		in := f.input(jeanLuc, otherAidant, "papiers")
		in.OrganisationID = other.ID
		if _, err := f.mandates.Create(ctx, in); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			org, search string
			want        []string
		}{
			{f.org.ID, "", []string{"Marie-Thérèse Yvonne Le Goff"}},
			{f.org.ID, "thérèse", []string{"Marie-Thérèse Yvonne Le Goff"}},
			{f.org.ID, "THERESE", []string{"Marie-Thérèse Yvonne Le Goff"}},
			{f.org.ID, "le goff", []string{"Marie-Thérèse Yvonne Le Goff"}},
			{f.org.ID, "kerbrat", []string{"Marie-Thérèse Yvonne Le Goff"}},
			{f.org.ID, "darcy", nil}, // another organisation's usager
			{f.org.ID, "100%", nil},
			{other.ID, "d'arcy", []string{"Jean-Luc D'Arcy"}},
			{other.ID, "jean luc", []string{"Jean-Luc D'Arcy"}},
			{other.ID, "goff", nil},
		}
		for _, tt := range tests {
			listed, err := f.mandates.UsagersOf(ctx, tt.org, mandate.Listing{Search: tt.search})
			if err != nil || !slices.Equal(names(listed), tt.want) {
				t.Errorf("UsagersOf(%q) = %v, %v; want %v", tt.search, names(listed), err, tt.want)
			}
		}
		if listed, _ := f.mandates.UsagersOf(ctx, f.org.ID, mandate.Listing{}); len(listed) != 1 || len(listed[0].Mandates) != 2 {
			t.Errorf("listing = %+v, want one usager with two mandates", listed)
		}

		// Identified again under another name: the search follows.
		f.identifyAs(sub, "Marie-Thérèse Yvonne", "Kerbrat", "")
		if listed, _ := f.mandates.UsagersOf(ctx, f.org.ID, mandate.Listing{Search: "kerbrat"}); !slices.Equal(names(listed), []string{"Marie-Thérèse Yvonne Kerbrat"}) {
			t.Errorf("after a new identification: %v", names(listed))
		}
		if listed, _ := f.mandates.UsagersOf(ctx, f.org.ID, mandate.Listing{Search: "goff"}); len(listed) != 0 {
			t.Errorf("the former name still finds: %v", names(listed))
		}

		// Erased at the end of retention: the names go from the list too;
		// then its mandates deleted, the row goes.
		err := d.InTx(ctx, func(ctx context.Context) error {
			return f.usagers.Erase(ctx, marie.ID, f.clock.Now().Add(time.Hour), map[string]string{"retention_days": "1826"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if listed, _ := f.mandates.UsagersOf(ctx, f.org.ID, mandate.Listing{Search: "marie"}); len(listed) != 0 {
			t.Errorf("an erased usager is found by name: %v", names(listed))
		}
		var left int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM organisation_usagers WHERE usager_id = ? AND (given_name LIKE '%Marie%' OR search_key <> '')", marie.ID).Scan(&left)
		if left != 0 {
			t.Errorf("organisation_usagers keeps an erased usager's names")
		}
		for _, q := range []string{"DELETE FROM permissions WHERE usager_id = ?", "DELETE FROM mandates WHERE usager_id = ?"} {
			if err := d.Conn(ctx).Exec(q, marie.ID).Error; err != nil {
				t.Fatal(err)
			}
		}
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM organisation_usagers WHERE usager_id = ?", marie.ID).Scan(&left)
		if listed, _ := f.mandates.UsagersOf(ctx, f.org.ID, mandate.Listing{}); left != 0 || len(listed) != 0 {
			t.Errorf("after its mandates were deleted: %d rows, listing %v", left, names(listed))
		}
		if listed, _ := f.mandates.UsagersOf(ctx, other.ID, mandate.Listing{}); len(listed) != 1 {
			t.Errorf("another organisation's usager went too: %v", names(listed))
		}
	})
}
