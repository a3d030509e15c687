package dbtest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"procura/db"
)

// Statements counts what a PostgreSQL connection pool sends to the server,
// as the server sees it: a pgx tracer (db.Options.Tracer). Statements are
// every statement but BEGIN, COMMIT and ROLLBACK; Commits are the COMMITs
// and the writes sent outside a transaction (each commits on its own).
type Statements struct {
	mu         sync.Mutex
	statements []string
	commits    int
}

var _ pgx.QueryTracer = (*Statements)(nil)

// TraceQueryStart implements pgx.QueryTracer.
func (s *Statements) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	sql := strings.TrimSpace(data.SQL)
	verb := strings.ToLower(strings.SplitN(sql, " ", 2)[0])
	inTx := conn.PgConn().TxStatus() != 'I'
	s.mu.Lock()
	defer s.mu.Unlock()
	switch verb {
	case "begin", "rollback":
	case "commit":
		s.commits++
	default:
		s.statements = append(s.statements, sql)
		if !inTx && (verb == "insert" || verb == "update" || verb == "delete") {
			s.commits++
		}
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (s *Statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Reset starts counting afresh.
func (s *Statements) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statements, s.commits = nil, 0
}

// Counts returns the statements sent since the last Reset, and the commits.
func (s *Statements) Counts() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.statements...), s.commits
}

// PostgresTraced opens another handle on the package's PostgreSQL database
// whose statements s counts; closed after the test.
func PostgresTraced(tb testing.TB, s *Statements) *db.DB {
	tb.Helper()
	d, err := db.OpenWith(context.Background(), PostgresURL(tb), db.Options{Tracer: s})
	if err != nil {
		tb.Fatalf("dbtest: open traced: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}
