package franceconnect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The JWKS cache: keys are refetched when a token names a kid the cache does
// not hold (the provider rotated its keys), at most once per
// jwksMinRefetch so that tokens with made-up kids cannot make us hammer
// the provider, and in any case when older than jwksMaxAge.
const (
	jwksMinRefetch = time.Minute
	jwksMaxAge     = 24 * time.Hour
)

// keySet is the provider's signing keys, as last fetched.
type keySet struct {
	keys      []jose.JSONWebKey // public signing keys usable with ES256 or RS256
	fetchedAt time.Time
	// raw is the JWKS document as the provider served it, archived with
	// the mandates whose identification it verified (Evidence.JWKS).
	raw []byte
}

// fetchKeys gets the provider's JWKS.
func (c *Client) fetchKeys(ctx context.Context, jwksURI string) (*keySet, error) {
	body, _, err := c.get(ctx, jwksURI, "")
	if err != nil {
		return nil, fail(ErrUnavailable, "jwks: %v", err)
	}
	set, err := parseKeySet(body)
	if err != nil {
		return nil, fail(ErrUnavailable, "jwks: %v", err)
	}
	set.fetchedAt = c.cfg.Now()
	return set, nil
}

// parseKeySet reads a JWKS document. Keys that do not parse, are not for
// signatures or are of a kind we never accept are skipped, so one odd key
// (an encryption key, a new algorithm) does not disable the others.
func parseKeySet(body []byte) (*keySet, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	set := &keySet{raw: body}
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if !k.IsPublic() {
			k = k.Public() // a provider that publishes a private key is broken, but its public half still verifies
		}
		if keyAlg(k) != "" {
			set.keys = append(set.keys, k)
		}
	}
	return set, nil
}

// keyAlg is the algorithm a key verifies: ES256 for a P-256 key, RS256 for
// an RSA key of at least 2048 bits, "" for anything else or for a key whose
// declared alg disagrees.
func keyAlg(k jose.JSONWebKey) jose.SignatureAlgorithm {
	var alg jose.SignatureAlgorithm
	switch pub := k.Key.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve == elliptic.P256() {
			alg = jose.ES256
		}
	case *rsa.PublicKey:
		if pub.N.BitLen() >= 2048 {
			alg = jose.RS256
		}
	}
	if k.Algorithm != "" && k.Algorithm != string(alg) {
		return ""
	}
	return alg
}

// candidates are the keys that may have signed a JWS with this kid and alg.
// Without kid, every key of the algorithm is a candidate.
func (s *keySet) candidates(kid string, alg jose.SignatureAlgorithm) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range s.keys {
		if keyAlg(k) == alg && (kid == "" || k.KeyID == kid) {
			out = append(out, k)
		}
	}
	return out
}

// verificationKeys returns the provider's keys for kid and alg, refetching
// the JWKS when none is known and the rate limit allows.
func (c *Client) verificationKeys(ctx context.Context, kid string, alg jose.SignatureAlgorithm) ([]jose.JSONWebKey, error) {
	meta, err := c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.keys != nil && now.Sub(c.keys.fetchedAt) < jwksMaxAge {
		if ks := c.keys.candidates(kid, alg); len(ks) > 0 {
			return ks, nil
		}
		if now.Sub(c.keys.fetchedAt) < jwksMinRefetch {
			return nil, nil
		}
	}
	set, err := c.fetchKeys(ctx, meta.JWKSURI)
	if err != nil {
		if c.keys != nil { // provider down: keys past jwksMaxAge still beat none
			if ks := c.keys.candidates(kid, alg); len(ks) > 0 {
				return ks, nil
			}
		}
		return nil, err
	}
	c.keys = set
	return set.candidates(kid, alg), nil
}
