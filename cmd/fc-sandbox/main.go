// Command fc-sandbox runs the FranceConnect-like OpenID Provider of package
// procura/franceconnect/sandbox on its own, for development and end-to-end
// tests; never in front of real users.
//
// Every flag has an environment fallback; a flag given on the command line
// wins:
//
//	-listen              FC_SANDBOX_LISTEN              default 127.0.0.1:9090
//	-issuer              FC_SANDBOX_ISSUER              default http://localhost:9090/api/v2 (must end with /api/v2)
//	-clients             FC_SANDBOX_CLIENTS             JSON array of clients, or @path of a file holding it (required)
//	-signing-key         FC_SANDBOX_SIGNING_KEY_FILE    PEM EC P-256 private key (SEC 1 or PKCS #8); default a fresh key
//	-invalid-identities  FC_SANDBOX_INVALID_IDENTITIES  also offer the deliberately invalid identities
//
// Example:
//
//	fc-sandbox -clients '[{"id":"procura","secret":"dev-secret",
//	  "redirect_uris":["http://localhost:8080/franceconnect/callback"],
//	  "post_logout_redirect_uris":["http://localhost:8080/franceconnect/logout-callback"]}]'
//
// Logs are JSON lines (log/slog) on stderr. GET /healthz answers 200. SIGINT
// or SIGTERM shut the server down gracefully.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"procura/franceconnect/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		logger.Error("fc-sandbox stopped", "err", err.Error())
		os.Exit(1)
	}
}

// options are the command line and environment, before loading.
type options struct {
	listen            string
	issuer            string
	clients           string
	signingKeyFile    string
	invalidIdentities bool
}

func parseOptions(args []string, getenv func(string) string) (options, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	invalid, err := strconv.ParseBool(env("FC_SANDBOX_INVALID_IDENTITIES", "false"))
	if err != nil {
		return options{}, fmt.Errorf("FC_SANDBOX_INVALID_IDENTITIES: %w", err)
	}
	var o options
	fs := flag.NewFlagSet("fc-sandbox", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", env("FC_SANDBOX_LISTEN", "127.0.0.1:9090"), "TCP address to listen on (FC_SANDBOX_LISTEN)")
	fs.StringVar(&o.issuer, "issuer", env("FC_SANDBOX_ISSUER", "http://localhost:9090"+sandbox.IssuerPath), "issuer URL, ending with "+sandbox.IssuerPath+" (FC_SANDBOX_ISSUER)")
	fs.StringVar(&o.clients, "clients", env("FC_SANDBOX_CLIENTS", ""), "JSON array of clients, or @file (FC_SANDBOX_CLIENTS)")
	fs.StringVar(&o.signingKeyFile, "signing-key", env("FC_SANDBOX_SIGNING_KEY_FILE", ""), "PEM EC P-256 private key file (FC_SANDBOX_SIGNING_KEY_FILE)")
	fs.BoolVar(&o.invalidIdentities, "invalid-identities", invalid, "also offer deliberately invalid identities (FC_SANDBOX_INVALID_IDENTITIES)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return o, nil
}

// config turns options into a sandbox.Config, reading the files they name.
func (o options) config(logger *slog.Logger) (sandbox.Config, error) {
	clients, err := parseClients(o.clients)
	if err != nil {
		return sandbox.Config{}, err
	}
	cfg := sandbox.Config{
		Issuer:                   o.issuer,
		Clients:                  clients,
		IncludeInvalidIdentities: o.invalidIdentities,
		Logger:                   logger,
	}
	if o.signingKeyFile != "" {
		if cfg.SigningKey, err = readSigningKey(o.signingKeyFile); err != nil {
			return sandbox.Config{}, err
		}
	}
	return cfg, nil
}

func parseClients(value string) ([]sandbox.Client, error) {
	if value == "" {
		return nil, errors.New("no client: set -clients or FC_SANDBOX_CLIENTS to a JSON array of clients")
	}
	data := []byte(value)
	if path, ok := strings.CutPrefix(value, "@"); ok {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("clients: %w", err)
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var clients []sandbox.Client
	if err := dec.Decode(&clients); err != nil {
		return nil, fmt.Errorf("clients: want a JSON array of {id, secret, redirect_uris, post_logout_redirect_uris}: %w", err)
	}
	return clients, nil
}

func readSigningKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("signing key %s: no PEM block", path)
	}
	switch block.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", path, err)
		}
		ec, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing key %s: not an EC key", path)
		}
		return ec, nil
	default:
		return nil, fmt.Errorf("signing key %s: unexpected PEM block %q", path, block.Type)
	}
}

// run serves until ctx ends, then shuts down gracefully. ready, if not nil,
// learns the address listened on (tests listen on port 0).
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger, ready func(net.Addr)) error {
	opts, err := parseOptions(args, getenv)
	if err != nil {
		return err
	}
	cfg, err := opts.config(logger)
	if err != nil {
		return err
	}
	provider, err := sandbox.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           logRequests(logger, handler(provider)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("fc-sandbox listening", "addr", ln.Addr().String(), "issuer", provider.Issuer(),
		"discovery", provider.Issuer()+"/.well-known/openid-configuration", "clients", len(cfg.Clients),
		"invalid_identities", cfg.IncludeInvalidIdentities)
	if ready != nil {
		ready(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("fc-sandbox shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handler mounts the provider where its issuer says, next to /healthz.
func handler(p *sandbox.Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	if mp := p.MountPath(); mp != "" {
		mux.Handle(mp+"/", http.StripPrefix(mp, p))
	} else {
		mux.Handle("/", p)
	}
	return mux
}

// logRequests logs one line per request: method, path (never the query,
// which carries codes, states and tokens), status and duration.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", time.Since(start).Milliseconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
