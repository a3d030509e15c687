package demoservice

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

// Config is what the service needs to sign in with Procura.
type Config struct {
	// Issuer is Procura's issuer, its base URL: discovery is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret are the service's credentials at Procura,
	// sent with client_secret_basic.
	ClientID     string
	ClientSecret string
	// BaseURL is the service's own external URL, mount prefix included,
	// without a trailing slash (e.g. http://localhost:8080/demo-service).
	BaseURL string
	// Procedures are the rep_scope values requested: procedure ids
	// ("social") or FranceConnect labels ("Social-Santé"). Default: social.
	Procedures []string
	// CookieKey encrypts the session cookie: 32 bytes, or empty for a random
	// key (sessions then end when the process stops).
	CookieKey []byte
	// HTTPClient calls Procura (discovery, JWKS, token, userinfo). Default: a
	// client with a 10 s timeout.
	HTTPClient *http.Client
	// Logger receives one line per notable event; never tokens or names.
	Logger *slog.Logger
	// Now is the clock of the session cookie. Default: time.Now.
	Now func() time.Time
}

// Scopes requested from Procura (DESIGN.md §5, UserInfo).
var scopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, "birth"}

// acrEIDAS1 is the only authentication context the service accepts.
const acrEIDAS1 = "eidas1"

// discoveryTimeout bounds one attempt at fetching the provider's metadata.
const discoveryTimeout = 10 * time.Second

// Service is the demo service: an http.Handler.
type Service struct {
	cfg      Config
	basePath string // path of BaseURL, "" at the root
	secure   bool   // BaseURL is https: cookies are Secure
	cookies  *sessionCodec
	pages    *pages
	log      *slog.Logger
	mux      *http.ServeMux

	mu    sync.Mutex
	party rp.RelyingParty // nil until discovery succeeds
}

// New checks cfg and builds the service. It contacts nobody: discovery
// happens on first use.
func New(cfg Config) (*Service, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("demoservice: Issuer, ClientID and ClientSecret are required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" ||
		base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("demoservice: BaseURL %q: want an absolute http(s) URL without query", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	cfg.Procedures = cleanProcedures(cfg.Procedures)
	if len(cfg.Procedures) == 0 {
		cfg.Procedures = []string{"social"}
	}
	if len(cfg.CookieKey) == 0 {
		cfg.CookieKey = make([]byte, 32)
		_, _ = rand.Read(cfg.CookieKey)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{
		cfg:      cfg,
		basePath: strings.TrimSuffix(base.Path, "/"),
		secure:   base.Scheme == "https",
		log:      cfg.Logger,
	}
	if s.cookies, err = newSessionCodec(cfg.CookieKey, cfg.Now); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	s.mux = s.routes()
	return s, nil
}

func cleanProcedures(in []string) []string {
	var out []string
	for _, p := range in {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// routes is the service's route table, relative to its mount point.
func (s *Service) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /connexion", s.login)
	mux.HandleFunc("GET /callback", s.callback)
	mux.HandleFunc("GET /compte", s.account)
	mux.HandleFunc("POST /deconnexion", s.logout)
	mux.HandleFunc("GET /deconnecte", s.loggedOut)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errNotFound)
	})
	return mux
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// RedirectURI is the redirect URI to register at Procura.
func (s *Service) RedirectURI() string { return s.cfg.BaseURL + "/callback" }

// PostLogoutRedirectURI is the post-logout redirect URI to register at
// Procura.
func (s *Service) PostLogoutRedirectURI() string { return s.cfg.BaseURL + "/deconnecte" }

// relyingParty returns the client library's relying party, running
// discovery on first use and again after a failure. The provider may not be
// listening yet when the service is built (procura dev serves both on one
// port), so a failure is never cached.
func (s *Service) relyingParty(ctx context.Context) (rp.RelyingParty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.party != nil {
		return s.party, nil
	}
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	party, err := rp.NewRelyingPartyOIDC(ctx, s.cfg.Issuer, s.cfg.ClientID, s.cfg.ClientSecret,
		s.RedirectURI(), scopes,
		rp.WithHTTPClient(s.cfg.HTTPClient),
		rp.WithAuthStyle(oauth2.AuthStyleInHeader), // client_secret_basic
		rp.WithSigningAlgsFromDiscovery(),
		rp.WithVerifierOpts(
			rp.WithNonce(expectedNonce),
			rp.WithACRVerifier(oidc.DefaultACRVerifier([]string{acrEIDAS1})),
		),
	)
	if err != nil {
		return nil, wrapError(errProviderUnavailable, err)
	}
	s.party = party
	s.log.Info("demo-service: Procura discovered", "issuer", s.cfg.Issuer)
	return party, nil
}

// nonceKey carries, in the context of the code exchange, the nonce the ID
// token must hold: the library's verifier is built once, the nonce is per
// login.
type nonceKey struct{}

func withExpectedNonce(ctx context.Context, nonce string) context.Context {
	return context.WithValue(ctx, nonceKey{}, nonce)
}

func expectedNonce(ctx context.Context) string {
	n, _ := ctx.Value(nonceKey{}).(string)
	return n
}
