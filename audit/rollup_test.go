package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// TestRollUpKeepsCountsEqual: the day counts are the same from the
// journal alone, after a rollup, after a second one, and with entries
// arriving above the watermark; the days are Paris days.
func TestRollUpKeepsCountsEqual(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		j := audit.New(d, fixedNow)
		ctx := context.Background()
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		org := "org-" + t.Name()
		record := func(at time.Time, action audit.Action, proc, actor string) {
			t.Helper()
			if err := d.InTx(ctx, func(ctx context.Context) error {
				return j.Record(ctx, audit.Entry{Time: at, Action: action, ActorKind: audit.ActorAidant, ActorID: actor,
					OrganisationID: org, Procedure: proc})
			}); err != nil {
				t.Fatal(err)
			}
		}
		now := fixedNow()
		// 22:30 UTC on the 20th is the 20th... in UTC, the 20th at 23:30 in Paris.
		for i := range 12 {
			at := time.Date(2026, 11, 20, 22, 30, 0, 0, time.UTC).Add(time.Duration(i) * 20 * time.Minute)
			record(at, audit.ActionDelegatedLoginAuthorised, []string{"social", "logement"}[i%2], fmt.Sprintf("a-%d", i%3))
		}
		record(now.Add(-time.Hour), audit.ActionMandateCreated, "", "a-0")
		record(now.Add(-time.Hour), audit.ActionSignIn, "", "a-0")         // not counted by day
		record(now, audit.ActionDelegatedLoginAuthorised, "social", "a-1") // too recent to roll up
		counts := func() string {
			t.Helper()
			out := ""
			for _, q := range []audit.DailyQuery{
				{Actions: []audit.Action{audit.ActionDelegatedLoginAuthorised}, By: audit.ByProcedure, Daily: true},
				{Actions: []audit.Action{audit.ActionDelegatedLoginAuthorised, audit.ActionMandateCreated}, By: audit.ByActor},
				{Actions: []audit.Action{audit.ActionMandateCreated}, Daily: true},
			} {
				q.OrganisationID, q.Since, q.Location = org, time.Date(2026, 11, 1, 0, 0, 0, 0, paris), paris
				got, err := j.DailyCounts(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				sum := map[string]int64{}
				for _, c := range got {
					sum[c.Day.Format("02")+"/"+string(c.Action)+"/"+c.Key] += c.N
				}
				out += fmt.Sprint(sum) + "\n"
			}
			return out
		}
		want := "map[20/delegated_login.authorised/logement:1 20/delegated_login.authorised/social:1 21/delegated_login.authorised/logement:5 " +
			"21/delegated_login.authorised/social:5 22/delegated_login.authorised/social:1]\n" +
			"map[01/delegated_login.authorised/a-0:4 01/delegated_login.authorised/a-1:5 01/delegated_login.authorised/a-2:4 01/mandate.created/a-0:1]\n" +
			"map[22/mandate.created/:1]\n"
		// Without a rollup the Day of an undaily count is the zero time: "01".
		if got := counts(); got != want {
			t.Fatalf("from the journal:\n%s\nwant\n%s", got, want)
		}
		for range 2 {
			n, err := j.RollUp(ctx, paris)
			if err != nil {
				t.Fatal(err)
			}
			if got := counts(); got != want {
				t.Fatalf("after a rollup of %d entries:\n%s\nwant\n%s", n, got, want)
			}
		}
		record(now.Add(-20*time.Minute), audit.ActionMandateCreated, "", "a-0")
		if got, err := j.RollUp(ctx, paris); err != nil || got != 0 {
			t.Fatalf("rollup behind a too recent entry read %d, %v", got, err)
		}
		want = want[:len(want)-len("map[22/mandate.created/:1]\n")] + "map[22/mandate.created/:2]\n"
		want = replaceOnce(want, "01/mandate.created/a-0:1", "01/mandate.created/a-0:2")
		if got := counts(); got != want {
			t.Fatalf("with a new entry:\n%s\nwant\n%s", got, want)
		}
	})
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}
