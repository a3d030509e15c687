package sandbox

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// IssuerPath ends every issuer, as FranceConnect v2 publishes
// "https://<host>/api/v2".
const IssuerPath = "/api/v2"

// Lifetimes, as FranceConnect v2 configures them.
const (
	interactionTTL = 10 * time.Minute
	codeTTL        = 30 * time.Second
	accessTokenTTL = 60 * time.Second
	idTokenTTL     = 60 * time.Second
)

// MaxPending caps each kind of in-memory state (interactions, codes, access
// tokens); past it, new flows are refused until entries expire.
const MaxPending = 10_000

// Config is everything a Provider needs.
type Config struct {
	// Issuer is the exact issuer identifier published by discovery and put in
	// every token: an absolute http(s) URL ending with IssuerPath, without
	// trailing slash, e.g. "http://localhost:8080/fc-sandbox/api/v2".
	Issuer string
	// Clients are the registered relying parties; at least one.
	Clients []Client
	// Identities are the test identities offered; nil means the embedded
	// identities.json.
	Identities []Identity
	// IncludeInvalidIdentities adds the embedded invalid identities (each
	// breaking one FranceConnect rule) to Identities.
	IncludeInvalidIdentities bool
	// SigningKey signs ID tokens and userinfo (ES256, so P-256). Nil means a
	// fresh key, so tokens do not verify across restarts.
	SigningKey *ecdsa.PrivateKey
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per refusal and per completed step, without
	// secrets; nil discards.
	Logger *slog.Logger
}

// Client is a registered relying party (a fournisseur de service).
type Client struct {
	ID                     string   `json:"id"`
	Secret                 string   `json:"secret"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
}

// Provider is the sandbox OpenID Provider; it is an http.Handler, safe for
// concurrent use.
type Provider struct {
	issuer     string
	mountPath  string
	clients    map[string]Client
	identities []Identity
	byID       map[string]Identity
	keys       *signer
	now        func() time.Time
	log        *slog.Logger
	pages      *pages
	state      *state
	mux        *http.ServeMux
}

// New checks cfg and returns a Provider.
func New(cfg Config) (*Provider, error) {
	mountPath, err := checkIssuer(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	clients, err := checkClients(cfg.Clients)
	if err != nil {
		return nil, err
	}
	identities := cfg.Identities
	if identities == nil {
		if identities, err = DefaultIdentities(); err != nil {
			return nil, err
		}
	}
	if cfg.IncludeInvalidIdentities {
		invalid, err := InvalidIdentities()
		if err != nil {
			return nil, err
		}
		identities = append(slices.Clone(identities), invalid...)
	}
	byID, err := indexIdentities(identities)
	if err != nil {
		return nil, err
	}
	keys, err := newSigner(cfg.SigningKey)
	if err != nil {
		return nil, err
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	p := &Provider{
		issuer:     cfg.Issuer,
		mountPath:  mountPath,
		clients:    clients,
		identities: identities,
		byID:       byID,
		keys:       keys,
		now:        cfg.Now,
		log:        cfg.Logger,
		pages:      pg,
		state:      newState(MaxPending),
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p.mux = p.routes()
	return p, nil
}

// Issuer returns the issuer identifier, as configured.
func (p *Provider) Issuer() string { return p.issuer }

// MountPath is the path of the issuer without IssuerPath ("" at the root,
// "/fc-sandbox" for ".../fc-sandbox/api/v2"): where the Provider is mounted,
// with http.StripPrefix(MountPath(), p) when it is not "".
func (p *Provider) MountPath() string { return p.mountPath }

func (p *Provider) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+IssuerPath+"/.well-known/openid-configuration", p.handleDiscovery)
	mux.HandleFunc("GET "+IssuerPath+"/jwks", p.handleJWKS)
	mux.HandleFunc("GET "+IssuerPath+"/authorize", p.handleAuthorize)
	mux.HandleFunc("POST "+IssuerPath+"/interaction/{id}/identity", p.handleChooseIdentity)
	mux.HandleFunc("POST "+IssuerPath+"/interaction/{id}/abort", p.handleAbort)
	mux.HandleFunc("POST "+IssuerPath+"/token", p.handleToken)
	mux.HandleFunc("GET "+IssuerPath+"/userinfo", p.handleUserinfo)
	mux.HandleFunc("POST "+IssuerPath+"/userinfo", p.handleUserinfo)
	mux.HandleFunc("GET "+IssuerPath+"/session/end", p.handleEndSession)
	mux.HandleFunc("/", p.handleNotFound)
	return mux
}

// maxBodyBytes bounds every request body: the forms here are a few hundred
// bytes.
const maxBodyBytes = 64 << 10

// ServeHTTP serves the endpoints, relative to MountPath.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	p.mux.ServeHTTP(w, r)
}

func (p *Provider) handleNotFound(w http.ResponseWriter, r *http.Request) {
	p.errorPage(w, http.StatusNotFound, "Page introuvable",
		"Cette adresse n’existe pas sur le bac à sable FranceConnect.", "")
}

// endpoint is the absolute URL of an endpoint, from the issuer.
func (p *Provider) endpoint(path string) string { return p.issuer + path }

func checkIssuer(issuer string) (mountPath string, err error) {
	u, err := url.Parse(issuer)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("sandbox: issuer %q: want an absolute http(s) URL", issuer)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("sandbox: issuer %q: no query, fragment or user info allowed", issuer)
	}
	if !strings.HasSuffix(u.Path, IssuerPath) || u.RawPath != "" {
		return "", fmt.Errorf("sandbox: issuer %q: path must end with %s (as FranceConnect v2's does)", issuer, IssuerPath)
	}
	return strings.TrimSuffix(u.Path, IssuerPath), nil
}

func checkClients(list []Client) (map[string]Client, error) {
	if len(list) == 0 {
		return nil, errors.New("sandbox: at least one client is needed")
	}
	clients := make(map[string]Client, len(list))
	for _, c := range list {
		if c.ID == "" || c.Secret == "" {
			return nil, fmt.Errorf("sandbox: client %q: id and secret are required", c.ID)
		}
		if _, dup := clients[c.ID]; dup {
			return nil, fmt.Errorf("sandbox: client %q registered twice", c.ID)
		}
		if len(c.RedirectURIs) == 0 {
			return nil, fmt.Errorf("sandbox: client %q: at least one redirect URI is needed", c.ID)
		}
		for _, raw := range slices.Concat(c.RedirectURIs, c.PostLogoutRedirectURIs) {
			u, err := url.Parse(raw)
			if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
				return nil, fmt.Errorf("sandbox: client %q: redirect URI %q: want an absolute URL without fragment", c.ID, raw)
			}
		}
		clients[c.ID] = c
	}
	return clients, nil
}
