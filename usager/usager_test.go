package usager_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/identity"
	"procura/problem"
	"procura/usager"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func verified(sub string) identity.Identity {
	return identity.Identity{Issuer: "https://fc.example/api/v2", Sub: sub, Claims: identity.Claims{
		GivenName: "Élodie", FamilyName: "D'Arcy-Lefèvre", Birthdate: "1962-00-00", Gender: "female",
		Birthplace: "75056", Birthcountry: "99100", Email: "elodie@example.fr",
	}}
}

func newRegistry(t testing.TB, d *db.DB) (*usager.Registry, *audit.Journal) {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }
	j := audit.New(d, now)
	reg, err := usager.New(d, j, bytes.Repeat([]byte{5}, 32), now)
	if err != nil {
		t.Fatal(err)
	}
	return reg, j
}

func TestPseudonym(t *testing.T) {
	reg, _ := newRegistry(t, dbtest.SQLite(t))
	a := reg.Pseudonym("https://fc.example/api/v2", "sub-1")
	if len(a) != 43 || a != reg.Pseudonym("https://fc.example/api/v2", "sub-1") {
		t.Fatalf("pseudonym %q is not stable or not 43 characters", a)
	}
	for _, other := range []string{reg.Pseudonym("https://other.example/api/v2", "sub-1"), reg.Pseudonym("https://fc.example/api/v", "2sub-1")} {
		if other == a {
			t.Error("different identities share a pseudonym")
		}
	}
}

func TestIdentifyCreatesThenUpdates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		reg, j := newRegistry(t, d)
		ctx := context.Background()
		sub := fmt.Sprintf("sub-%d", time.Now().UnixNano())
		u, err := reg.Identify(ctx, audit.ActorUsager, "", verified(sub), usager.ContextUsagerSpace)
		if err != nil {
			t.Fatal(err)
		}
		got, err := reg.Get(ctx, u.ID)
		if err != nil || got.Name() != "Élodie D'Arcy-Lefèvre" || got.Birthdate != "1962-00-00" {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		// The same identity again: identified, nothing updated.
		if _, err := reg.Identify(ctx, audit.ActorUsager, "", verified(sub), usager.ContextUsagerSpace); err != nil {
			t.Fatal(err)
		}
		changed := verified(sub)
		changed.Email, changed.PreferredUsername = "elodie.new@example.fr", "Martin"
		u2, err := reg.Identify(ctx, audit.ActorAidant, "aidant-1", changed, usager.ContextMandate)
		if err != nil || u2.Email != "elodie.new@example.fr" || u2.ID != u.ID {
			t.Fatalf("update = %+v, %v", u2, err)
		}
		entries, err := j.List(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			if e.UsagerID == u.ID {
				actions = append(actions, string(e.Action)+":"+e.Details["fields"])
			}
		}
		want := "[usager.identified: usager.identified: usager.identified: usager.identity_updated:preferred_username,email]"
		if fmt.Sprint(actions) != want {
			t.Errorf("acts = %v, want %s", actions, want)
		}
		for _, e := range entries {
			for _, v := range e.Details {
				if v == "elodie.new@example.fr" || v == "Élodie" {
					t.Errorf("personal data in the journal: %+v", e)
				}
			}
		}
	})
}

func TestIdentifyRefusesInvalidClaims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		reg, _ := newRegistry(t, d)
		tests := []struct {
			name   string
			modify func(*identity.Identity)
		}{
			{"bad gender", func(i *identity.Identity) { i.Gender = "other" }},
			{"bad birthdate", func(i *identity.Identity) { i.Birthdate = "22/11/1962" }},
			{"born in France without birthplace", func(i *identity.Identity) { i.Birthplace = "" }},
			{"bad email", func(i *identity.Identity) { i.Email = "not an email" }},
			{"empty family name", func(i *identity.Identity) { i.FamilyName = "" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := verified(fmt.Sprintf("bad-%d", time.Now().UnixNano()))
				tt.modify(&id)
				_, err := reg.Identify(context.Background(), audit.ActorUsager, "", id, usager.ContextUsagerSpace)
				if problem.CodeOf(err) == problem.Internal || err == nil {
					t.Fatalf("err = %v, want a clear refusal", err)
				}
				if _, err := reg.Get(context.Background(), reg.Pseudonym(id.Issuer, id.Sub)); err != usager.ErrNotFound {
					t.Errorf("an invalid identity was stored: %v", err)
				}
			})
		}
	})
}

// A usager is found by any part of any of their names, whatever the case,
// accents, hyphens and apostrophes (issue 14).
func TestNamesFindAnyPartOfAName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		reg, _ := newRegistry(t, d)
		ctx := context.Background()
		var ids []string
		for i, n := range [][2]string{{"Marie-Thérèse", "Le Goff"}, {"Jean-Luc", "D'Arcy"}, {"Élodie", "Lefèvre"}} {
			u, err := reg.Identify(ctx, audit.ActorUsager, "", identity.Identity{Issuer: "https://fc.example", Sub: fmt.Sprintf("names-%d-%d", i, time.Now().UnixNano()),
				Claims: identity.Claims{GivenName: n[0], FamilyName: n[1], Birthdate: "1970-01-01", Gender: "female", Birthplace: "75056", Birthcountry: "99100", Email: "x@example.fr"}},
				usager.ContextUsagerSpace)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		for search, want := range map[string]string{
			"Thérèse": "Marie-Thérèse", "therese": "Marie-Thérèse", "darcy": "Jean-Luc", "d'arcy": "Jean-Luc", "D’Arcy": "Jean-Luc",
			"jean luc": "Jean-Luc", "jean-luc": "Jean-Luc", "GOFF": "Marie-Thérèse", "le goff": "Marie-Thérèse", "fèv": "Élodie",
			"odie": "Élodie", "arc": "Jean-Luc",
		} {
			got, err := reg.Names(ctx, ids, search)
			if err != nil || len(got) != 1 || got[0].GivenName != want {
				t.Errorf("Names(%q) = %+v, %v; want %s", search, got, err, want)
			}
		}
		if got, _ := reg.Names(ctx, ids, "zz"); len(got) != 0 {
			t.Errorf("Names(zz) = %+v, want none", got)
		}
		if got, _ := reg.Names(ctx, ids, ""); len(got) != 3 || got[0].FamilyName != "D'Arcy" {
			t.Errorf("Names() = %+v, want all three by family name", got)
		}
	})
}
