package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"procura/config"
	"procura/db"
	"procura/db/dbtest"
	"procura/outbox"
)

func enqueueTest(t *testing.T, a *App, subject string) {
	t.Helper()
	err := a.DB.InTx(context.Background(), func(ctx context.Context) error {
		_, err := a.Outbox.Enqueue(ctx, outbox.Message{Key: "app-" + subject + time.Now().String(), Kind: "test",
			To: "camille@example.fr", Subject: subject, Text: "Bonjour.", HTML: "<p>Bonjour.</p>"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// `procura dev` sends nothing: its worker catches the messages, and the
// mail catcher page shows them.
func TestDevCatchesEmail(t *testing.T) {
	ctx := context.Background()
	url := dbtest.SQLiteURL(t)
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	d.Close()
	cfg := config.Config{
		DatabaseURL: url, BaseURL: "http://127.0.0.1:8080", ListenAddr: "127.0.0.1:0", Dev: true,
		MasterKey: bytes.Repeat([]byte{3}, 32), SessionIdleTimeout: 30 * time.Minute, SessionMaxAge: 10 * time.Hour,
		LogLevel: "info", MaxBodyBytes: 1 << 20,
		FranceConnect: config.FranceConnect{Issuer: "http://127.0.0.1:8080/fc-sandbox", ClientID: "procura-dev", ClientSecret: "secret"},
	}
	a, err := New(ctx, cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	enqueueTest(t, a, "Connexion <faite> en votre nom")
	w, err := a.outboxWorker()
	if err != nil || w == nil {
		t.Fatalf("dev worker: %v, %v", w, err)
	}
	if n, err := w.Deliver(ctx, 10); n != 1 || err != nil {
		t.Fatalf("Deliver = %d, %v", n, err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/dev/courriels")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Connexion &lt;faite&gt; en votre nom") ||
		!strings.Contains(string(body), "sent") || !strings.Contains(string(body), `sandbox srcdoc=`) {
		t.Errorf("mail catcher = %d:\n%s", resp.StatusCode, body)
	}
}

// `procura serve` has no mail catcher, and without an SMTP server keeps
// messages unsent.
func TestServeHasNoMailCatcher(t *testing.T) {
	cfg := config.Config{
		DatabaseURL: dbtest.PostgresURL(t), BaseURL: "https://procura.example.fr", ListenAddr: ":0",
		MasterKey: bytes.Repeat([]byte{3}, 32), SessionIdleTimeout: 30 * time.Minute, SessionMaxAge: 10 * time.Hour,
		LogLevel: "info", MaxBodyBytes: 1 << 20,
		FranceConnect: config.FranceConnect{Issuer: "https://fc.example/api/v2", ClientID: "procura", ClientSecret: "secret"},
	}
	a, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if w, err := a.outboxWorker(); w != nil || err != nil {
		t.Errorf("worker without PROCURA_SMTP_HOST: %v, %v", w, err)
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/courriels", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("/dev/courriels outside dev = %d, want 404", rec.Code)
	}
}
