package audit_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

func TestSearchPagesAndFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		j := audit.New(d, fixedNow)
		ctx := context.Background()
		org, other, aidant := "org-"+t.Name(), "other-"+t.Name(), "aidant-"+t.Name()
		start := fixedNow()
		record := func(e audit.Entry) int64 {
			t.Helper()
			if err := d.InTx(ctx, func(ctx context.Context) error { return j.Record(ctx, e) }); err != nil {
				t.Fatal(err)
			}
			var id int64
			d.Conn(ctx).Raw("SELECT MAX(id) FROM audit_entries").Scan(&id)
			return id
		}
		var all, social, usagerX []int64
		for i := range 30 {
			proc := []string{"social", "logement", "papiers"}[i%3]
			u := []string{"u-x", "u-y"}[i%2]
			id := record(audit.Entry{Time: start.Add(time.Duration(i) * time.Hour), Action: audit.ActionDelegatedLoginAuthorised,
				ActorKind: audit.ActorAidant, ActorID: aidant, OrganisationID: org, UsagerID: u, Procedure: proc, ClientID: "svc"})
			record(audit.Entry{Action: audit.ActionDelegatedLoginAuthorised, ActorKind: audit.ActorAidant, ActorID: aidant,
				OrganisationID: other, UsagerID: u, Procedure: proc})
			all = append([]int64{id}, all...)
			if proc == "social" {
				social = append([]int64{id}, social...)
			}
			if u == "u-x" {
				usagerX = append([]int64{id}, usagerX...)
			}
		}
		if _, err := j.Search(ctx, audit.Query{}); !errors.Is(err, audit.ErrUnscoped) {
			t.Fatalf("unscoped query: %v", err)
		}
		ids := func(q audit.Query) []int64 {
			t.Helper()
			var out []int64
			for {
				page, err := j.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page {
					if e.OrganisationID != org {
						t.Fatalf("entry of %s", e.OrganisationID)
					}
					out = append(out, e.ID)
				}
				if len(page) < q.Limit {
					return out
				}
				q.BeforeID = page[len(page)-1].ID
			}
		}
		for _, tc := range []struct {
			name string
			q    audit.Query
			want []int64
		}{
			{"all", audit.Query{}, all},
			{"procedure", audit.Query{Procedure: "social"}, social},
			{"usagers", audit.Query{UsagerIDs: []string{"u-x"}}, usagerX},
			{"two usagers", audit.Query{UsagerIDs: []string{"u-x", "u-y"}}, all},
			{"no usager found", audit.Query{UsagerIDs: []string{}}, nil},
			{"time", audit.Query{From: start.Add(10 * time.Hour), To: start.Add(12 * time.Hour)}, all[30-12 : 30-10]},
			{"actor, client, action", audit.Query{ActorID: aidant, ClientID: "svc", Action: audit.ActionDelegatedLoginAuthorised}, all},
			{"other actor", audit.Query{ActorID: "a-2"}, nil},
		} {
			tc.q.OrganisationID, tc.q.Limit = org, 7
			if got := ids(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		n := 0
		if err := j.Each(ctx, audit.Query{AllOrganisations: true, ActorID: aidant}, func(audit.Entry) error { n++; return nil }); err != nil || n != 60 {
			t.Errorf("all organisations: %d entries, %v", n, err)
		}
	})
}
