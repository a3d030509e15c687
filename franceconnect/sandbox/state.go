package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// errFull is returned when a kind of state is at MaxPending live entries.
var errFull = errors.New("sandbox: too many pending flows, try again later")

// interaction is an authorization request that passed every check and waits
// for the person to choose an identity (or cancel).
type interaction struct {
	clientID    string
	redirectURI string
	state       string
	nonce       string
	scopes      []string
	wantAMR     bool
}

// authCode is an issued authorization code. It stays after use, until it
// expires, so that a replay is recognised and revokes accessToken.
type authCode struct {
	interaction
	identity    Identity
	authTime    time.Time
	used        bool
	accessToken string
}

// accessToken is what userinfo serves.
type accessToken struct {
	clientID string
	identity Identity
	scopes   []string
}

// state is the Provider's memory: three bounded maps behind one mutex.
type state struct {
	mu           sync.Mutex
	interactions *expiring[interaction]
	codes        *expiring[*authCode]
	tokens       *expiring[accessToken]
}

func newState(max int) *state {
	return &state{
		interactions: newExpiring[interaction](max),
		codes:        newExpiring[*authCode](max),
		tokens:       newExpiring[accessToken](max),
	}
}

// expiring is a map whose entries vanish at their deadline; it holds at most
// max live entries. Not safe on its own: state.mu guards it.
type expiring[V any] struct {
	max       int
	entries   map[string]expiringEntry[V]
	lastSweep time.Time
}

type expiringEntry[V any] struct {
	value    V
	deadline time.Time
}

// sweepEvery bounds how long expired entries linger when the map is not full.
const sweepEvery = time.Minute

func newExpiring[V any](max int) *expiring[V] {
	return &expiring[V]{max: max, entries: map[string]expiringEntry[V]{}}
}

func (m *expiring[V]) put(key string, v V, deadline, now time.Time) error {
	if len(m.entries) >= m.max || now.Sub(m.lastSweep) >= sweepEvery {
		m.sweep(now)
	}
	if len(m.entries) >= m.max {
		return errFull
	}
	m.entries[key] = expiringEntry[V]{value: v, deadline: deadline}
	return nil
}

// get returns the live entry under key.
func (m *expiring[V]) get(key string, now time.Time) (V, bool) {
	e, ok := m.entries[key]
	if !ok || !now.Before(e.deadline) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// take returns and removes the live entry under key.
func (m *expiring[V]) take(key string, now time.Time) (V, bool) {
	v, ok := m.get(key, now)
	delete(m.entries, key)
	return v, ok
}

func (m *expiring[V]) delete(key string) { delete(m.entries, key) }

func (m *expiring[V]) sweep(now time.Time) {
	for k, e := range m.entries {
		if !now.Before(e.deadline) {
			delete(m.entries, k)
		}
	}
	m.lastSweep = now
}

// randomToken returns 256 random bits, base64url: codes, access tokens and
// interaction ids are unguessable.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b)
}
