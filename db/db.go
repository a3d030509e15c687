// Package db opens Procura's store (PostgreSQL in production, embedded SQLite
// for `procura dev`), applies its versioned migrations and carries the
// current transaction in a context so that a use case and its audit entry
// commit together.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DB is an open store.
type DB struct {
	gorm    *gorm.DB
	Dialect Dialect
	// pgConfig opens a connection outside the pool (CheckNewConnection).
	pgConfig *pgx.ConnConfig
}

// Options are the knobs of OpenWith. The zero value is Open's behaviour.
type Options struct {
	// Tracer sees every statement sent to PostgreSQL, BEGIN and COMMIT
	// included (pgx's QueryTracer); ignored on SQLite. Tests count a
	// delegated login's statements with it.
	Tracer pgx.QueryTracer
	// MaxConns bounds the PostgreSQL pool (default 32); MaxIdleTime closes
	// connections idle that long (default 5 minutes).
	MaxConns    int
	MaxIdleTime time.Duration
}

// Open connects to the store named by url: postgres://… or postgresql://…
// for PostgreSQL, sqlite:<path> for the embedded store. It does not migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, opts Options) (*DB, error) {
	// No gorm PrepareStmt: inside a transaction it prepares and deallocates
	// every statement again, tripling the round trips of a delegated login
	// (BENCHMARKS.md). pgx caches prepared statements per connection itself.
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var (
		g        *gorm.DB
		dialect  Dialect
		pgConfig *pgx.ConnConfig
		err      error
	)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		dialect = Postgres
		pcfg, perr := pgx.ParseConfig(url)
		if perr != nil {
			return nil, fmt.Errorf("db: postgres URL: %w", perr)
		}
		pcfg.Tracer = opts.Tracer
		pgConfig = pcfg.Copy()
		g, err = gorm.Open(postgres.New(postgres.Config{Conn: stdlib.OpenDB(*pcfg)}), cfg)
	case strings.HasPrefix(url, "sqlite:"):
		dialect = SQLite
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return nil, errors.New("db: sqlite: URL needs a file path")
		}
		dsn := path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)"
		g, err = gorm.Open(sqlite.Open(dsn), cfg)
	default:
		return nil, errors.New("db: URL must start with sqlite:, postgres:// or postgresql://")
	}
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	if dialect == SQLite {
		// One connection: SQLite has one writer, and a second connection
		// waiting for it inside a transaction would only fail with SQLITE_BUSY.
		sqlDB.SetMaxOpenConns(1)
	} else {
		maxConns, idle := opts.MaxConns, opts.MaxIdleTime
		if maxConns <= 0 {
			maxConns = 32
		}
		if idle <= 0 {
			idle = 5 * time.Minute
		}
		sqlDB.SetMaxOpenConns(maxConns)
		sqlDB.SetMaxIdleConns(maxConns)
		sqlDB.SetConnMaxIdleTime(idle)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db: reach %s: %w", dialect, err)
	}
	return &DB{gorm: g, Dialect: dialect, pgConfig: pgConfig}, nil
}

// Pool is the connection pool, for its statistics (metrics).
func (d *DB) Pool() (*sql.DB, error) { return d.gorm.DB() }

// Close releases the connections.
func (d *DB) Close() error {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks the store answers; /readyz uses it.
func (d *DB) Ping(ctx context.Context) error {
	sqlDB, err := d.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// CheckNewConnection opens a new connection to PostgreSQL, outside the
// pool, runs one query and closes it: /readyz asks it, since the pool's
// idle connections may still answer while no new one can be opened. On
// SQLite it only pings.
func (d *DB) CheckNewConnection(ctx context.Context) error {
	if d.pgConfig == nil {
		return d.Ping(ctx)
	}
	conn, err := pgx.ConnectConfig(ctx, d.pgConfig.Copy())
	if err != nil {
		return fmt.Errorf("db: new connection: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("db: query on a new connection: %w", err)
	}
	return nil
}

type txKey struct{}

// InTx runs fn inside one transaction carried by the context given to fn:
// every Conn(ctx) inside fn uses it. It commits when fn returns nil and rolls
// back otherwise. Called inside another InTx, it joins the outer transaction.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	return d.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, txKey{}, tx))
	})
}

// Tx is a transaction begun by Begin, for callers whose transaction cannot
// be one closure (fosite begins, commits and rolls back in separate calls).
// Prefer InTx.
type Tx struct {
	tx    *gorm.DB
	ended bool
}

// Begin begins a transaction and returns the context that carries it: every
// Conn(ctx), InTx(ctx) and audit entry under that context joins it. End it
// with Commit or Rollback exactly once.
func (d *DB) Begin(ctx context.Context) (context.Context, *Tx, error) {
	tx := d.gorm.WithContext(ctx).Begin()
	if tx.Error != nil {
		return ctx, nil, fmt.Errorf("db: begin: %w", tx.Error)
	}
	return context.WithValue(ctx, txKey{}, tx), &Tx{tx: tx}, nil
}

// Commit commits the transaction.
func (t *Tx) Commit() error {
	if t.ended {
		return sql.ErrTxDone
	}
	t.ended = true
	return t.tx.Commit().Error
}

// Rollback rolls the transaction back; after Commit or Rollback it does
// nothing.
func (t *Tx) Rollback() error {
	if t.ended {
		return nil
	}
	t.ended = true
	return t.tx.Rollback().Error
}

// InTransaction reports whether ctx carries a transaction begun by InTx.
func InTransaction(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*gorm.DB)
	return ok
}

// Conn returns the handle to query with: the context's transaction when there
// is one, the pool otherwise.
//
// On hot paths, read rows with Find rather than Scan: GORM's Scan renders
// the statement with its arguments inlined (for a trace recorder) at every
// call, whatever the logger, which cost a tenth of the delegated login's
// allocations (BENCHMARKS.md).
func (d *DB) Conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx.WithContext(ctx)
	}
	return d.gorm.WithContext(ctx)
}

// IsUniqueViolation reports whether err is a unique-constraint failure, on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "UNIQUE constraint failed")
}

// IsConflict reports whether err is a unique-constraint failure or a
// transaction PostgreSQL aborted to resolve a conflict (serialization
// failure 40001, deadlock 40P01): an act that lost a race, to retry or to
// report as a conflict, not a failure.
func IsConflict(err error) bool {
	if IsUniqueViolation(err) {
		return true
	}
	s := fmt.Sprint(err)
	return err != nil && (strings.Contains(s, "SQLSTATE 40001") || strings.Contains(s, "SQLSTATE 40P01"))
}

// ErrNotFound is returned by lookups that find nothing.
var ErrNotFound = errors.New("not found")

// NotFound maps GORM's record-not-found to ErrNotFound and leaves any other
// error as it is.
func NotFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// IsUUID reports whether s is a UUID in its canonical 36-character form,
// the only one Procura writes. uuid.Parse also accepts urn:uuid:…, braces
// and undashed forms, some of which PostgreSQL refuses (a 5xx): an id from
// outside is checked with IsUUID before it reaches a query.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}
