// Package app wires one Procura server from its configuration: the store,
// the journal, the domain packages and the web handler. cmd/procura runs it;
// end-to-end tests start the same thing on a test listener.
package app

import (
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"procura/account"
	"procura/audit"
	"procura/authz"
	"procura/config"
	"procura/db"
	"procura/demoservice"
	"procura/devtools/mailcatcher"
	"procura/franceconnect"
	"procura/franceconnect/sandbox"
	"procura/keyring"
	"procura/mandate"
	"procura/metrics"
	"procura/notice"
	"procura/outbox"
	"procura/oversight"
	"procura/seal"
	"procura/templates"
	"procura/usager"
	"procura/web"
)

// App is a wired Procura server.
type App struct {
	Config  config.Config
	Logger  *slog.Logger
	Now     func() time.Time
	DB      *db.DB
	Journal *audit.Journal
	// Sequencer integrates the journal's entries into its Merkle tree and
	// signs its checkpoints; nil when the base URL (which names the
	// journal) is not configured, as in some operator commands.
	Sequencer *audit.Sequencer
	Directory *account.Directory
	Usagers   *usager.Registry
	Keys      *keyring.Keyring
	// Sessions is the store of web sessions; deactivating an account ends
	// its sessions through it.
	Sessions *web.SessionStore
	Mandates *mandate.Registry
	// Oversight reads the journal for managers and the operator.
	Oversight *oversight.Service
	// Metrics are this server's Prometheus metrics, served on
	// cfg.MetricsAddr when set.
	Metrics *metrics.Metrics
	// OAuth is the OpenID Provider's storage; mandates revoke its tokens.
	OAuth *authz.Store
	// Clients registers and disables services, with their audit entries.
	Clients *authz.Clients
	// Outbox holds the email to send; Notices tells usagers of the
	// delegated logins they asked to be told of, through it.
	Outbox  *outbox.Outbox
	Notices *notice.Notices
	Web     *web.Server
	// FCSandbox is the FranceConnect-like provider `procura dev` mounts at
	// /fc-sandbox, and DemoService the service it mounts at /demo-service;
	// nil otherwise.
	FCSandbox   *sandbox.Provider
	DemoService *demoservice.Service
}

// New opens the store named by cfg and wires the server. The schema must be
// current (run Migrate first): a server never runs on an outdated schema.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger, now func() time.Time) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, err := db.OpenWith(ctx, cfg.DatabaseURL, db.Options{MaxConns: cfg.DBMaxConns, MaxIdleTime: cfg.DBMaxIdleTime})
	if err != nil {
		return nil, err
	}
	if err := d.CheckSchema(ctx); err != nil {
		d.Close()
		return nil, err
	}
	a, err := wire(cfg, logger, now, d)
	if err == nil {
		err = a.ensureKeys(ctx)
	}
	if err == nil {
		err = a.warnJournalWritable(ctx)
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

// ensureKeys creates the first signing keys on a new store: ES256 and
// RS256 for the OpenID Provider, ES256 for mandates, Ed25519 for the
// journal's checkpoints.
func (a *App) ensureKeys(ctx context.Context) error {
	for _, k := range []struct {
		purpose keyring.Purpose
		alg     jose.SignatureAlgorithm
	}{{keyring.PurposeOIDC, jose.ES256}, {keyring.PurposeOIDC, jose.RS256}, {keyring.PurposeMandate, jose.ES256},
		{keyring.PurposeJournal, jose.EdDSA}} {
		if _, err := a.Keys.Ensure(ctx, k.purpose, k.alg); err != nil {
			return fmt.Errorf("signing keys: %w", err)
		}
		// The keys are sealed with the master key: opening them is the
		// canary that refuses to serve with another master key (every
		// sign-in and signature would fail).
		if _, err := a.Keys.Signer(ctx, k.purpose, k.alg); err != nil {
			return fmt.Errorf("%w (%v)", ErrWrongMasterKey, err)
		}
	}
	return nil
}

// ErrWrongMasterKey stops a server whose master key cannot open the secrets
// stored in its database.
var ErrWrongMasterKey = errors.New("the master key (PROCURA_MASTER_KEY) cannot open the secrets stored in this database: " +
	"it is not the key this database was set up with")

// warnJournalWritable warns, loudly, when the role the server connects as
// could rewrite the journal: DESIGN.md §6 wants the application to hold
// only INSERT and SELECT on it (README, "Database roles").
func (a *App) warnJournalWritable(ctx context.Context) error {
	risks, err := a.DB.WriteRisks(ctx, audit.Tables())
	if err != nil {
		return err
	}
	if len(risks) > 0 {
		a.Logger.Warn("SECURITY: the database role of this server can rewrite the audit journal; "+
			"run `procura admin db-roles` as the schema owner and connect as the role it creates",
			"risks", strings.Join(risks, "; "))
	}
	return nil
}

// Tools wires the domain packages on an open store, without the web server:
// what the operator commands need.
func Tools(cfg config.Config, logger *slog.Logger, now func() time.Time, d *db.DB) (*App, error) {
	j := audit.New(d, now)
	sessions := web.NewSessionStore(d, now, webSettings(cfg))
	dir, err := account.NewDirectory(d, j, cfg.MasterKey, sessions, now)
	if err != nil {
		return nil, err
	}
	usagers, err := usager.New(d, j, cfg.MasterKey, now)
	if err != nil {
		return nil, err
	}
	keys, err := keyring.New(d, j, cfg.MasterKey, now)
	if err != nil {
		return nil, err
	}
	oauth := authz.NewStore(d, now)
	dir.SetTokens(oauth)
	out := outbox.New(d, now)
	dir.WithMailer(out, cfg.BaseURL)
	notices := notice.New(d, out, usagers, dir, cfg.BaseURL, now)
	paris, err := mandate.Paris()
	if err != nil {
		return nil, err
	}
	mandates := mandate.New(d, j, dir, usagers, keys, oauth, now).WithNotifier(notices)
	a := &App{Config: cfg, Logger: logger, Now: now, DB: d, Journal: j, Directory: dir, Usagers: usagers, Keys: keys, Sessions: sessions,
		OAuth: oauth, Clients: authz.NewClients(oauth, j), Mandates: mandates,
		Oversight: oversight.New(d, j, dir, usagers, mandates, oauth, paris, now),
		Outbox:    out, Notices: notices}
	if origin, err := audit.Origin(cfg.BaseURL); err == nil {
		a.Sequencer = audit.NewSequencer(j, origin, func(ctx context.Context) (note.Signer, error) {
			return keys.NoteSigner(ctx, origin)
		})
	}
	return a, nil
}

func wire(cfg config.Config, logger *slog.Logger, now func() time.Time, d *db.DB) (*App, error) {
	a, err := Tools(cfg, logger, now, d)
	if err != nil {
		return nil, err
	}
	a.Metrics = metrics.New()
	if pool, err := d.Pool(); err == nil {
		a.Metrics.WatchPool(pool)
	}
	if cfg.Dev {
		if a.FCSandbox, err = devSandbox(cfg, logger); err != nil {
			return nil, err
		}
		if a.DemoService, err = devDemoService(cfg, logger); err != nil {
			return nil, err
		}
	}
	// Discovery is lazy: the provider may be down at start (or, in dev,
	// served by this very process once it listens).
	fc, err := franceconnect.New(context.Background(), franceconnect.Config{
		Issuer: cfg.FranceConnect.Issuer, ClientID: cfg.FranceConnect.ClientID, ClientSecret: cfg.FranceConnect.ClientSecret,
		RedirectURI: cfg.BaseURL + web.PathFranceConnectCallback, PostLogoutRedirectURI: cfg.BaseURL + web.PathFranceConnectLogout,
		Now: now,
	})
	if err != nil {
		return nil, fmt.Errorf("franceconnect: %w", err)
	}
	provider, err := newProvider(cfg, logger, now, a)
	if err != nil {
		return nil, err
	}
	pendingSealer, err := seal.New(cfg.MasterKey, "web pending authorization")
	if err != nil {
		return nil, err
	}
	a.Web, err = web.New(web.Deps{
		DB: d, Journal: a.Journal, Directory: a.Directory, FranceConnect: fc, Usagers: a.Usagers, Mandates: a.Mandates, Oversight: a.Oversight,
		Provider: provider, Sessions: a.Sessions, Logger: logger, Now: now, PendingSealer: pendingSealer, Metrics: a.Metrics,
		Settings: webSettings(cfg),
		JournalKeys: func(ctx context.Context) ([]string, error) {
			if a.Sequencer == nil {
				return nil, errors.New("app: the journal has no origin (PROCURA_BASE_URL)")
			}
			return a.Keys.NoteVerifierKeys(ctx, a.Sequencer.Origin())
		},
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// webSettings are the web server's knobs from the configuration.
func webSettings(cfg config.Config) web.Settings {
	return web.Settings{
		BaseURL:            cfg.BaseURL,
		SecureCookies:      cfg.SecureCookies(),
		SessionIdleTimeout: cfg.SessionIdleTimeout,
		SessionMaxAge:      cfg.SessionMaxAge,
		MaxBodyBytes:       cfg.MaxBodyBytes,
		TrustProxyHeaders:  cfg.TrustProxyHeaders,
		Operator: templates.Operator{Name: cfg.Operator.Name, Address: cfg.Operator.Address, Email: cfg.Operator.Email,
			DPOEmail: cfg.Operator.DPOEmail, PublicationDirector: cfg.Operator.PublicationDirector, Host: cfg.Operator.Host},
		RetentionDays: cfg.RetentionDays,
		EmailKeepDays: int(outboxKeep / (24 * time.Hour)),
	}
}

// newProvider composes the OpenID Provider on the app's store, keys and
// rules. Its two secrets are derived from the master key.
func newProvider(cfg config.Config, logger *slog.Logger, now func() time.Time, a *App) (*authz.Provider, error) {
	pairwise, err := hkdf.Key(sha256.New, cfg.MasterKey, nil, "procura oidc pairwise subjects", 32)
	if err != nil {
		return nil, err
	}
	tokenKey, err := hkdf.Key(sha256.New, cfg.MasterKey, nil, "procura oidc token hmac", 32)
	if err != nil {
		return nil, err
	}
	return authz.NewProvider(authz.ProviderConfig{
		Issuer: cfg.BaseURL, Store: a.OAuth, Keys: authz.KeyringKeys(a.Keys), Journal: a.Journal, DB: a.DB, Now: now,
		Permissions: authz.MandatePermissions{Mandates: a.Mandates, Usagers: a.Usagers}, Usagers: authz.UsagerIdentities{Usagers: a.Usagers},
		Notices:     authz.UsagerNotices{Notices: a.Notices},
		PairwiseKey: pairwise, TokenKey: tokenKey, Logger: logger, Metrics: a.Metrics,
	})
}

// Handler is the server's whole HTTP handler. In `procura dev` the
// FranceConnect sandbox is mounted beside Procura, outside its middleware:
// it is another site that happens to share the port.
func (a *App) Handler() http.Handler {
	if a.FCSandbox == nil {
		return a.Web.Handler()
	}
	mux := http.NewServeMux()
	mux.Handle(DevSandboxPath+"/", http.StripPrefix(DevSandboxPath, a.FCSandbox))
	mux.Handle(DevDemoServicePath+"/", http.StripPrefix(DevDemoServicePath, a.DemoService))
	mux.Handle("GET "+mailcatcher.Path, mailcatcher.Handler(a.Outbox, a.Logger))
	mux.Handle("/", a.Web.Handler())
	return mux
}

// Serve answers HTTP on ln until ctx ends, then shuts down gracefully,
// letting requests in flight finish for up to cfg.ShutdownTimeout. Periodic
// jobs (maintenance.go) run meanwhile. With cfg.MetricsAddr, /metrics is
// served on a listener of its own.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if a.Config.MetricsAddr != "" {
		stop, err := a.serveMetrics(a.Config.MetricsAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	worker, err := a.outboxWorker()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	maintenanceCtx, stopMaintenance := context.WithCancel(ctx)
	defer stopMaintenance()
	go a.maintain(maintenanceCtx)
	if worker != nil {
		go a.deliverOutbox(maintenanceCtx, worker)
	} else {
		a.Logger.Warn("PROCURA_SMTP_HOST is unset: email waits in the outbox unsent (procura admin outbox list)")
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down")
	timeout := a.Config.ShutdownTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveMetrics serves /metrics on addr until stop is called.
func (a *App) serveMetrics(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	a.Logger.Info("metrics serving", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// Close releases the store.
func (a *App) Close() error { return a.DB.Close() }
