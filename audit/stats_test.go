package audit_test

import (
	"context"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

func TestCountsByHour(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		j := audit.New(d, fixedNow)
		ctx := context.Background()
		start := fixedNow()
		for i := range 10 {
			err := d.InTx(ctx, func(ctx context.Context) error {
				return j.Record(ctx, audit.Entry{Time: start.Add(time.Duration(i) * 30 * time.Minute), Action: audit.ActionDelegatedLoginAuthorised,
					ActorKind: audit.ActorAidant, ActorID: "a", OrganisationID: "o", Procedure: []string{"social", "logement"}[i%2]})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := j.Counts(ctx, audit.CountQuery{OrganisationID: "o", Actions: []audit.Action{audit.ActionDelegatedLoginAuthorised},
			Since: start.Add(time.Hour), By: "procedure", Hourly: true})
		if err != nil {
			t.Fatal(err)
		}
		sum := map[string]int64{}
		for _, c := range got {
			if c.Hour.Before(start.Add(time.Hour)) || c.Hour.Minute() != 0 {
				t.Errorf("hour %v", c.Hour)
			}
			sum[c.Key] += c.N
		}
		if sum["social"] != 4 || sum["logement"] != 4 || len(got) != 8 {
			t.Errorf("counts %v", got)
		}
		got, err = j.Counts(ctx, audit.CountQuery{OrganisationID: "o", Actions: []audit.Action{audit.ActionDelegatedLoginAuthorised}, By: "actor_id"})
		if err != nil || len(got) != 1 || got[0].N != 10 || got[0].Key != "a" {
			t.Errorf("by actor: %v %v", got, err)
		}
	})
}
