package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// integrationWait bounds how long a test waits for entries to be
// integrated. On PostgreSQL the sequencer waits for every transaction that
// has written and is still open in the whole cluster, and other packages'
// tests share the cluster: usually milliseconds, but give them time.
const integrationWait = 90 * time.Second

func TestDBRolesGivesTheServerOnlyInsertAndSelectOnTheJournal(t *testing.T) {
	ctx := context.Background()
	owner, ownerURL := dbtest.FreshPostgresURL(t)
	role := fmt.Sprintf("procura_app_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		owner.Conn(ctx).Exec("DROP OWNED BY " + role)
		if admin, err := db.Open(ctx, dbtest.ServerURL()); err == nil {
			admin.Conn(ctx).Exec("DROP ROLE IF EXISTS " + role)
			admin.Close()
		}
	})
	env := map[string]string{"PROCURA_DATABASE_URL": ownerURL, "APP_PW": "app-secret"}
	if r := runCLI(t, env, "", "admin", "db-roles", "--role", role, "--password-env", "APP_PW"); r.code != 0 {
		t.Fatalf("admin db-roles = %+v", r)
	}
	// Idempotent: run again after a migration.
	if r := runCLI(t, env, "", "admin", "db-roles", "--role", role); r.code != 0 {
		t.Fatalf("admin db-roles again = %+v", r)
	}
	if risks, err := owner.WriteRisks(ctx, audit.Tables()); err != nil || len(risks) == 0 {
		t.Errorf("owner's risks = %v, %v; want some", risks, err)
	}

	u, _ := url.Parse(ownerURL)
	u.User = url.UserPassword(role, "app-secret")
	app, err := db.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if risks, err := app.WriteRisks(ctx, audit.Tables()); err != nil || len(risks) != 0 {
		t.Errorf("application role's risks = %v, %v; want none", risks, err)
	}
	// The server's work: record entries, integrate them, sign checkpoints.
	j := audit.New(app, time.Now)
	skey, vkey, _ := note.GenerateKey(rand.Reader, "procura.test/journal")
	signer, _ := note.NewSigner(skey)
	seq := audit.NewSequencer(j, "procura.test/journal", func(context.Context) (note.Signer, error) { return signer, nil })
	for range 3 {
		if err := app.InTx(ctx, func(ctx context.Context) error {
			return j.Record(ctx, audit.Entry{Action: audit.ActionSignIn, ActorKind: audit.ActorAidant, ActorID: "a"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(integrationWait); ; time.Sleep(20 * time.Millisecond) {
		if _, err := seq.Integrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := j.Pending(ctx); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not integrated")
		}
	}
	vs, _ := audit.VerifierList(vkey)
	if rep, err := j.Verify(ctx, audit.VerifyOptions{Origin: "procura.test/journal", Verifiers: vs}); err != nil || !rep.OK() {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	// What it may not do, triggers or not.
	for _, s := range []string{
		"UPDATE audit_entries SET actor_id = 'x'",
		"DELETE FROM audit_leaves",
		"TRUNCATE audit_checkpoints",
		"ALTER TABLE audit_entries DISABLE TRIGGER USER",
		"SET session_replication_role = replica",
		"DROP TRIGGER audit_entries_no_update_delete ON audit_entries",
		"DELETE FROM mandate_provider_keys",
	} {
		err := app.Conn(ctx).Exec(s).Error
		if err == nil || !(strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "must be owner")) {
			t.Errorf("%q as the application role: %v, want permission denied", s, err)
		}
	}
}
