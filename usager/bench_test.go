package usager_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"procura/db/dbtest"
)

// BenchmarkNamesSearch measures the search of an organisation's usagers by
// any part of a name (usager.Registry.Names: a France Services desk's
// 5,000 usagers, searched by a three-letter fragment) in a PostgreSQL table
// of one million usagers (DESIGN.md §10: ≤ 20 ms p95). It reports the p50
// and p95 latency of single searches.
func BenchmarkNamesSearch(b *testing.B) {
	d := dbtest.Postgres(b)
	reg, _ := newRegistry(b, d)
	ctx := context.Background()
	conn := d.Conn(ctx)
	// One million usagers with names drawn from two lists, written by the
	// database itself (search_key as usager.SearchKey folds ASCII names).
	err := conn.Exec(`INSERT INTO usagers (id, given_name, family_name, birthdate, gender, birthcountry, search_key,
			created_at, updated_at, last_identified_at)
		SELECT id, g, f, '1970-01-01', 'female', '99100', lower(g || ' ' || f), now(), now(), now()
		FROM (SELECT lpad(to_hex(i), 43, 'b') AS id,
			(ARRAY['Marie','Jean','Therese','Luc','Elodie','Camille','Nadia','Karim','Sophie','Paul','Ines','Hugo'])[1 + i % 12] AS g,
			(ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand','Leroy','Moreau','Simon','Laurent',
				'Lefebvre','Michel','Garcia','David','Bertrand','Roux','Vincent','Fournier'])[1 + (i / 12) % 20] || '-' || i::text AS f
			FROM generate_series(1, 1000000) AS i) AS s
		ON CONFLICT (id) DO NOTHING`).Error
	if err != nil {
		b.Fatal(err)
	}
	if err := conn.Exec("ANALYZE usagers").Error; err != nil {
		b.Fatal(err)
	}
	var ids []string
	if err := conn.Raw("SELECT id FROM usagers ORDER BY random() LIMIT 5000").Scan(&ids).Error; err != nil {
		b.Fatal(err)
	}
	fragments := []string{"the", "ber", "luc", "ard", "dub", "eli", "oux", "z99"}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := reg.Names(ctx, ids, fragments[rand.IntN(len(fragments))]); err != nil {
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
