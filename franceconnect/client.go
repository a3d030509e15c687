package franceconnect

import (
	"context"
	"net/url"
	"strings"
	"sync"
)

// ACR is the eIDAS level asked for and required in the ID token:
// FranceConnect ("low") answers eidas1.
const ACR = "eidas1"

// Client is a relying party of one FranceConnect-like provider. It keeps no
// flow state: Begin returns the Flow the caller stores, Complete takes it
// back. It caches the provider's discovery document and keys; it is safe for
// concurrent use and several instances may serve the same flows.
type Client struct {
	cfg   Config
	scope string

	mu   sync.Mutex // guards meta and keys; held while fetching them
	meta *metadata  // nil until discovery succeeds
	keys *keySet    // nil until the JWKS is fetched
}

// New checks cfg and returns a Client. It tries, within ctx, to fetch the
// provider's discovery document and keys so that the first usager does not
// wait for them; if the provider is down, New still succeeds (the server must
// start while FranceConnect is down), Check reports the failure and every
// Begin or Complete tries again. Only a bad configuration is an error.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, scope: strings.Join(cfg.Scopes, " ")}
	_ = c.Check(ctx)
	return c, nil
}

// Check fetches, unless already cached, the provider's discovery document
// and keys, and returns an ErrUnavailable problem if it cannot: for a
// readiness probe, or to log at start-up that FranceConnect is unreachable.
func (c *Client) Check(ctx context.Context) error {
	meta, err := c.metadata(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys != nil && c.cfg.Now().Sub(c.keys.fetchedAt) < jwksMaxAge {
		return nil
	}
	set, err := c.fetchKeys(ctx, meta.JWKSURI)
	if err != nil {
		return err
	}
	c.keys = set
	return nil
}

// metadata returns the discovery document, fetching it if not yet cached.
// A failure is not cached: the next call tries again.
func (c *Client) metadata(ctx context.Context) (*metadata, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.meta != nil {
		return c.meta, nil
	}
	m, err := c.fetchMetadata(ctx)
	if err != nil {
		return nil, err
	}
	c.meta = m
	return m, nil
}

// Begin starts an identification: it returns the Flow to keep in the
// browser's session and the provider's authorization URL to redirect the
// browser to. It fails (ErrUnavailable) only when the provider's discovery
// document cannot be had.
//
// The request is FranceConnect's: response_type=code, acr_values=eidas1,
// a state and a nonce of 43 characters, and prompt=login, because a usager
// is identified at an aidant's desk, often on a shared computer: the
// provider must ask for credentials every time and never reuse a session
// left open by someone else.
func (c *Client) Begin(ctx context.Context) (Flow, string, error) {
	meta, err := c.metadata(ctx)
	if err != nil {
		return Flow{}, "", err
	}
	flow := Flow{State: randomValue(), Nonce: randomValue(), CreatedAt: c.cfg.Now()}
	u, err := url.Parse(meta.AuthorizationEndpoint)
	if err != nil { // cannot happen: fetchMetadata parsed it
		return Flow{}, "", fail(ErrUnavailable, "authorization_endpoint: %v", err)
	}
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", c.cfg.ClientID)
	q.Set("redirect_uri", c.cfg.RedirectURI)
	q.Set("scope", c.scope)
	q.Set("state", flow.State)
	q.Set("nonce", flow.Nonce)
	q.Set("acr_values", ACR)
	q.Set("prompt", "login")
	u.RawQuery = q.Encode()
	return flow, u.String(), nil
}

// LogoutURL is the provider's end_session URL (OpenID Connect RP-Initiated
// Logout §2) that ends the usager's session at FranceConnect: redirect the
// browser there right after identification, with the ID token of
// Evidence.IDToken and a fresh state the caller keeps to check on the way
// back to PostLogoutRedirectURI. It is "" when the provider publishes no
// end_session_endpoint or discovery has not succeeded yet.
func (c *Client) LogoutURL(idToken, state string) string {
	c.mu.Lock()
	meta := c.meta
	c.mu.Unlock()
	if meta == nil || meta.EndSessionEndpoint == "" {
		return ""
	}
	u, err := url.Parse(meta.EndSessionEndpoint)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("state", state)
	if c.cfg.PostLogoutRedirectURI != "" {
		q.Set("post_logout_redirect_uri", c.cfg.PostLogoutRedirectURI)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// NewState returns a random value (43 characters, 256 bits) for the state of
// a logout request.
func NewState() string { return randomValue() }
