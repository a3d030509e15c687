package mandate_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"procura/db/dbtest"
	"procura/mandate"
)

// benchMandates is how many mandates BenchmarkCheckUse seeds (DESIGN.md
// §10: the permission check at token time, with 1 M mandates, ≤ 1 ms p99).
const benchMandates = 1_000_000

// BenchmarkCheckUse measures the permission check of a delegated login
// (mandate.CheckUse: the permission and the aidant, two primary-key
// lookups) against PostgreSQL holding one million mandates, each with one
// permission. It reports the p50 and p99
// latency of single checks.
func BenchmarkCheckUse(b *testing.B) {
	benchSeed.Do(func() { benchSeed.f = seedMillion(b) })
	f := benchSeed.f
	if f == nil {
		b.Fatal("seeding failed")
	}
	ctx := context.Background()
	var ids []struct {
		ID, UsagerID, Procedure string
	}
	if err := f.d.Conn(ctx).Raw("SELECT id, usager_id, procedure FROM permissions ORDER BY random() LIMIT 10000").Scan(&ids).Error; err != nil {
		b.Fatal(err)
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := ids[rand.IntN(len(ids))]
		start := time.Now()
		err := f.mandates.CheckUse(ctx, mandate.Use{PermissionID: p.ID, AidantID: f.aidant.Account.ID, OrganisationID: f.org.ID,
			UsagerID: p.UsagerID, Procedure: p.Procedure})
		latencies = append(latencies, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(q float64) float64 { return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// benchSeed holds the million mandates, seeded once per benchmark run.
var benchSeed struct {
	sync.Once
	f *fixture
}

func seedMillion(b *testing.B) *fixture {
	d := dbtest.Postgres(b)
	f := newFixture(b, d)
	ctx := context.Background()
	seeded := time.Now()
	// Seeded in SQL: a usager, a mandate and a permission each, all in the
	// fixture's organisation, collected by its aidant.
	err := d.Conn(ctx).Exec(`
		INSERT INTO usagers (id, given_name, family_name, birthdate, gender, birthplace, birthcountry, created_at, updated_at, last_identified_at, search_key)
		SELECT lpad(to_hex(g), 43, 'u'), 'Usager', 'N' || g, '1970-01-01', 'female', '75056', '99100', now(), now(), now(), 'usager n' || g
		FROM generate_series(1, ?) g`, benchMandates).Error
	if err != nil {
		b.Fatal(err)
	}
	err = d.Conn(ctx).Exec(`
		INSERT INTO mandates (id, organisation_id, usager_id, aidant_id, duration_days, signed_at, expires_at, text_version, text_sha256,
			fc_id_token, fc_id_token_sha256, totp_confirmed_at, signature, created_at)
		SELECT md5('m' || g)::uuid, ?, lpad(to_hex(g), 43, 'u'), ?, 365, now(), now() + interval '365 days', 'v1', repeat('0', 64),
			'token', repeat('0', 64), now(), 'sig', now()
		FROM generate_series(1, ?) g`, f.org.ID, f.aidant.Account.ID, benchMandates).Error
	if err != nil {
		b.Fatal(err)
	}
	err = d.Conn(ctx).Exec(`
		INSERT INTO permissions (id, mandate_id, organisation_id, usager_id, procedure, expires_at)
		SELECT md5('p' || g)::uuid, md5('m' || g)::uuid, ?, lpad(to_hex(g), 43, 'u'),
			(ARRAY['papiers','social','logement','argent'])[1 + g % 4], now() + interval '365 days'
		FROM generate_series(1, ?) g`, f.org.ID, benchMandates).Error
	if err != nil {
		b.Fatal(err)
	}
	d.Conn(ctx).Exec("ANALYZE")
	b.Logf("seeded %d mandates in %s", benchMandates, time.Since(seeded).Round(time.Second))
	return f
}

// BenchmarkUsagersOfSearch measures the aidant's search of their
// organisation's usagers by any part of a name (mandate.Registry.UsagersOf:
// a France Services desk's 5,000 usagers, searched by a three-letter
// fragment) in a PostgreSQL database of one million usagers and mandates,
// the others given to another organisation (DESIGN.md §10: ≤ 20 ms p95). It
// reports the p50 and p95 latency of single searches.
func BenchmarkUsagersOfSearch(b *testing.B) {
	searchSeed.Do(func() { searchSeed.f = seedNamedMillion(b) })
	f := searchSeed.f
	if f == nil {
		b.Fatal("seeding failed")
	}
	ctx := context.Background()
	fragments := []string{"the", "ber", "luc", "ard", "dub", "eli", "oux", "z99"}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := f.mandates.UsagersOf(ctx, f.org.ID, mandate.Listing{Search: fragments[rand.IntN(len(fragments))]}); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}

// searchSeed holds the million named usagers, seeded once per run.
var searchSeed struct {
	sync.Once
	f *fixture
}

func seedNamedMillion(b *testing.B) *fixture {
	d := dbtest.Postgres(b)
	f := newFixture(b, d)
	other := f.newOrg("France Services de Thiers", "papiers")
	ctx := context.Background()
	seeded := time.Now()
	// Names drawn from two lists; search_key as usager.SearchKey folds
	// these ASCII names. Usagers 1–5,000 gave their mandate to the
	// fixture's organisation, the others to the other one.
	err := d.Conn(ctx).Exec(`
		INSERT INTO usagers (id, given_name, family_name, birthdate, gender, birthplace, birthcountry, created_at, updated_at, last_identified_at, search_key)
		SELECT id, g, f, '1970-01-01', 'female', '75056', '99100', now(), now(), now(), lower(g || ' ' || replace(f, '-', ' '))
		FROM (SELECT lpad(to_hex(i), 43, 'u') AS id,
			(ARRAY['Marie','Jean','Therese','Luc','Elodie','Camille','Nadia','Karim','Sophie','Paul','Ines','Hugo'])[1 + i % 12] AS g,
			(ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand','Leroy','Moreau','Simon','Laurent',
				'Lefebvre','Michel','Garcia','David','Bertrand','Roux','Vincent','Fournier'])[1 + (i / 12) % 20] || '-' || i::text AS f
			FROM generate_series(1, ?) AS i) AS s`, benchMandates).Error
	if err != nil {
		b.Fatal(err)
	}
	err = d.Conn(ctx).Exec(`
		INSERT INTO mandates (id, organisation_id, usager_id, aidant_id, duration_days, signed_at, expires_at, text_version, text_sha256,
			fc_id_token, fc_id_token_sha256, totp_confirmed_at, signature, created_at)
		SELECT md5('m' || g)::uuid, CASE WHEN g % 200 = 0 THEN ?::uuid ELSE ?::uuid END, lpad(to_hex(g), 43, 'u'), ?, 365,
			now(), now() + interval '365 days', 'v1', repeat('0', 64), 'token', repeat('0', 64), now(), 'sig', now()
		FROM generate_series(1, ?) g`, f.org.ID, other.ID, f.aidant.Account.ID, benchMandates).Error
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Conn(ctx).Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d usagers and mandates in %s", benchMandates, time.Since(seeded).Round(time.Second))
	return f
}
