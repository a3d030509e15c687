package web

import (
	"net/http"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	resp, body := e.get("/healthz")
	if resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", resp.StatusCode, body)
	}
}

func TestReadyz(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		resp, body := e.get("/readyz")
		if resp.StatusCode != http.StatusOK || body != "ok\n" {
			t.Errorf("/readyz on a migrated store = %d %q", resp.StatusCode, body)
		}
	})
}

func TestReadyzUnmigrated(t *testing.T) {
	d, err := db.Open(t.Context(), dbtest.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	e := newEnv(t, d)
	resp, body := e.get("/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || body != "unavailable\n" {
		t.Errorf("/readyz on an unmigrated store = %d %q", resp.StatusCode, body)
	}
	// /healthz does not look at the store.
	if resp, _ := e.get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d", resp.StatusCode)
	}
}

func TestReadyzClosedStore(t *testing.T) {
	d, err := db.Open(t.Context(), dbtest.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, d)
	d.Close()
	if resp, _ := e.get("/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a closed store = %d", resp.StatusCode)
	}
}
