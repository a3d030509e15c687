package keyring

import (
	"context"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Signer signs with one key. It is safe for concurrent use and may be kept
// for the length of a request; ask the Keyring again for the next one.
type Signer struct {
	key *key
}

// KeyID is the kid the JWS header carries.
func (s *Signer) KeyID() string { return s.key.kid }

// Algorithm is the JWS alg.
func (s *Signer) Algorithm() jose.SignatureAlgorithm { return s.key.alg }

// Sign returns payload signed as a JWS in compact serialization (RFC 7515
// §7.1), with the protected header alg, kid and, unless empty, typ (for
// example "JWT"; RFC 7515 §4.1.9).
func (s *Signer) Sign(payload []byte, typ string) (string, error) {
	js, err := s.key.joser(typ)
	if err != nil {
		return "", err
	}
	obj, err := js.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("keyring: sign with %s: %w", s.key.kid, err)
	}
	return obj.CompactSerialize()
}

// choice is which key signs, per algorithm, for one purpose, as read from
// the database at loadedAt.
type choice struct {
	loadedAt time.Time
	byAlg    map[jose.SignatureAlgorithm]*key
}

func (c *choice) fresh(now time.Time) bool {
	return !now.Before(c.loadedAt) && now.Sub(c.loadedAt) < RefreshInterval
}

// Signer returns the signer of the current key of purpose and alg. Once
// warm it reads no database: the choice of the current key is re-read when
// older than RefreshInterval, by one caller while the others go on with it.
func (k *Keyring) Signer(ctx context.Context, p Purpose, alg jose.SignatureAlgorithm) (*Signer, error) {
	if err := checkAlg(p, alg); err != nil {
		return nil, err
	}
	c, err := k.choiceOf(ctx, p)
	if err != nil {
		return nil, err
	}
	kk := c.byAlg[alg]
	if kk == nil {
		return nil, fmt.Errorf("%w: purpose %s, alg %s", ErrNoKey, p, alg)
	}
	return kk.signer, nil
}

func (k *Keyring) choiceOf(ctx context.Context, p Purpose) (*choice, error) {
	now := k.now()
	k.mu.RLock()
	c, epoch := k.current[p], k.epoch
	k.mu.RUnlock()
	if c != nil && c.fresh(now) {
		return c, nil
	}
	if c == nil {
		// Cold: every caller reads (no lock to wait on while holding a
		// transaction: SQLite has a single connection).
		return k.refresh(ctx, p, now, epoch)
	}
	if !k.refreshing.TryLock() {
		return c, nil
	}
	defer k.refreshing.Unlock()
	fresh, err := k.refresh(ctx, p, now, epoch)
	if err != nil {
		// The stale choice still signs with a valid key; the next caller
		// tries again.
		return c, nil
	}
	return fresh, nil
}

// refresh reads which keys of p sign at now and keeps the choice, unless
// a key change on this instance (forget) happened meanwhile.
func (k *Keyring) refresh(ctx context.Context, p Purpose, now time.Time, epoch uint64) (*choice, error) {
	rows, err := k.liveRows(ctx, p)
	if err != nil {
		return nil, err
	}
	c := &choice{loadedAt: now, byAlg: map[jose.SignatureAlgorithm]*key{}}
	for _, alg := range Algorithms(p) {
		r := currentRow(rows, alg, now)
		if r == nil {
			continue
		}
		kk, err := k.open(r)
		if err != nil {
			return nil, err
		}
		c.byAlg[alg] = kk
	}
	k.mu.Lock()
	if k.epoch == epoch {
		k.current[p] = c
	}
	k.mu.Unlock()
	return c, nil
}

// forget drops this instance's choice of the current keys of p, after a key
// change, so that the next Signer reads it again.
func (k *Keyring) forget(p Purpose) {
	k.mu.Lock()
	delete(k.current, p)
	k.epoch++
	k.mu.Unlock()
}
