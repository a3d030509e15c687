package authz

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ory/fosite"
	"gorm.io/gorm"
)

// clientCache keeps loaded clients for a few seconds: fosite loads the
// client at every authorization request and every client authentication
// (token, revocation, introspection), and a client changes only when an
// operator disables it. A cached *Client is shared and must never be
// modified.
//
// Only found clients are kept (an unknown client_id costs a query each
// time, but cannot fill the cache), and the cache is bounded.
type clientCache struct {
	store *Store
	ttl   time.Duration

	mu      sync.Mutex
	entries map[string]cachedClient
}

type cachedClient struct {
	client  *Client
	expires time.Time
}

// clientCacheSize bounds the cache; beyond it, the cache starts afresh.
const clientCacheSize = 1024

func newClientCache(store *Store, ttl time.Duration) *clientCache {
	return &clientCache{store: store, ttl: ttl, entries: map[string]cachedClient{}}
}

// get returns the enabled client id, or fosite.ErrNotFound. The expiry
// uses the monotonic clock, not the provider's: it bounds staleness, it
// does not decide anything a test would move the clock for.
func (c *clientCache) get(ctx context.Context, id string) (*Client, error) {
	if c.ttl < 0 {
		return c.store.LoadClient(ctx, id)
	}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.client, nil
	}
	client, err := c.store.LoadClient(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= clientCacheSize {
		clear(c.entries)
	}
	c.entries[id] = cachedClient{client: client, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return client, nil
}

// Request look-ups for fosite. The Store's read a request and then load its
// client, two queries per look-up, and a token request makes four. Here
// one query reads the request with its client's disabled flag, fresh, and
// the client itself comes from the cache (a client never changes but for
// being disabled). The Store's contract is kept: a used code is returned
// with fosite.ErrInvalidatedAuthorizeCode, a revoked or rotated token with
// fosite.ErrInactiveToken, and a request of a disabled client is not found,
// at once.

// requestWithClient is a stored request and whether its client is disabled.
type requestWithClient struct {
	Row            requestRow `gorm:"embedded"`
	ClientDisabled bool
}

func (s *fositeStore) getRequest(ctx context.Context, k kind, signature string, proto fosite.Session) (*fosite.Request, bool, error) {
	var row requestWithClient
	err := s.db.Conn(ctx).Table("oauth_requests AS r").
		Select("r.*, c.disabled AS client_disabled").
		Joins("JOIN oauth_clients AS c ON c.id = r.client_id").
		Where("r.signature_hash = ?", key(k, signature)).
		Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil, false, fosite.ErrNotFound
	case err != nil:
		return nil, false, fmt.Errorf("authz: load %s: %w", k, err)
	case row.ClientDisabled:
		return nil, false, fosite.ErrNotFound
	}
	client, err := s.clients.get(ctx, row.Row.ClientID)
	if err != nil {
		return nil, false, err
	}
	r, err := decodeRequest(&row.Row, client, proto)
	if err != nil {
		return nil, false, err
	}
	return r, row.Row.Active, nil
}

func (s *fositeStore) GetAuthorizeCodeSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	r, active, err := s.getRequest(ctx, kindAuthorizeCode, signature, proto)
	switch {
	case err != nil:
		return nil, err
	case !active:
		return r, fosite.ErrInvalidatedAuthorizeCode
	}
	return r, nil
}

func (s *fositeStore) GetAccessTokenSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	return s.getToken(ctx, kindAccessToken, signature, proto)
}

func (s *fositeStore) GetRefreshTokenSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	return s.getToken(ctx, kindRefreshToken, signature, proto)
}

func (s *fositeStore) getToken(ctx context.Context, k kind, signature string, proto fosite.Session) (fosite.Requester, error) {
	r, active, err := s.getRequest(ctx, k, signature, proto)
	switch {
	case err != nil:
		return nil, err
	case !active:
		return r, fosite.ErrInactiveToken
	}
	return r, nil
}

func (s *fositeStore) GetPKCERequestSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	r, _, err := s.getRequest(ctx, kindPKCE, signature, proto)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *fositeStore) GetOpenIDConnectSession(ctx context.Context, code string, requester fosite.Requester) (fosite.Requester, error) {
	var proto fosite.Session
	if requester != nil {
		proto = requester.GetSession()
	}
	r, _, err := s.getRequest(ctx, kindOIDC, code, proto)
	if err != nil {
		return nil, err
	}
	return r, nil
}
