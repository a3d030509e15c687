package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseOptionsDefaultsEnvAndFlags(t *testing.T) {
	o, err := parseOptions(nil, env(map[string]string{"DEMO_CLIENT_SECRET": "s"}))
	if err != nil {
		t.Fatal(err)
	}
	want := options{listen: "127.0.0.1:8081", issuer: "http://localhost:8080", clientID: "demo-service",
		clientSecret: "s", baseURL: "http://localhost:8081", procedures: "social"}
	if o != want {
		t.Errorf("defaults = %+v, want %+v", o, want)
	}
	vars := map[string]string{
		"DEMO_LISTEN": ":9999", "DEMO_ISSUER": "http://procura.test", "DEMO_CLIENT_ID": "caf-demo",
		"DEMO_CLIENT_SECRET": "secret", "DEMO_BASE_URL": "http://demo.test/demo", "DEMO_PROCEDURES": "famille,Logement",
		"DEMO_COOKIE_KEY": strings.Repeat("ab", 32),
	}
	o, err = parseOptions(nil, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	want = options{listen: ":9999", issuer: "http://procura.test", clientID: "caf-demo", clientSecret: "secret",
		baseURL: "http://demo.test/demo", procedures: "famille,Logement", cookieKey: strings.Repeat("ab", 32)}
	if o != want {
		t.Errorf("from env = %+v, want %+v", o, want)
	}
	o, err = parseOptions([]string{"-listen", ":1", "-procedures", "justice"}, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != ":1" || o.procedures != "justice" || o.issuer != "http://procura.test" {
		t.Errorf("flags over env = %+v", o)
	}
	if _, err := parseOptions(nil, env(nil)); err == nil || !strings.Contains(err.Error(), "DEMO_CLIENT_SECRET") {
		t.Errorf("missing secret: err = %v", err)
	}
	if _, err := parseOptions([]string{"extra"}, env(vars)); err == nil {
		t.Error("extra argument accepted")
	}
}

func TestConfig(t *testing.T) {
	o := options{issuer: "http://procura.test", clientID: "c", clientSecret: "s", baseURL: "http://demo.test",
		procedures: "famille,Logement", cookieKey: strings.Repeat("01", 32)}
	cfg, err := o.config(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Procedures, []string{"famille", "Logement"}) || len(cfg.CookieKey) != 32 {
		t.Errorf("config = %+v", cfg)
	}
	for _, bad := range []string{"zz", "abcd", strings.Repeat("0", 63)} {
		o.cookieKey = bad
		if _, err := o.config(slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("cookie key %q accepted", bad)
		}
	}
}

func TestRunServesUnderBasePathAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewJSONHandler(t.Output(), nil))
	// The issuer is never contacted: discovery waits for the first login.
	args := []string{"-listen", "127.0.0.1:0", "-issuer", "http://127.0.0.1:1", "-client-secret", "s",
		"-base-url", "http://127.0.0.1/demo"}
	go func() { done <- run(ctx, args, env(nil), logger, func(a net.Addr) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening")
	}
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/demo/":   "Se connecter avec Procura",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, body)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	for _, args := range [][]string{
		{"-client-secret", "s", "-base-url", "not a url"},
		{"-client-secret", "s", "-cookie-key", "zz"},
		{},
	} {
		err := run(context.Background(), append([]string{"-listen", "127.0.0.1:0"}, args...), env(nil), slog.New(slog.DiscardHandler), nil)
		if err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}
