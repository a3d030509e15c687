// Package bench holds measurements that belong to no one package: the
// cost of the database layer's statements (this file) and, in profserver,
// `procura dev` with a profiler for the load test (scripts/bench.sh).
package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"procura/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// stepQueries are five primary-key reads on five tables, as a step of the
// delegated login makes (permission, aidant, organisation, session, usager).
var stepQueries = []string{
	"SELECT id FROM permissions WHERE id = ?",
	"SELECT id FROM accounts WHERE id = ?",
	"SELECT id FROM organisations WHERE id = ?",
	"SELECT id FROM mandates WHERE id = ?",
	"SELECT id FROM usagers WHERE id = ?",
}

// BenchmarkStatements measures five primary-key reads through the store as
// db.Open configures it (gorm PrepareStmt on, pgx underneath), inside a
// transaction (db.InTx, as every step of a delegated login runs) and
// outside, against the same reads with gorm's PrepareStmt off (pgx then
// caches the prepared statements of each connection by itself).
//
// Inside a transaction, gorm's PrepareStmt hands database/sql statements
// prepared by an earlier transaction to Tx.StmtContext, which prepares
// them again on the connection (a Parse/Describe round trip) and
// deallocates them at commit (another round trip): each statement of a
// transaction costs three round trips instead of one (go-gorm/gorm#4644,
// golang/go#28130). The in-tx/product sub-benchmark shows it against
// in-tx/pgx-cache.
//
//	go test ./bench -run '^$' -bench Statements -benchtime 2000x
func BenchmarkStatements(b *testing.B) {
	product := dbtest.Postgres(b)
	plainGorm, err := gorm.Open(postgres.Open(dbtest.PostgresURL(b)), &gorm.Config{
		Logger: logger.Discard, SkipDefaultTransaction: true, PrepareStmt: false,
		NowFunc: func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		b.Fatal(err)
	}
	if sqlDB, err := plainGorm.DB(); err == nil {
		b.Cleanup(func() { sqlDB.Close() })
	}
	ctx := context.Background()
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	reads := func(b *testing.B, g *gorm.DB, i int) {
		for _, q := range stepQueries {
			var id string
			if err := g.Raw(q, ids[i%len(ids)]).Scan(&id).Error; err != nil {
				b.Fatal(err)
			}
		}
	}
	run := func(name string, fn func(b *testing.B, i int)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range 10 { // warm: every statement prepared on some connections
				fn(b, i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fn(b, i)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(stepQueries)), "µs/stmt")
		})
	}
	run("in-tx/product", func(b *testing.B, i int) {
		err := product.InTx(ctx, func(ctx context.Context) error { reads(b, product.Conn(ctx), i); return nil })
		if err != nil {
			b.Fatal(err)
		}
	})
	run("in-tx/pgx-cache", func(b *testing.B, i int) {
		err := plainGorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error { reads(b, tx, i); return nil })
		if err != nil {
			b.Fatal(err)
		}
	})
	run("no-tx/product", func(b *testing.B, i int) { reads(b, product.Conn(ctx), i) })
	run("no-tx/pgx-cache", func(b *testing.B, i int) { reads(b, plainGorm.WithContext(ctx), i) })
}
