// Command demo-service runs the demo public service of package
// procura/demoservice on its own: a fictitious "Caisse d'allocations de
// démonstration" that signs in with Procura through an independent OpenID
// Connect client library and shows what it received (identity, rep_scope,
// act). For development, demonstrations and end-to-end tests; never in
// front of real users.
//
// Every flag has an environment fallback; a flag given on the command line
// wins:
//
//	-listen         DEMO_LISTEN         default 127.0.0.1:8081
//	-issuer         DEMO_ISSUER         Procura's issuer (base URL); default http://localhost:8080
//	-client-id      DEMO_CLIENT_ID      default demo-service
//	-client-secret  DEMO_CLIENT_SECRET  required
//	-base-url       DEMO_BASE_URL       the service's external URL; default http://localhost:8081
//	-procedures     DEMO_PROCEDURES     comma-separated rep_scope values (ids or labels); default social
//	-cookie-key     DEMO_COOKIE_KEY     64 hex digits; default a fresh key (sessions end at restart)
//
// Register the service at Procura as a client with redirect URI
// <base-url>/callback, post-logout redirect URI <base-url>/deconnecte,
// token_endpoint_auth_method client_secret_basic, and the procedures
// requested. When the base URL has a path (http://host/demo), the service
// is served under that path.
//
// Logs are JSON lines (log/slog) on stderr. GET /healthz answers 200.
// SIGINT or SIGTERM shut the server down gracefully.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"procura/demoservice"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		logger.Error("demo-service stopped", "err", err.Error())
		os.Exit(1)
	}
}

// options are the command line and environment, before loading.
type options struct {
	listen       string
	issuer       string
	clientID     string
	clientSecret string
	baseURL      string
	procedures   string
	cookieKey    string
}

func parseOptions(args []string, getenv func(string) string) (options, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var o options
	fs := flag.NewFlagSet("demo-service", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", env("DEMO_LISTEN", "127.0.0.1:8081"), "TCP address to listen on (DEMO_LISTEN)")
	fs.StringVar(&o.issuer, "issuer", env("DEMO_ISSUER", "http://localhost:8080"), "Procura's issuer, its base URL (DEMO_ISSUER)")
	fs.StringVar(&o.clientID, "client-id", env("DEMO_CLIENT_ID", "demo-service"), "client id at Procura (DEMO_CLIENT_ID)")
	fs.StringVar(&o.clientSecret, "client-secret", env("DEMO_CLIENT_SECRET", ""), "client secret at Procura (DEMO_CLIENT_SECRET)")
	fs.StringVar(&o.baseURL, "base-url", env("DEMO_BASE_URL", "http://localhost:8081"), "the service's external URL (DEMO_BASE_URL)")
	fs.StringVar(&o.procedures, "procedures", env("DEMO_PROCEDURES", "social"), "comma-separated rep_scope values requested (DEMO_PROCEDURES)")
	fs.StringVar(&o.cookieKey, "cookie-key", env("DEMO_COOKIE_KEY", ""), "session cookie key, 64 hex digits (DEMO_COOKIE_KEY)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.clientSecret == "" {
		return options{}, errors.New("no client secret: set -client-secret or DEMO_CLIENT_SECRET")
	}
	return o, nil
}

// config turns options into a demoservice.Config.
func (o options) config(logger *slog.Logger) (demoservice.Config, error) {
	cfg := demoservice.Config{
		Issuer:       o.issuer,
		ClientID:     o.clientID,
		ClientSecret: o.clientSecret,
		BaseURL:      o.baseURL,
		Procedures:   strings.Split(o.procedures, ","),
		Logger:       logger,
	}
	if o.cookieKey != "" {
		key, err := hex.DecodeString(o.cookieKey)
		if err != nil || len(key) != 32 {
			return demoservice.Config{}, errors.New("cookie key: want 64 hex digits (32 bytes)")
		}
		cfg.CookieKey = key
	}
	return cfg, nil
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
	svc, err := demoservice.New(cfg)
	if err != nil {
		return err
	}
	h, err := handler(svc, cfg.BaseURL)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           logRequests(logger, h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("demo-service listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL,
		"issuer", cfg.Issuer, "client_id", cfg.ClientID, "procedures", opts.procedures,
		"redirect_uri", svc.RedirectURI(), "post_logout_redirect_uri", svc.PostLogoutRedirectURI())
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
	logger.Info("demo-service shutting down")
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

// handler mounts the service at the path of its base URL, next to
// /healthz.
func handler(svc *demoservice.Service, baseURL string) (http.Handler, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	if prefix := strings.TrimSuffix(u.Path, "/"); prefix != "" {
		mux.Handle(prefix+"/", http.StripPrefix(prefix, svc))
	} else {
		mux.Handle("/", svc)
	}
	return mux, nil
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
