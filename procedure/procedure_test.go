package procedure_test

import (
	"testing"

	"procura/procedure"
)

func TestCatalogue(t *testing.T) {
	all := procedure.All()
	if len(all) != 10 {
		t.Fatalf("%d procedures, want the 10 of DESIGN.md §4", len(all))
	}
	owner := map[string]string{}
	for _, p := range all {
		for _, key := range []string{p.ID, p.RepScope, p.Label} {
			if o, ok := owner[key]; key == "" || (ok && o != p.ID) {
				t.Errorf("%q empty or shared by two procedures", key)
			}
			owner[key] = p.ID
			if got, ok := procedure.ByRequest(key); !ok || got.ID != p.ID {
				t.Errorf("ByRequest(%q) = %v, %v", key, got.ID, ok)
			}
		}
		if p.Description == "" || p.Examples == "" {
			t.Errorf("%s lacks a description or examples", p.ID)
		}
	}
	if p, _ := procedure.ByID("argent"); p.Warning == "" {
		t.Error("argent lacks its banking warning")
	}
	if _, ok := procedure.ByID("banque"); ok {
		t.Error("unknown id found")
	}
}
