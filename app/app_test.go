package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"procura/config"
	"procura/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestMaintenancePurgesEndedSessions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	cfg := config.Config{
		DatabaseURL: dbtest.PostgresURL(t), BaseURL: "https://procura.example.fr", ListenAddr: ":0",
		MasterKey: bytes.Repeat([]byte{3}, 32), SessionIdleTimeout: 30 * time.Minute, SessionMaxAge: 10 * time.Hour,
		LogLevel: "info", MaxBodyBytes: 1 << 20,
		FranceConnect: config.FranceConnect{Issuer: "https://fc.example/api/v2", ClientID: "procura", ClientSecret: "secret"},
	}
	a, err := New(ctx, cfg, slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	conn := a.DB.Conn(ctx)
	// Ended more than a day ago, ended a minute ago, live.
	for i, expires := range []time.Time{now.Add(-25 * time.Hour), now.Add(-time.Minute), now.Add(time.Minute)} {
		if err := conn.Table("web_sessions").Create(map[string]any{"id_hash": []byte{byte(i)}, "data": []byte(`{"k":"v"}`),
			"created_at": now, "last_seen_at": now, "expires_at": expires}).Error; err != nil {
			t.Fatal(err)
		}
	}
	a.runMaintenance(ctx)
	var left []string
	conn.Raw("SELECT convert_from(data, 'UTF8') FROM web_sessions ORDER BY expires_at").Scan(&left)
	// The session ended a minute ago keeps its bare row, its data erased,
	// for the sign-in page to say why it ended (web.SessionStore).
	if len(left) != 2 || left[0] != "{}" || left[1] != `{"k":"v"}` {
		t.Errorf("sessions left: %q, want the recently ended one erased and the live one", left)
	}
}

// A server started with another master key than its database's refuses to
// start, instead of saying ready and failing every sign-in.
func TestServeRefusesAnotherMasterKey(t *testing.T) {
	ctx := context.Background()
	cfg := config.Config{
		DatabaseURL: dbtest.PostgresURL(t), BaseURL: "https://procura.example.fr", ListenAddr: ":0",
		MasterKey: bytes.Repeat([]byte{3}, 32), SessionIdleTimeout: 30 * time.Minute, SessionMaxAge: 10 * time.Hour,
		LogLevel: "info", MaxBodyBytes: 1 << 20,
		FranceConnect: config.FranceConnect{Issuer: "https://fc.example/api/v2", ClientID: "procura", ClientSecret: "secret"},
	}
	a, err := New(ctx, cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	cfg.MasterKey = bytes.Repeat([]byte{4}, 32)
	if _, err := New(ctx, cfg, slog.New(slog.DiscardHandler), time.Now); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("New with another master key: %v, want ErrWrongMasterKey", err)
	}
}

// With PROCURA_METRICS_ADDR, /metrics is served on a listener of its own,
// with the pool's statistics, and not on the public one.
func TestServeMetricsListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := free.Addr().String()
	free.Close()
	cfg := config.Config{
		DatabaseURL: dbtest.PostgresURL(t), BaseURL: "https://procura.example.fr", ListenAddr: "127.0.0.1:0",
		MasterKey: bytes.Repeat([]byte{3}, 32), SessionIdleTimeout: 30 * time.Minute, SessionMaxAge: 10 * time.Hour,
		LogLevel: "info", MaxBodyBytes: 1 << 20, MetricsAddr: metricsAddr, DBMaxConns: 4, DBMaxIdleTime: time.Minute,
		ShutdownTimeout: time.Second,
		FranceConnect:   config.FranceConnect{Issuer: "https://fc.example/api/v2", ClientID: "procura", ClientSecret: "secret"},
	}
	a, err := New(ctx, cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	var body []byte
	for i := 0; i < 50; i++ {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(string(body), "go_sql_max_open_connections{db_name=\"procura\"} 4") {
		t.Errorf("metrics without the pool's size: %.300s", body)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the public listener = %d, want 404", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
