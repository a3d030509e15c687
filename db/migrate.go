package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one versioned SQL file, migrations/<dialect>/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations of a dialect in version order.
func Migrations(dialect Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(dialect))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("db: migration %s: name must be NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("db: migration versions must run 1, 2, 3…; found %d at position %d", m.Version, i+1)
		}
	}
	return ms, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL
)`

// migrateLockID is the PostgreSQL advisory lock held while migrating, so
// that two instances started together do not apply the same migration twice.
const migrateLockID = 7_301_001

// Migrate applies every embedded migration not yet recorded, each in its own
// transaction with its schema_migrations row. It returns the versions applied.
func (d *DB) Migrate(ctx context.Context) ([]Migration, error) {
	ms, err := Migrations(d.Dialect)
	if err != nil {
		return nil, err
	}
	if err := d.gorm.WithContext(ctx).Exec(createMigrationsTable).Error; err != nil {
		return nil, fmt.Errorf("db: create schema_migrations: %w", err)
	}
	var applied []Migration
	err = d.withMigrationLock(ctx, func(g *gorm.DB) error {
		current, err := currentVersion(g)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Version <= current {
				continue
			}
			err := g.Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec(m.SQL).Error; err != nil {
					return err
				}
				return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
					m.Version, m.Name, time.Now().UTC()).Error
			})
			if err != nil {
				return fmt.Errorf("db: migration %04d_%s: %w", m.Version, m.Name, err)
			}
			applied = append(applied, m)
		}
		return nil
	})
	return applied, err
}

func (d *DB) withMigrationLock(ctx context.Context, fn func(g *gorm.DB) error) error {
	if d.Dialect != Postgres {
		return fn(d.gorm.WithContext(ctx))
	}
	// The advisory lock belongs to a session: hold one connection throughout.
	return d.gorm.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("SELECT pg_advisory_lock(?)", migrateLockID).Error; err != nil {
			return fmt.Errorf("db: migration lock: %w", err)
		}
		defer conn.Exec("SELECT pg_advisory_unlock(?)", migrateLockID)
		return fn(conn)
	})
}

func currentVersion(g *gorm.DB) (int, error) {
	var v *int
	if err := g.Raw("SELECT MAX(version) FROM schema_migrations").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("db: read schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// ErrSchemaOutdated is returned by CheckSchema when migrations are pending.
var ErrSchemaOutdated = fmt.Errorf("database schema is outdated: run `procura migrate`")

// CheckSchema refuses a store whose schema is older (or newer) than this
// binary's migrations.
func (d *DB) CheckSchema(ctx context.Context) error {
	ms, err := Migrations(d.Dialect)
	if err != nil {
		return err
	}
	var exists int64
	q := "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
	if d.Dialect == SQLite {
		q = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
	}
	if err := d.gorm.WithContext(ctx).Raw(q).Scan(&exists).Error; err != nil {
		return fmt.Errorf("db: %w", err)
	}
	if exists == 0 {
		return fmt.Errorf("%w (no schema at all, want version %d)", ErrSchemaOutdated, len(ms))
	}
	current, err := currentVersion(d.gorm.WithContext(ctx))
	if err != nil {
		return err
	}
	switch {
	case current < len(ms):
		return fmt.Errorf("%w (at version %d, want %d)", ErrSchemaOutdated, current, len(ms))
	case current > len(ms):
		return fmt.Errorf("db: schema version %d is newer than this binary (%d): upgrade procura", current, len(ms))
	}
	return nil
}
