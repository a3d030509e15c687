package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		applied, err := d.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %d migrations, want 0", len(applied))
		}
		if err := d.CheckSchema(ctx); err != nil {
			t.Errorf("CheckSchema after Migrate: %v", err)
		}
	})
}

func TestCheckSchemaRefusesUnmigratedStore(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.CheckSchema(ctx); !errors.Is(err, db.ErrSchemaOutdated) {
		t.Fatalf("CheckSchema on empty store = %v, want ErrSchemaOutdated", err)
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := d.InTx(ctx, func(ctx context.Context) error {
			if !db.InTransaction(ctx) {
				t.Error("InTransaction is false inside InTx")
			}
			if err := d.Conn(ctx).Exec("INSERT INTO sign_in_throttle (key, failures, last_failure_unix) VALUES ('rollback-test', 1, 0)").Error; err != nil {
				return err
			}
			// A nested InTx joins the outer transaction.
			return d.InTx(ctx, func(ctx context.Context) error { return boom })
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		var n int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM sign_in_throttle WHERE key = 'rollback-test'").Scan(&n)
		if n != 0 {
			t.Errorf("row survived a rolled-back transaction")
		}
	})
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	_, err := db.Open(context.Background(), "mysql://x")
	if err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("Open(mysql://) = %v, want a clear error", err)
	}
}

// FuzzIsUUID: what IsUUID accepts is a canonical UUID PostgreSQL takes.
func FuzzIsUUID(f *testing.F) {
	for _, s := range []string{"8c3f6ac2-1f5e-4b8e-9f0e-2a1c0e6b7d11", "urn:uuid:8c3f6ac2-1f5e-4b8e-9f0e-2a1c0e6b7d11",
		"{8c3f6ac2-1f5e-4b8e-9f0e-2a1c0e6b7d11}", "8c3f6ac21f5e4b8e9f0e2a1c0e6b7d11", "", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !db.IsUUID(s) {
			return
		}
		for i, c := range s {
			dash := i == 8 || i == 13 || i == 18 || i == 23
			if dash != (c == '-') || (!dash && !strings.ContainsRune("0123456789abcdefABCDEF", c)) {
				t.Fatalf("IsUUID(%q) accepted a non-canonical form", s)
			}
		}
	})
}
