package db

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// roleName is what GrantAppRole accepts as a role: a plain lower-case SQL
// identifier, so that it needs no quoting beyond double quotes.
var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// GrantAppRole makes role (created if missing, with LOGIN) the least
// privileged role `procura serve` connects as, on this PostgreSQL database:
// SELECT, INSERT, UPDATE and DELETE on every table of the schema, except the
// tables in appendOnly (the journal's), where it may only SELECT and INSERT,
// and schema_migrations, which it may only read; USAGE on the sequences. It
// owns nothing, so it cannot disable a trigger nor grant itself more. The
// connection must be the schema's owner (the role `procura migrate` runs as)
// or a superuser. Run it again after each migration: it is idempotent, and
// grants on the tables the migration added. An empty password leaves the
// role's password as it is.
func (d *DB) GrantAppRole(ctx context.Context, role, password string, appendOnly []string) error {
	if d.Dialect != Postgres {
		return errors.New("db: roles exist on PostgreSQL only")
	}
	if !roleName.MatchString(role) {
		return fmt.Errorf("db: role %q: want a lower-case identifier (letters, digits, _)", role)
	}
	var current string
	if err := d.gorm.WithContext(ctx).Raw("SELECT current_user").Scan(&current).Error; err != nil {
		return fmt.Errorf("db: %w", err)
	}
	if current == role {
		return fmt.Errorf("db: role %s is the one connected (the owner): give the application a role of its own", role)
	}
	q := `"` + role + `"`
	tables := make([]string, len(appendOnly))
	for i, t := range appendOnly {
		if !roleName.MatchString(t) {
			return fmt.Errorf("db: table %q", t)
		}
		tables[i] = t
	}
	statements := []string{
		fmt.Sprintf(`DO $$ BEGIN
			IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN; END IF;
			EXECUTE format('GRANT CONNECT ON DATABASE %%I TO %s', current_database());
		END $$`, role, q, q),
		"ALTER ROLE " + q + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION",
		"GRANT USAGE ON SCHEMA public TO " + q,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + q,
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + q,
		"REVOKE ALL ON schema_migrations FROM " + q,
		"GRANT SELECT ON schema_migrations TO " + q,
	}
	if len(tables) > 0 {
		statements = append(statements,
			"REVOKE ALL ON "+strings.Join(tables, ", ")+" FROM "+q,
			"GRANT SELECT, INSERT ON "+strings.Join(tables, ", ")+" TO "+q)
	}
	if password != "" {
		statements = append(statements, "ALTER ROLE "+q+" PASSWORD '"+strings.ReplaceAll(password, "'", "''")+"'")
	}
	return d.InTx(ctx, func(ctx context.Context) error {
		for _, s := range statements {
			if err := d.Conn(ctx).Exec(s).Error; err != nil {
				if strings.Contains(s, "PASSWORD") {
					s = "ALTER ROLE … PASSWORD …" // never log a password
				}
				return fmt.Errorf("db: %s: %w", strings.Fields(s)[0], err)
			}
		}
		return nil
	})
}

// WriteRisks lists what the connected role could do to tables beyond
// SELECT and INSERT: be a superuser, own a table (and so disable its
// triggers), or hold UPDATE, DELETE or TRUNCATE on it. None on SQLite
// (an embedded file: whoever can write it can rewrite anything; the tree
// and its signed checkpoints are what detects it).
func (d *DB) WriteRisks(ctx context.Context, tables []string) ([]string, error) {
	if d.Dialect != Postgres {
		return nil, nil
	}
	var risks []string
	var super bool
	if err := d.gorm.WithContext(ctx).Raw("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super).Error; err != nil {
		return nil, fmt.Errorf("db: read role: %w", err)
	}
	if super {
		risks = append(risks, "the role is a superuser")
	}
	for _, t := range tables {
		var r struct {
			Owner       bool
			CanUpdate   bool
			CanDelete   bool
			CanTruncate bool
		}
		err := d.gorm.WithContext(ctx).Raw(`SELECT pg_has_role(c.relowner, 'MEMBER') AS owner,
			has_table_privilege(c.oid, 'UPDATE') AS can_update, has_table_privilege(c.oid, 'DELETE') AS can_delete,
			has_table_privilege(c.oid, 'TRUNCATE') AS can_truncate
			FROM pg_class c WHERE c.oid = to_regclass(?)`, t).Scan(&r).Error
		if err != nil {
			return nil, fmt.Errorf("db: privileges on %s: %w", t, err)
		}
		var can []string
		if r.Owner {
			can = append(can, "owns it")
		}
		for _, p := range []struct {
			ok   bool
			name string
		}{{r.CanUpdate, "UPDATE"}, {r.CanDelete, "DELETE"}, {r.CanTruncate, "TRUNCATE"}} {
			if p.ok {
				can = append(can, "may "+p.name)
			}
		}
		if len(can) > 0 {
			risks = append(risks, t+": "+strings.Join(can, ", "))
		}
	}
	return risks, nil
}
