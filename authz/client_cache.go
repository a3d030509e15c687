package authz

import (
	"context"

	"github.com/ory/fosite"
	"sync"
	"time"
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
	if !plausibleClientID(id) {
		return nil, fosite.ErrNotFound
	}
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
