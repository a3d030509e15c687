// Package dbtest gives tests a real, migrated store: one fresh PostgreSQL
// database per test package (dropped when the package's tests end) and a
// fresh SQLite file per test.
//
// A package that uses Postgres or Each declares
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"procura/db"
)

// DefaultURL is the server tried when PROCURA_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// The package database is shared by the tests of one package binary; it is
// created on first use and dropped by Main.
var pkg struct {
	sync.Mutex
	inMain bool
	name   string
	url    string
	db     *db.DB
	err    error
}

// Main runs the package's tests and then drops the package database.
func Main(m *testing.M) {
	pkg.inMain = true
	code := m.Run()
	if pkg.db != nil {
		pkg.db.Close()
		if err := dropDatabase(pkg.name); err != nil {
			fmt.Fprintln(os.Stderr, "dbtest:", err)
		}
	}
	os.Exit(code)
}

// ServerURL is the PostgreSQL server tests use.
func ServerURL() string {
	if u := os.Getenv("PROCURA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Postgres returns the package's migrated PostgreSQL database.
func Postgres(tb testing.TB) *db.DB {
	tb.Helper()
	d, _ := postgresWithURL(tb)
	return d
}

// PostgresURL returns the URL of the package's migrated PostgreSQL database,
// for tests that start a server of their own on it.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	_, u := postgresWithURL(tb)
	return u
}

func postgresWithURL(tb testing.TB) (*db.DB, string) {
	tb.Helper()
	pkg.Lock()
	defer pkg.Unlock()
	if !pkg.inMain {
		tb.Fatal("dbtest: add `func TestMain(m *testing.M) { dbtest.Main(m) }` to this package")
	}
	if pkg.db == nil && pkg.err == nil {
		pkg.name = fmt.Sprintf("procura_test_%d", time.Now().UnixNano())
		pkg.url, pkg.err = createDatabase(pkg.name)
		if pkg.err == nil {
			pkg.db, pkg.err = openMigrated(pkg.url)
		}
	}
	if pkg.err != nil {
		tb.Fatalf("dbtest: PostgreSQL at %s: %v", redact(ServerURL()), pkg.err)
	}
	return pkg.db, pkg.url
}

// SQLite returns a fresh migrated SQLite store, removed after the test.
func SQLite(tb testing.TB) *db.DB {
	tb.Helper()
	d, err := openMigrated(SQLiteURL(tb))
	if err != nil {
		tb.Fatalf("dbtest: sqlite: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// SQLiteURL returns the URL of a fresh, empty SQLite file.
func SQLiteURL(tb testing.TB) string {
	return "sqlite:" + filepath.Join(tb.TempDir(), "procura.db")
}

// Each runs fn as a subtest on PostgreSQL and on SQLite.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
}

func openMigrated(u string) (*db.DB, error) {
	ctx := context.Background()
	d, err := db.Open(ctx, u)
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func createDatabase(name string) (string, error) {
	admin, err := db.Open(context.Background(), ServerURL())
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if err := admin.Conn(context.Background()).Exec("CREATE DATABASE " + name).Error; err != nil {
		return "", err
	}
	u, err := url.Parse(ServerURL())
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropDatabase(name string) error {
	admin, err := db.Open(context.Background(), ServerURL())
	if err != nil {
		return err
	}
	defer admin.Close()
	return admin.Conn(context.Background()).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	if _, ok := p.User.Password(); ok {
		p.User = url.UserPassword(p.User.Username(), "xxx")
	}
	return strings.TrimSpace(p.String())
}

// FreshPostgres returns a migrated PostgreSQL database of the test's own,
// dropped when the test ends: for tests that damage the store on purpose
// (a superuser tampering with the journal) or need it empty.
func FreshPostgres(tb testing.TB) *db.DB {
	tb.Helper()
	d, _ := FreshPostgresURL(tb)
	return d
}

// FreshPostgresURL is FreshPostgres with the database's URL, for tests that
// connect to it a second time (as another role, or from another process).
func FreshPostgresURL(tb testing.TB) (*db.DB, string) {
	tb.Helper()
	name := fmt.Sprintf("procura_test_%d", time.Now().UnixNano())
	u, err := createDatabase(name)
	if err != nil {
		tb.Fatalf("dbtest: PostgreSQL at %s: %v", redact(ServerURL()), err)
	}
	d, err := openMigrated(u)
	if err != nil {
		dropDatabase(name)
		tb.Fatalf("dbtest: migrate %s: %v", name, err)
	}
	tb.Cleanup(func() {
		d.Close()
		if err := dropDatabase(name); err != nil {
			tb.Logf("dbtest: %v", err)
		}
	})
	return d, u
}

// EachFresh runs fn as a subtest on a fresh PostgreSQL database and on a
// fresh SQLite store.
func EachFresh(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("postgres", func(t *testing.T) { fn(t, FreshPostgres(t)) })
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
}
