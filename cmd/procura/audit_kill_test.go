package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"procura/db"
	"procura/db/dbtest"
)

// TestHelperProcess is not a test: TestSequencerKilledMidBatch runs this
// test binary again, as a separate process, to run one CLI command.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("PROCURA_HELPER_PROCESS") != "1" {
		t.Skip("helper process")
	}
	args := strings.Split(os.Getenv("PROCURA_HELPER_ARGS"), " ")
	c := &CLI{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(c.Run(context.Background(), args))
}

// kill -9 of a sequencer in the middle of integrating a backlog, then a
// restart: the tree holds only whole batches, continues, and verifies.
func TestSequencerKilledMidBatch(t *testing.T) {
	run := func(t *testing.T, d *db.DB, env map[string]string) {
		ctx := context.Background()
		env["PROCURA_BASE_URL"] = "https://procura.example.fr"
		seed := `INSERT INTO audit_entries (occurred_at, action, actor_kind, actor_id)
			SELECT CURRENT_TIMESTAMP, 'token.issued', 'service', 'client-' || g FROM generate_series(1, 30000) g`
		if d.Dialect == db.SQLite {
			seed = `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 30000)
				INSERT INTO audit_entries (occurred_at, action, actor_kind, actor_id)
				SELECT CURRENT_TIMESTAMP, 'token.issued', 'service', 'client-' || n FROM g`
		}
		if err := d.Conn(ctx).Exec(seed).Error; err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "PROCURA_HELPER_PROCESS=1", "PROCURA_HELPER_ARGS=audit integrate")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it once a first batch has committed, while it works on the next.
		var leaves int64
		for deadline := time.Now().Add(integrationWait); leaves == 0; time.Sleep(5 * time.Millisecond) {
			d.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_leaves").Scan(&leaves)
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("no batch integrated in time")
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		var size int64
		time.Sleep(200 * time.Millisecond) // PostgreSQL ends the dead client's transaction
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM audit_leaves").Scan(&leaves)
		d.Conn(ctx).Raw("SELECT COALESCE(MAX(tree_size), 0) FROM audit_checkpoints").Scan(&size)
		if leaves != size || leaves >= 30000 {
			t.Fatalf("after kill -9: %d leaves, latest checkpoint of %d (want equal, below 30000)", leaves, size)
		}
		t.Logf("killed after %d of 30000 entries", leaves)
		if r := runCLI(t, env, "", "audit", "integrate", "--wait", integrationWait.String()); r.code != 0 {
			t.Fatalf("audit integrate after the kill = %+v", r)
		}
		if r := runCLI(t, env, "", "audit", "verify"); r.code != 0 || !strings.Contains(r.stdout, "30001 leaves") {
			t.Fatalf("audit verify after the kill = %+v", r)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		d, u := dbtest.FreshPostgresURL(t)
		run(t, d, map[string]string{"PROCURA_DATABASE_URL": u, "PROCURA_MASTER_KEY": testMasterKey})
	})
	t.Run("sqlite", func(t *testing.T) {
		u := dbtest.SQLiteURL(t)
		env := map[string]string{"PROCURA_DATABASE_URL": u, "PROCURA_MASTER_KEY": testMasterKey}
		if r := runCLI(t, env, "", "migrate"); r.code != 0 {
			t.Fatalf("migrate = %+v", r)
		}
		d, err := db.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		run(t, d, env)
	})
}
