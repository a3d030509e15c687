package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

func TestAuditCommands(t *testing.T) {
	run := func(t *testing.T, env map[string]string) {
		env["PROCURA_BASE_URL"] = "https://procura.example.fr"
		if r := runCLI(t, env, "", "admin", "org", "create", "--siret", freshSIRET(t), "--name", "Maison France Services"); r.code != 0 {
			t.Fatalf("org create = %+v", r)
		}
		key := runCLI(t, env, "", "audit", "key")
		if key.code != 0 || !strings.HasPrefix(key.stdout, "procura.example.fr/journal+") {
			t.Fatalf("audit key = %+v", key)
		}
		if r := runCLI(t, env, "", "audit", "integrate", "--wait", integrationWait.String()); r.code != 0 {
			t.Fatalf("audit integrate = %+v", r)
		}
		cp := runCLI(t, env, "", "audit", "checkpoint")
		if cp.code != 0 || !strings.HasPrefix(cp.stdout, "procura.example.fr/journal\n") || !strings.Contains(cp.stdout, "\n— procura.example.fr/journal ") {
			t.Fatalf("audit checkpoint = %+v", cp)
		}
		v := runCLI(t, env, "", "audit", "verify", "--json")
		var rep struct {
			TreeSize uint64 `json:"tree_size"`
			Findings []any  `json:"findings"`
		}
		if v.code != 0 || json.Unmarshal([]byte(v.stdout), &rep) != nil || rep.TreeSize == 0 || len(rep.Findings) != 0 {
			t.Fatalf("audit verify --json = %+v", v)
		}
		proof := runCLI(t, env, "", "audit", "proof", "--entry", "1")
		if proof.code != 0 {
			t.Fatalf("audit proof = %+v", proof)
		}
		file := filepath.Join(t.TempDir(), "receipt.json")
		os.WriteFile(file, []byte(proof.stdout), 0o600)
		offline := map[string]string{} // no store at all: the key is enough
		if r := runCLI(t, offline, "", "audit", "verify-receipt", "--key", strings.TrimSpace(key.stdout), file); r.code != 0 || !strings.HasPrefix(r.stdout, "OK: entry 1 ") {
			t.Fatalf("audit verify-receipt = %+v", r)
		}
		os.WriteFile(file, []byte(strings.Replace(proof.stdout, `"organisation.created"`, `"organisation.forged"`, 1)), 0o600)
		if r := runCLI(t, offline, "", "audit", "verify-receipt", "--key", strings.TrimSpace(key.stdout), file); r.code != 1 || !strings.Contains(r.stderr, "not in the tree") {
			t.Fatalf("audit verify-receipt of a changed receipt = %+v", r)
		}
		if r := runCLI(t, env, "", "audit", "proof", "--from", "1"); r.code != 0 || !strings.Contains(r.stdout, "consistency_proof") {
			t.Fatalf("audit proof --from = %+v", r)
		}

		// A superuser rewrites the entry: verify fails and names it.
		d, err := db.Open(context.Background(), env["PROCURA_DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		err = d.InTx(context.Background(), func(ctx context.Context) error {
			if d.Dialect == db.Postgres {
				d.Conn(ctx).Exec("SET LOCAL session_replication_role = replica")
			} else {
				d.Conn(ctx).Exec("DROP TRIGGER audit_entries_no_update")
			}
			return d.Conn(ctx).Exec("UPDATE audit_entries SET organisation_id = 'other' WHERE id = 1").Error
		})
		if err != nil {
			t.Fatal(err)
		}
		if r := runCLI(t, env, "", "audit", "verify"); r.code != 1 || !strings.Contains(r.stderr, "entry 1 (leaf 0)") {
			t.Fatalf("audit verify after tampering = %+v", r)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		_, u := dbtest.FreshPostgresURL(t)
		run(t, map[string]string{"PROCURA_DATABASE_URL": u, "PROCURA_MASTER_KEY": testMasterKey})
	})
	t.Run("sqlite", func(t *testing.T) {
		env := map[string]string{"PROCURA_DATABASE_URL": dbtest.SQLiteURL(t), "PROCURA_MASTER_KEY": testMasterKey}
		if r := runCLI(t, env, "", "migrate"); r.code != 0 {
			t.Fatalf("migrate = %+v", r)
		}
		run(t, env)
	})
}
