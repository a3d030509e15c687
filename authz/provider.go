package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"

	"procura/audit"
	"procura/db"
	"procura/metrics"
)

// Paths of the OpenID Provider's endpoints, under the issuer. Register
// mounts the ones other programs call; the web layer serves PathAuthorize
// and PathLogout itself (they show pages), with ParseAuthorize, Grant and
// ParseLogout.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathJWKS       = "/oidc/jwks"
	PathAuthorize  = "/oidc/authorize"
	PathToken      = "/oidc/token"
	PathUserinfo   = "/oidc/userinfo"
	PathRevoke     = "/oidc/revoke"
	PathIntrospect = "/oidc/introspect"
	PathLogout     = "/oidc/logout"
)

// ProviderConfig is what NewProvider needs. Lifespans left at zero take
// the defaults documented on each.
type ProviderConfig struct {
	// Issuer is the base URL, exactly as services see it: https (or http
	// on a loopback host, for dev), no trailing slash, query or fragment.
	Issuer      string
	Store       *Store
	Keys        Keys
	Journal     *audit.Journal
	DB          *db.DB
	Now         func() time.Time
	Permissions PermissionChecker
	Usagers     UsagerClaims
	// Notices, if set, is told of each delegated login whose usager asked
	// to be notified, inside the login's transaction.
	Notices LoginNotifier
	// PairwiseKey (32 bytes, derived by the caller from the master key)
	// keys the pairwise subjects services see (pairwise.go).
	PairwiseKey []byte
	// TokenKey (at least 32 bytes, derived from the master key) keys the
	// HMAC of opaque codes and tokens (fosite's GlobalSecret). Changing it
	// ends every code and token issued.
	TokenKey []byte
	// AccessTokenLifespan defaults to 5 minutes; ID tokens live as long.
	AccessTokenLifespan time.Duration
	// RefreshTokenLifespan defaults to 10 hours, the aidant session's
	// absolute limit.
	RefreshTokenLifespan time.Duration
	// CodeLifespan defaults to 1 minute.
	CodeLifespan time.Duration
	// ClientCacheTTL is how long a loaded client is reused (default 5 s;
	// negative: never). A disabled client stops authenticating after at
	// most this long; its codes and tokens stop at once (the store never
	// caches).
	ClientCacheTTL time.Duration
	Logger         *slog.Logger
	// Metrics, if set, counts the delegated login's steps (optional).
	Metrics *metrics.Metrics
}

// Provider is Procura's OpenID Provider: fosite composed with only the
// authorization code flow, PKCE, OpenID Connect, refresh, revocation and
// introspection, plus Procura's rules (delegation, pairwise subjects,
// per-client PKCE and nonce policy) and audit.
//
// It holds no state between requests but a short cache of clients, so
// several instances can serve one database.
//
// The web layer mounts it so:
//   - Register(mux) for the endpoints programs call, in a group exempt
//     from CSRF (clients authenticate with their credentials);
//   - GET and POST PathAuthorize (POST exempt from CSRF: services post it
//     from their own origin): ParseAuthorize. On (ar, err), answer
//     WriteAuthorizeError; on (nil, err), the French page of err. With
//     ar.PromptNone(): LoginRequired without an aidant session,
//     InteractionRequired with one. Otherwise keep ar.Pending() in the
//     session, sign the aidant in (again when ar.NeedsAuthentication of
//     their last authentication), offer the usagers with a usable
//     permission for one of ar.RequestedProcedures; on the choice (a
//     CSRF-protected form), ResumeAuthorize then Grant; Deny when the
//     aidant cancels or has nobody to act for;
//   - GET and POST PathLogout: ParseLogout, end the aidant's session
//     (LogoutRequest.SessionID or ConcernsAidant; ask to confirm when
//     neither names them), then redirect to RedirectURI or show a page.
type Provider struct {
	issuer      string
	urls        endpointURLs
	store       *Store
	keys        Keys
	signer      *jwtSigner
	journal     *audit.Journal
	db          *db.DB
	now         func() time.Time
	permissions PermissionChecker
	notices     LoginNotifier
	usagers     UsagerClaims
	pairwise    pairwise
	log         *slog.Logger
	metrics     *metrics.Metrics

	fosite          *fosite.Fosite
	tokens          *clockedTokens
	accessLifespan  time.Duration
	refreshLifespan time.Duration
	discovery       []byte
}

type endpointURLs struct {
	authorize, token, userinfo, jwks, revoke, introspect, logout string
}

// NewProvider checks cfg and composes the provider.
func NewProvider(cfg ProviderConfig) (*Provider, error) {
	if err := checkIssuer(cfg.Issuer); err != nil {
		return nil, err
	}
	switch {
	case cfg.Store == nil, cfg.Keys == nil, cfg.Journal == nil, cfg.DB == nil,
		cfg.Permissions == nil, cfg.Usagers == nil:
		return nil, errors.New("authz: provider needs a store, keys, a journal, a database, a permission checker and usager claims")
	case len(cfg.TokenKey) < 32:
		return nil, errors.New("authz: the token key must be at least 32 bytes")
	}
	pw, err := newPairwise(cfg.PairwiseKey)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		issuer: cfg.Issuer, store: cfg.Store, keys: cfg.Keys, journal: cfg.Journal, db: cfg.DB,
		now: cfg.Now, permissions: cfg.Permissions, notices: cfg.Notices, usagers: cfg.Usagers, pairwise: pw, log: cfg.Logger, metrics: cfg.Metrics,
		accessLifespan:  orDefault(cfg.AccessTokenLifespan, 5*time.Minute),
		refreshLifespan: orDefault(cfg.RefreshTokenLifespan, 10*time.Hour),
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.urls = endpointURLs{
		authorize: p.issuer + PathAuthorize, token: p.issuer + PathToken, userinfo: p.issuer + PathUserinfo,
		jwks: p.issuer + PathJWKS, revoke: p.issuer + PathRevoke, introspect: p.issuer + PathIntrospect,
		logout: p.issuer + PathLogout,
	}
	if cfg.ClientCacheTTL != 0 {
		cfg.Store.SetClientCacheTTL(cfg.ClientCacheTTL)
	}
	p.signer = &jwtSigner{keys: cfg.Keys, issuer: p.issuer, now: p.now}
	p.compose(cfg.TokenKey, orDefault(cfg.CodeLifespan, time.Minute))
	if p.discovery, err = p.discoveryDocument(); err != nil {
		return nil, err
	}
	return p, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// checkIssuer applies OpenID Connect Discovery 1.0 §3 (https URL without
// query or fragment); plain http only on a loopback host, for dev.
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	switch {
	case err != nil, u.Host == "", u.RawQuery != "", u.ForceQuery, u.Fragment != "", u.User != nil,
		strings.HasSuffix(issuer, "/"):
		return fmt.Errorf("authz: issuer %q must be an absolute URL without trailing slash, query or fragment", issuer)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && fosite.IsLocalhost(u):
		return nil
	}
	return fmt.Errorf("authz: issuer %q must be https (http only on a loopback host)", issuer)
}

// Issuer is the issuer identifier, the base URL every endpoint hangs from.
func (p *Provider) Issuer() string { return p.issuer }

// Register mounts on mux the endpoints that programs call, each with its
// method: discovery and JWKS (GET), token, revocation and introspection
// (POST, authenticated by client credentials: mount mux in a group exempt
// from CSRF) and UserInfo (GET and POST, Bearer token).
func (p *Provider) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathDiscovery, p.ServeDiscovery)
	mux.HandleFunc("GET "+PathJWKS, p.ServeJWKS)
	mux.HandleFunc("POST "+PathToken, p.ServeToken)
	mux.HandleFunc("GET "+PathUserinfo, p.ServeUserinfo)
	mux.HandleFunc("POST "+PathUserinfo, p.ServeUserinfo)
	mux.HandleFunc("POST "+PathRevoke, p.ServeRevoke)
	mux.HandleFunc("POST "+PathIntrospect, p.ServeIntrospect)
}

// maxFormBytes bounds the body of every form the provider reads: an
// authorization, token, revocation or introspection request is at most a
// few kilobytes.
const maxFormBytes = 64 << 10

// errAbort rolls back a transaction whose outcome the caller already
// holds (a protocol error to answer, with nothing to keep).
var errAbort = errors.New("authz: abort")

// logInternal logs a failure of ours; the client or person only gets a
// generic error.
func (p *Provider) logInternal(ctx context.Context, msg string, err error) {
	p.log.ErrorContext(ctx, msg, "err", err, "request_id", audit.RequestID(ctx))
}

// ServiceName is the registered name of a client, for pages that show a
// person which service acted; the id itself when the client is unknown or
// disabled.
func (p *Provider) ServiceName(ctx context.Context, clientID string) string {
	c, err := p.store.clients.get(ctx, clientID)
	if err != nil {
		return clientID
	}
	return c.Name
}
