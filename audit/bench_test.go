package audit_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// Benchmarks of DESIGN.md §10's journal figures, on PostgreSQL, not part of
// `make test`:
//
//	./scripts/with-postgres.sh go test -run XXX -bench . -benchtime 20000x ./audit/

func benchJournal(b *testing.B) (*db.DB, *audit.Journal, *audit.Sequencer, logKey) {
	b.Helper()
	d := dbtest.FreshPostgres(b)
	j := audit.New(d, time.Now)
	k := newLogKey(b, testOrigin)
	s := audit.NewSequencer(j, testOrigin, func(context.Context) (note.Signer, error) { return k.signer, nil })
	return d, j, s, k
}

// BenchmarkAppend16Writers records b.N entries, each in its own
// transaction, from 16 concurrent writers, while the sequencer integrates
// every 250 ms as a server does. It reports appends/s, and the p99 time from
// an entry's time (stamped before its commit) to the checkpoint that first
// includes it.
func BenchmarkAppend16Writers(b *testing.B) {
	d, j, s, _ := benchJournal(b)
	ctx := context.Background()
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if _, err := s.Integrate(runCtx); err != nil && runCtx.Err() == nil {
					b.Error(err)
				}
			}
		}
	}()
	b.SetParallelism(8) // 16 writers on 2 cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := d.InTx(ctx, func(ctx context.Context) error {
				return j.Record(ctx, audit.Entry{Action: audit.ActionTokenIssued, ActorKind: audit.ActorService, ActorID: "client",
					UsagerID: "u-pseudonym", OrganisationID: "org", Procedure: "social"})
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	// Let the sequencer catch up, then measure commit-to-checkpoint.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if n, _ := j.Pending(ctx); n == 0 {
			break
		}
	}
	stop()
	wg.Wait()
	b.ReportMetric(integrationP99(b, d).Seconds()*1000, "ms-to-checkpoint-p99")
}

// integrationP99 is the 99th percentile of (checkpoint time - entry time)
// over every entry, its checkpoint being the first whose tree holds it.
func integrationP99(b *testing.B, d *db.DB) time.Duration {
	ctx := context.Background()
	var cps []struct {
		TreeSize  int64
		CreatedAt time.Time
	}
	d.Conn(ctx).Raw("SELECT tree_size, created_at FROM audit_checkpoints ORDER BY tree_size").Scan(&cps)
	var leaves []struct {
		LeafIndex  int64
		OccurredAt time.Time
	}
	d.Conn(ctx).Raw("SELECT l.leaf_index, e.occurred_at FROM audit_leaves l JOIN audit_entries e ON e.id = l.entry_id ORDER BY l.leaf_index").Scan(&leaves)
	if len(leaves) == 0 {
		return 0
	}
	lat := make([]time.Duration, 0, len(leaves))
	c := 0
	for _, l := range leaves {
		for c < len(cps) && cps[c].TreeSize <= l.LeafIndex {
			c++
		}
		if c == len(cps) {
			break
		}
		lat = append(lat, cps[c].CreatedAt.Sub(l.OccurredAt))
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

// seed writes n entries in bulk (SQL, not Record: this is the setup) and
// integrates them.
func seed(b *testing.B, d *db.DB, s *audit.Sequencer, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	// Half in one transaction (as a migration leaves them), half in
	// transactions of 100 entries.
	err := d.Conn(ctx).Exec(`INSERT INTO audit_entries (occurred_at, action, actor_kind, actor_id, organisation_id, usager_id, procedure, client_id, details)
		SELECT now(), 'token.issued', 'service', 'client', 'org-' || (g % 100), 'u-' || g, 'social', 'client', '{"k":"v"}'
		FROM generate_series(1, ?) g`, n/2).Error
	for done := n / 2; err == nil && done < n; done += 100 {
		err = d.Conn(ctx).Exec(`INSERT INTO audit_entries (occurred_at, action, actor_kind, actor_id, usager_id, details)
			SELECT now(), 'token.issued', 'service', 'client', 'u-' || g, '{"k":"v"}' FROM generate_series(1, ?) g`, min(100, n-done)).Error
	}
	if err == nil {
		err = d.Conn(ctx).Exec("ANALYZE audit_entries").Error // what autovacuum would have done by then
	}
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for done := 0; done < n; {
		m, err := s.Integrate(ctx)
		if err != nil {
			b.Fatal(err)
		}
		done += m
		if m == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return time.Since(start)
}

// BenchmarkIntegrate reports how fast the sequencer integrates a backlog.
func BenchmarkIntegrate(b *testing.B) {
	d, _, s, _ := benchJournal(b)
	b.ResetTimer()
	took := seed(b, d, s, b.N)
	b.ReportMetric(float64(b.N)/took.Seconds(), "entries/s")
}

// BenchmarkVerify reports `audit verify`'s speed over 200,000 entries.
func BenchmarkVerify(b *testing.B) {
	d, j, s, k := benchJournal(b)
	const n = 200_000
	seed(b, d, s, n)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		rep, err := j.Verify(context.Background(), audit.VerifyOptions{Origin: testOrigin, Verifiers: k.verifiers})
		if err != nil || !rep.OK() || rep.TreeSize != n {
			b.Fatalf("Verify = %+v, %v", rep.Findings, err)
		}
		b.ReportMetric(n/time.Since(start).Seconds(), "entries/s")
	}
}

// BenchmarkReceipt reports the time to build an entry's receipt (inclusion
// proof and checkpoint) in a tree of 200,000 entries, or of
// AUDIT_BENCH_ENTRIES. Seeding 10 M entries takes most of an hour: with
// AUDIT_BENCH_DATABASE_URL it uses a database seeded before (kept, for
// example, from an interrupted run) instead, integrates what is pending
// there and measures over its whole tree.
func BenchmarkReceipt(b *testing.B) {
	ctx := context.Background()
	var (
		j *audit.Journal
		n int
	)
	if u := os.Getenv("AUDIT_BENCH_DATABASE_URL"); u != "" {
		d, err := db.Open(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { d.Close() })
		j = audit.New(d, time.Now)
		k := newLogKey(b, testOrigin)
		s := audit.NewSequencer(j, testOrigin, func(context.Context) (note.Signer, error) { return k.signer, nil })
		for {
			m, err := s.Integrate(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if m == 0 {
				break
			}
		}
		c, err := j.LatestCheckpoint(ctx)
		if err != nil {
			b.Fatal(err)
		}
		n = int(c.Size)
		b.Logf("existing database: %d entries in the tree", n)
	} else {
		d, jj, s, _ := benchJournal(b)
		j, n = jj, 200_000
		if v, err := strconv.Atoi(os.Getenv("AUDIT_BENCH_ENTRIES")); err == nil && v > 0 {
			n = v
		}
		seed(b, d, s, n)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := j.Receipt(ctx, int64(1+(i*7919)%n)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "ms-p99")
}
