package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const clientsJSON = `[{"id":"procura","secret":"dev-secret",
  "redirect_uris":["http://localhost:8080/franceconnect/callback"],
  "post_logout_redirect_uris":["http://localhost:8080/franceconnect/logout-callback"]}]`

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseOptionsDefaultsEnvAndFlags(t *testing.T) {
	o, err := parseOptions(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != "127.0.0.1:9090" || o.issuer != "http://localhost:9090/api/v2" || o.invalidIdentities {
		t.Errorf("defaults = %+v", o)
	}
	vars := map[string]string{
		"FC_SANDBOX_LISTEN": ":9999", "FC_SANDBOX_ISSUER": "http://fc.test/api/v2", "FC_SANDBOX_CLIENTS": clientsJSON,
		"FC_SANDBOX_INVALID_IDENTITIES": "true", "FC_SANDBOX_SIGNING_KEY_FILE": "/k.pem",
	}
	o, err = parseOptions(nil, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	want := options{listen: ":9999", issuer: "http://fc.test/api/v2", clients: clientsJSON, signingKeyFile: "/k.pem", invalidIdentities: true}
	if o != want {
		t.Errorf("from env = %+v, want %+v", o, want)
	}
	o, err = parseOptions([]string{"-listen", ":1", "-issuer", "http://flag.test/api/v2", "-invalid-identities=false"}, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != ":1" || o.issuer != "http://flag.test/api/v2" || o.invalidIdentities || o.clients != clientsJSON {
		t.Errorf("flags over env = %+v", o)
	}
	if _, err := parseOptions(nil, env(map[string]string{"FC_SANDBOX_INVALID_IDENTITIES": "peut-être"})); err == nil {
		t.Error("bad boolean accepted")
	}
	if _, err := parseOptions([]string{"extra"}, env(nil)); err == nil {
		t.Error("stray argument accepted")
	}
}

func TestParseClients(t *testing.T) {
	file := filepath.Join(t.TempDir(), "clients.json")
	if err := os.WriteFile(file, []byte(clientsJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, value := range []string{clientsJSON, "@" + file} {
		clients, err := parseClients(value)
		if err != nil {
			t.Fatalf("%s: %v", value, err)
		}
		if len(clients) != 1 || clients[0].ID != "procura" || clients[0].Secret != "dev-secret" ||
			len(clients[0].RedirectURIs) != 1 || len(clients[0].PostLogoutRedirectURIs) != 1 {
			t.Errorf("%s: clients = %+v", value, clients)
		}
	}
	for _, bad := range []string{"", "procura:secret:http://x/cb", `[{"id":"a","secrett":"typo"}]`, "@/nonexistent/clients.json"} {
		if _, err := parseClients(bad); err == nil {
			t.Errorf("parseClients(%q) accepted", bad)
		}
	}
}

func TestReadSigningKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, block := range map[string]*pem.Block{
		"sec1.pem": {Type: "EC PRIVATE KEY", Bytes: sec1}, "pkcs8.pem": {Type: "PRIVATE KEY", Bytes: pkcs8},
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readSigningKey(path)
		if err != nil || !got.Equal(key) {
			t.Errorf("%s: key %v, err %v", name, got, err)
		}
	}
	notPEM := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(notPEM, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readSigningKey(notPEM); err == nil {
		t.Error("non-PEM key accepted")
	}
}

func TestRunServesUnderTheIssuerPathAndShutsDown(t *testing.T) {
	vars := map[string]string{
		"FC_SANDBOX_LISTEN":  "127.0.0.1:0",
		"FC_SANDBOX_ISSUER":  "http://fc.test/fc-sandbox/api/v2",
		"FC_SANDBOX_CLIENTS": clientsJSON,
	}
	logs := &syncWriter{w: &bytes.Buffer{}}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env(vars), logger, func(a net.Addr) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}

	res, err := http.Get(base + "/fc-sandbox/api/v2/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Issuer string `json:"issuer"`
		Token  string `json:"token_endpoint"`
	}
	err = json.NewDecoder(res.Body).Decode(&d)
	res.Body.Close()
	if err != nil || d.Issuer != vars["FC_SANDBOX_ISSUER"] || d.Token != vars["FC_SANDBOX_ISSUER"]+"/token" {
		t.Errorf("discovery: %+v, %v", d, err)
	}
	res, err = http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("healthz: %d %q", res.StatusCode, body)
	}
	// The query (codes, tokens, states) never reaches the logs.
	res, err = http.Get(base + "/fc-sandbox/api/v2/session/end?id_token_hint=secret-looking-value&state=s")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	out := logs.String()
	for _, want := range []string{`"msg":"fc-sandbox listening"`, `"path":"/fc-sandbox/api/v2/session/end"`, `"msg":"fc-sandbox shutting down"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret-looking-value") {
		t.Errorf("logs leak the query:\n%s", out)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"no client":       {"FC_SANDBOX_LISTEN": "127.0.0.1:0"},
		"bad issuer":      {"FC_SANDBOX_LISTEN": "127.0.0.1:0", "FC_SANDBOX_CLIENTS": clientsJSON, "FC_SANDBOX_ISSUER": "http://x/"},
		"missing keyfile": {"FC_SANDBOX_LISTEN": "127.0.0.1:0", "FC_SANDBOX_CLIENTS": clientsJSON, "FC_SANDBOX_SIGNING_KEY_FILE": "/nonexistent.pem"},
	} {
		logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
		if err := run(context.Background(), nil, env(vars), logger, nil); err == nil {
			t.Errorf("%s: run started", name)
		}
	}
}

// syncWriter serialises writes and reads: the server logs from several
// goroutines while the test reads.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
