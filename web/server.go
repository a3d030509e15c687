// Package web is Procura's HTTP server: the route table (routes.go), the
// middleware every request goes through (request id, log, panic recovery,
// security headers, body limit, server-side sessions, CSRF) and the
// handlers.
//
// The server holds no state between requests: sessions live in the
// web_sessions table, so several instances can serve behind one load
// balancer, and two servers can run in one test binary.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"procura/account"
	"procura/audit"
	"procura/authz"
	"procura/db"
	"procura/franceconnect"
	"procura/mandate"
	"procura/metrics"
	"procura/oversight"
	"procura/seal"
	"procura/static"
	"procura/templates"
	"procura/usager"
)

// Settings are the server's knobs, taken from config.Config by the caller.
type Settings struct {
	// BaseURL is the public URL of the server; HSTS is sent when it is https.
	BaseURL string
	// SecureCookies marks the session cookie Secure and names it with the
	// __Host- prefix; false only in `procura dev` over plain http.
	SecureCookies bool
	// SessionIdleTimeout ends a session left unused this long.
	SessionIdleTimeout time.Duration
	// SessionMaxAge ends a session this long after it began (sign-in
	// rotates it, so: after sign-in), used or not.
	SessionMaxAge time.Duration
	// MaxBodyBytes caps every request body.
	MaxBodyBytes int64
	// TrustProxyHeaders takes the client IP from X-Forwarded-For.
	TrustProxyHeaders bool
	// Operator is who runs the service, named on the legal pages.
	Operator templates.Operator
	// RetentionDays is the retention of usagers' identities
	// (PROCURA_RETENTION_DAYS), stated on the personal-data page; zero
	// means the default, 365.
	RetentionDays int
	// EmailKeepDays is how long a sent email stays in the outbox, stated
	// on the personal-data page.
	EmailKeepDays int
}

// Deps is what the server needs.
type Deps struct {
	DB        *db.DB
	Journal   *audit.Journal
	Directory *account.Directory
	// FranceConnect identifies usagers; Usagers records them.
	FranceConnect *franceconnect.Client
	Usagers       *usager.Registry
	Mandates      *mandate.Registry
	// Oversight answers the manager's journal, export and statistics.
	Oversight *oversight.Service
	// Sessions is the session store, NewSessionStore(DB, Now, Settings):
	// made before the server because account ends sessions through it.
	Sessions *SessionStore
	// Provider is the OpenID Provider whose pages (authorization, choice,
	// logout) the server shows and whose endpoints it mounts.
	Provider *authz.Provider
	// JournalKeys returns the verifier keys of the journal's checkpoints
	// (keyring purpose "journal"), shown on /journal and used to check
	// receipts there.
	JournalKeys func(ctx context.Context) ([]string, error)
	Logger      *slog.Logger
	// Now is the clock of sessions and audit entries.
	Now func() time.Time
	// PendingSealer seals the service's request kept in a cookie during
	// the delegated login (seal purpose "web pending authorization").
	PendingSealer *seal.Sealer
	// Metrics, if set, counts requests by route (optional).
	Metrics  *metrics.Metrics
	Settings Settings
}

// Server is Procura's HTTP server.
type Server struct {
	db        *db.DB
	journal   *audit.Journal
	directory *account.Directory
	// franceConnect identifies usagers; usagers records them.
	franceConnect *franceconnect.Client
	usagers       *usager.Registry
	mandates      *mandate.Registry
	oversight     *oversight.Service
	provider      *authz.Provider
	log           *slog.Logger
	now           func() time.Time
	settings      Settings
	pendingSealer *seal.Sealer
	metrics       *metrics.Metrics
	journalKeys   func(ctx context.Context) ([]string, error)
	// journalOrigin names the journal in its checkpoints (audit.Origin).
	journalOrigin string
	// noise logs and counts refused requests that name no one.
	noise *noise

	// hsts is set when the base URL is https.
	hsts      bool
	sessions  *SessionStore
	templates *templates.Engine
	static    *staticFiles
	// cop rejects cross-origin browser requests (Sec-Fetch-Site, Origin):
	// defense in depth under the synchronizer token.
	cop *http.CrossOriginProtection

	// pages holds the routes whose unsafe methods need a CSRF token; root
	// holds pages under "/" and the groups exempted from it.
	pages   *http.ServeMux
	root    *http.ServeMux
	handler http.Handler
}

// New checks deps, parses the templates and builds the handler.
func New(deps Deps) (*Server, error) {
	if err := deps.check(); err != nil {
		return nil, err
	}
	u, err := url.Parse(deps.Settings.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: BaseURL %q is not an absolute http(s) URL", deps.Settings.BaseURL)
	}
	s := &Server{
		db:            deps.DB,
		journal:       deps.Journal,
		directory:     deps.Directory,
		franceConnect: deps.FranceConnect,
		usagers:       deps.Usagers,
		mandates:      deps.Mandates,
		oversight:     deps.Oversight,
		provider:      deps.Provider,
		journalKeys:   deps.JournalKeys,
		noise:         newNoise(deps.Logger, deps.Now, deps.Metrics),
		log:           deps.Logger,
		now:           deps.Now,
		settings:      deps.Settings,
		pendingSealer: deps.PendingSealer,
		metrics:       deps.Metrics,
		hsts:          u.Scheme == "https",
		sessions:      deps.Sessions,
		cop:           http.NewCrossOriginProtection(),
	}
	if s.journalOrigin, err = audit.Origin(deps.Settings.BaseURL); err != nil {
		return nil, err
	}
	if s.static, err = loadStaticFiles(static.FS); err != nil {
		return nil, err
	}
	if s.templates, err = templates.Parse(templates.Options{AssetURL: s.static.url}); err != nil {
		return nil, err
	}
	// Render one page now: a missing asset (DSFR not copied) or a template
	// that fails at execution stops the server here, not on a visitor.
	if _, err := s.templates.Render(&templates.ErrorPage{Status: 500}); err != nil {
		return nil, fmt.Errorf("web: pages do not render (was `make frontend` run?): %w", err)
	}
	s.handler = s.middleware(s.routes())
	return s, nil
}

func (d Deps) check() error {
	var errs []error
	if d.DB == nil {
		errs = append(errs, errors.New("web: Deps.DB is required"))
	}
	if d.Journal == nil {
		errs = append(errs, errors.New("web: Deps.Journal is required"))
	}
	if d.Directory == nil {
		errs = append(errs, errors.New("web: Deps.Directory is required"))
	}
	if d.FranceConnect == nil || d.Usagers == nil || d.Mandates == nil || d.Provider == nil || d.Oversight == nil {
		errs = append(errs, errors.New("web: Deps.FranceConnect, Deps.Usagers, Deps.Mandates, Deps.Oversight and Deps.Provider are required"))
	}
	if d.Sessions == nil {
		errs = append(errs, errors.New("web: Deps.Sessions is required"))
	}
	if d.JournalKeys == nil {
		errs = append(errs, errors.New("web: Deps.JournalKeys is required"))
	}
	if d.Logger == nil {
		errs = append(errs, errors.New("web: Deps.Logger is required"))
	}
	if d.Now == nil {
		errs = append(errs, errors.New("web: Deps.Now is required"))
	}
	if d.PendingSealer == nil {
		errs = append(errs, errors.New("web: Deps.PendingSealer is required"))
	}
	st := d.Settings
	if st.SessionIdleTimeout <= 0 || st.SessionMaxAge < st.SessionIdleTimeout {
		errs = append(errs, errors.New("web: SessionIdleTimeout must be positive and SessionMaxAge at least as long"))
	}
	if st.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("web: MaxBodyBytes must be positive"))
	}
	return errors.Join(errs...)
}

// Handler is the whole server: middleware around the route table.
func (s *Server) Handler() http.Handler { return s.handler }
