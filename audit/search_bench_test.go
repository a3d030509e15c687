package audit_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// benchEntries is the fixture's size: PROCURA_BENCH_ENTRIES, 1 M by
// default (DESIGN.md §10 names 10 M: set it to 10000000 where the machine
// has the few minutes that takes).
func benchEntries(b *testing.B) int {
	n := 1_000_000
	if v := os.Getenv("PROCURA_BENCH_ENTRIES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("PROCURA_BENCH_ENTRIES=%q", v)
		}
	}
	return n
}

// journalFixture writes n entries across 1,000 organisations on
// PostgreSQL, by the database itself (generate_series): organisation
// "org-0" is the busiest, with a tenth of the entries; the others share
// the rest. Each organisation has 40 aidants and 5,000 usagers; acts are
// spread over a year, one every few seconds, in id order; six acts in ten
// are delegated logins, over 10 procedures and 20 services.
func journalFixture(b *testing.B, n int) *db.DB {
	b.Helper()
	d := dbtest.Postgres(b)
	conn := d.Conn(context.Background())
	start := time.Now()
	err := conn.Exec(`INSERT INTO audit_entries (occurred_at, action, actor_kind, actor_id, organisation_id, usager_id, mandate_id,
			permission_id, procedure, client_id, request_id, details)
		SELECT timestamptz '2025-11-24 00:00:00+00' + (i * 31536000.0 / ?)::float8 * interval '1 second',
			(ARRAY['delegated_login.authorised','delegated_login.authorised','delegated_login.authorised','delegated_login.authorised',
				'delegated_login.authorised','delegated_login.authorised','token.issued','userinfo.read','mandate.created',
				'permission.created','mandate.revoked','mandate.expired','aidant.sign_in','delegated_login.refused'])[1 + (i * 13 + i / 10) % 14],
			'aidant', 'aidant-' || o || '-' || (i / 7) % 40, 'org-' || o, 'usager-' || o || '-' || (i * 31 + i / 10) % 5000,
			'mandate-' || o || '-' || (i * 31 + i / 10) % 5000, '', (ARRAY['papiers','famille','social','travail','logement','transports',
				'argent','justice','etranger','loisirs'])[1 + (i / 3 + i / 10) % 10], 'service-' || (i / 11) % 20, 'req-' || i, '{}'
		FROM (SELECT i, CASE WHEN i % 10 = 0 THEN 0 ELSE 1 + (i * 7919) % 999 END AS o FROM generate_series(1::bigint, ?::bigint) AS i) AS s`, n, n).Error
	if err != nil {
		b.Fatal(err)
	}
	if err := conn.Exec("VACUUM ANALYZE audit_entries").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture: %d entries written, indexed and analysed in %s", n, time.Since(start).Round(time.Second))
	return d
}

// BenchmarkManagerJournal measures the manager journal's page query
// (audit.Journal.Search, a page of 51 entries, newest first) for the
// busiest organisation of the fixture, without and with each filter, and
// a page deep in the journal (keyset cursor); DESIGN.md §10: ≤ 20 ms p95.
// It reports the p50 and p95 latency of single queries.
func BenchmarkManagerJournal(b *testing.B) {
	n := benchEntries(b)
	d := journalFixture(b, n)
	j := audit.New(d, time.Now)
	ctx := context.Background()
	var maxID int64
	d.Conn(ctx).Raw("SELECT MAX(id) FROM audit_entries").Scan(&maxID)
	paris, _ := time.LoadLocation("Europe/Paris")
	day := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, paris) }
	// A name search resolves to the organisation's usagers it finds (at
	// most 200, oversight): 20 for a family name, 200 for a common first name.
	var twenty, twoHundred []string
	for k := range 200 {
		if k < 20 {
			twenty = append(twenty, fmt.Sprintf("usager-0-%d", k*37))
		}
		twoHundred = append(twoHundred, fmt.Sprintf("usager-0-%d", k*23))
	}
	for _, tc := range []struct {
		name string
		q    audit.Query
	}{
		{"none", audit.Query{}},
		{"deep-page", audit.Query{BeforeID: maxID / 2}},
		{"aidant", audit.Query{ActorID: "aidant-0-7"}},
		{"usager", audit.Query{UsagerIDs: []string{"usager-0-1234"}}},
		{"usager-name-20", audit.Query{UsagerIDs: twenty}},
		{"usager-name-200", audit.Query{UsagerIDs: twoHundred}},
		{"procedure", audit.Query{Procedure: "logement"}},
		{"service", audit.Query{ClientID: "service-3"}},
		{"action", audit.Query{Action: audit.ActionDelegatedLoginAuthorised}},
		{"action-1-in-14", audit.Query{Action: audit.ActionMandateExpired}},
		{"day", audit.Query{From: day(2026, 3, 2), To: day(2026, 3, 3)}},
		{"month-ago", audit.Query{From: day(2026, 1, 1), To: day(2026, 2, 1)}},
		{"combined", audit.Query{ActorID: "aidant-0-7", Procedure: "social", Action: audit.ActionDelegatedLoginAuthorised,
			From: day(2026, 1, 1), To: day(2026, 7, 1)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			q := tc.q
			q.OrganisationID, q.Limit = "org-0", 51
			latencies := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				if _, err := j.Search(ctx, q); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(t0))
			}
			reportPercentiles(b, latencies)
		})
	}
	// The statistics page's three queries (oversight.Statistics), each,
	// then together as the page runs them, on the counts rolled up by day.
	t0 := time.Now()
	rolled, err := j.RollUp(ctx, paris)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("rollup of %d entries: %s", rolled, time.Since(t0).Round(time.Millisecond))
	stats := []struct {
		name string
		q    audit.DailyQuery
	}{
		{"statistics-weeks", audit.DailyQuery{Actions: []audit.Action{audit.ActionDelegatedLoginAuthorised}, Since: day(2026, 9, 1),
			By: audit.ByProcedure, Daily: true}},
		{"statistics-months", audit.DailyQuery{Actions: []audit.Action{audit.ActionMandateCreated, audit.ActionMandateRevoked,
			audit.ActionMandateExpired}, Since: day(2025, 12, 1), Daily: true}},
		{"statistics-aidants", audit.DailyQuery{Actions: []audit.Action{audit.ActionDelegatedLoginAuthorised, audit.ActionMandateCreated,
			audit.ActionMandateRevoked}, Since: day(2025, 12, 1), By: audit.ByActor}},
	}
	for i := range stats {
		stats[i].q.OrganisationID, stats[i].q.Location = "org-0", paris
	}
	for _, st := range stats {
		b.Run(st.name, func(b *testing.B) {
			latencies := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				if _, err := j.DailyCounts(ctx, st.q); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(t0))
			}
			reportPercentiles(b, latencies)
		})
	}
	b.Run("statistics-page", func(b *testing.B) {
		latencies := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			for _, st := range stats {
				if _, err := j.DailyCounts(ctx, st.q); err != nil {
					b.Fatal(err)
				}
			}
			latencies = append(latencies, time.Since(t0))
		}
		reportPercentiles(b, latencies)
	})
}

func reportPercentiles(b *testing.B, latencies []time.Duration) {
	slices.Sort(latencies)
	pct := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}
