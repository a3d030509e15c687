package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var fixedNow = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

func TestRecordAndList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		j := audit.New(d, fixedNow)
		ctx := audit.WithRequestID(context.Background(), "req-1")
		actor := "aidant-" + t.Name()
		err := d.InTx(ctx, func(ctx context.Context) error {
			return j.Record(ctx, audit.Entry{
				Action: audit.ActionSignIn, ActorKind: audit.ActorAidant, ActorID: actor,
				OrganisationID: "org-1", Details: map[string]string{"method": "totp"},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := j.List(context.Background(), audit.Filter{ActorID: actor})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("got %d entries, want 1", len(got))
		}
		e := got[0]
		if e.Action != audit.ActionSignIn || e.RequestID != "req-1" || !e.Time.Equal(fixedNow()) || e.Details["method"] != "totp" {
			t.Errorf("entry = %+v", e)
		}
	})
}

func TestRecordRefusesOutsideTransaction(t *testing.T) {
	d := dbtest.SQLite(t)
	j := audit.New(d, fixedNow)
	err := j.Record(context.Background(), audit.Entry{Action: audit.ActionSignIn, ActorKind: audit.ActorAidant})
	if !errors.Is(err, audit.ErrNoTransaction) {
		t.Fatalf("Record outside InTx = %v, want ErrNoTransaction", err)
	}
}

func TestJournalRefusesUpdateDeleteTruncate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		j := audit.New(d, fixedNow)
		ctx := context.Background()
		if err := d.InTx(ctx, func(ctx context.Context) error {
			return j.Record(ctx, audit.Entry{Action: audit.ActionSignIn, ActorKind: audit.ActorAidant, ActorID: "x"})
		}); err != nil {
			t.Fatal(err)
		}
		statements := []string{
			"UPDATE audit_entries SET action = 'forged'",
			"DELETE FROM audit_entries",
		}
		if d.Dialect == db.Postgres {
			statements = append(statements, "TRUNCATE audit_entries")
		}
		for _, s := range statements {
			if err := d.Conn(ctx).Exec(s).Error; err == nil {
				t.Errorf("%q succeeded on the journal", s)
			}
		}
		var n int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_entries WHERE action = 'forged'").Scan(&n)
		if n != 0 {
			t.Error("an entry was rewritten")
		}
	})
}

func TestFailedRecordRollsBackTheAct(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		j := audit.New(d, fixedNow)
		ctx := context.Background()
		key := "act-" + t.Name()
		err := d.InTx(ctx, func(ctx context.Context) error {
			if err := d.Conn(ctx).Exec("INSERT INTO sign_in_throttle (key, failures, last_failure_unix) VALUES (?, 1, 0)", key).Error; err != nil {
				return err
			}
			return j.Record(ctx, audit.Entry{}) // invalid: no action
		})
		if err == nil {
			t.Fatal("an invalid entry was accepted")
		}
		var n int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM sign_in_throttle WHERE key = ?", key).Scan(&n)
		if n != 0 {
			t.Error("the act committed without its entry")
		}
	})
}
