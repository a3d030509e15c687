package authz

import (
	"context"

	jose "github.com/go-jose/go-jose/v4"

	"procura/keyring"
)

// Keys are the OpenID Provider's signing keys (keyring purpose "oidc"), as
// the provider uses them. KeyringKeys adapts the keyring.
type Keys interface {
	// Sign signs payload with the current key of alg (ES256 or RS256)
	// and returns a JWS in compact serialization whose protected header
	// holds alg, kid and typ.
	Sign(ctx context.Context, alg string, payload []byte, typ string) (string, error)
	// Verify checks a compact JWS against the non-retired key its kid
	// names, whatever its algorithm, and returns the payload.
	Verify(ctx context.Context, compact string) ([]byte, error)
	// JWKS is the public part of every non-retired key, with kid, alg and
	// use: what jwks_uri publishes.
	JWKS(ctx context.Context) (jose.JSONWebKeySet, error)
}

// KeyringKeys returns the keys of purpose "oidc" of k.
func KeyringKeys(k *keyring.Keyring) Keys { return keyringKeys{k} }

type keyringKeys struct{ k *keyring.Keyring }

func (kk keyringKeys) Sign(ctx context.Context, alg string, payload []byte, typ string) (string, error) {
	s, err := kk.k.Signer(ctx, keyring.PurposeOIDC, jose.SignatureAlgorithm(alg))
	if err != nil {
		return "", err
	}
	return s.Sign(payload, typ)
}

func (kk keyringKeys) Verify(ctx context.Context, compact string) ([]byte, error) {
	payload, _, err := kk.k.Verify(ctx, keyring.PurposeOIDC, compact)
	return payload, err
}

func (kk keyringKeys) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	return kk.k.PublicJWKS(ctx, keyring.PurposeOIDC)
}
