package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func TestAuditList(t *testing.T) {
	eachStore(t, func(t *testing.T, env map[string]string) {
		// Other tests of the package create organisations in the same
		// database: this one looks for its own.
		sirets := []string{freshSIRET(t), freshSIRET(t)}
		ids := map[string]bool{}
		for _, s := range sirets {
			r := runCLI(t, env, "", "admin", "org", "create", "--siret", s, "--name", "Structure "+s, "--json")
			var org struct{ ID string }
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &org) != nil {
				t.Fatalf("org create = %+v", r)
			}
			ids[org.ID] = true
		}
		r := runCLI(t, env, "", "audit", "list", "--action", "organisation.created")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "\ufeff") {
			t.Fatalf("audit list = %+v", r)
		}
		cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.stdout, "\ufeff")))
		cr.Comma = ';'
		records, err := cr.ReadAll()
		if err != nil || records[0][0] != "identifiant" {
			t.Fatalf("csv %v %v", records, err)
		}
		for _, rec := range records[1:] {
			if rec[2] != "organisation.created" || rec[3] != "Organisation créée" {
				t.Errorf("row %v", rec)
			}
			delete(ids, rec[15])
		}
		if len(ids) > 0 {
			t.Errorf("organisations %v not listed", ids)
		}
		r = runCLI(t, env, "", "audit", "list", "--org", sirets[1], "--format", "json", "--limit", "1")
		var row map[string]any
		if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || json.Unmarshal([]byte(r.stdout), &row) != nil || row["organisation_id"] == "" {
			t.Fatalf("json = %+v", r)
		}
		// Each listing is recorded before its first entry: this one sees itself.
		r = runCLI(t, env, "", "audit", "list", "--action", "audit.journal_exported", "--format", "json")
		if r.code != 0 || strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stdout, `"actor_kind":"operator"`) {
			t.Fatalf("recorded listings = %+v", r)
		}
		for _, bad := range [][]string{
			{"audit", "list", "--format", "xml"},
			{"audit", "list", "--from", "2026-02-30"},
			{"audit", "list", "--procedure", "banque"},
			{"audit", "list", "--action", "nope"},
			{"audit", "list", "--org", "inconnue"},
			{"audit", "list", "--limit", "-1"},
		} {
			if r := runCLI(t, env, "", bad...); r.code == 0 || r.stderr == "" {
				t.Errorf("%v = %+v", bad, r)
			}
		}
	})
}
