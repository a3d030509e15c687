package keyring

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// maxJWS bounds the input Verify reads; our tokens and mandates are a few
// kilobytes.
const maxJWS = 64 << 10

// Verify checks compact, a JWS in compact serialization (RFC 7515 §7.1),
// against the key of purpose p its "kid" header names, and returns the
// payload and that kid. allowedAlgs narrows the purpose's algorithms (all
// of them when empty). Every refusal is ErrInvalidSignature, wrapping the
// reason: ErrMalformed, ErrAlgNotAllowed ("none" included), ErrUnknownKey
// (also a kid of another purpose), ErrKeyRetired, ErrAlgMismatch (header alg
// differs from the key's) or ErrBadSignature.
//
// It reads the key's row on every call, so a key rotated on another
// instance verifies at once, and a retired one stops at once.
func (k *Keyring) Verify(ctx context.Context, p Purpose, compact string, allowedAlgs ...jose.SignatureAlgorithm) ([]byte, string, error) {
	algs, err := narrow(p, allowedAlgs)
	if err != nil {
		return nil, "", err
	}
	h, err := peekHeader(compact)
	if err != nil {
		return nil, "", err
	}
	alg := jose.SignatureAlgorithm(h.Alg)
	if !slices.Contains(algs, alg) {
		return nil, "", refuse(ErrAlgNotAllowed, "alg %q", h.Alg)
	}
	if h.Crit != nil {
		// RFC 7515 §4.1.11: we understand no extension, so any is refused.
		return nil, "", refuse(ErrMalformed, "crit header")
	}
	if h.KID == "" {
		return nil, "", refuse(ErrUnknownKey, "no kid header")
	}
	jws, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, "", refuse(ErrMalformed, "%v", err)
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID != h.KID || jws.Signatures[0].Header.Algorithm != h.Alg {
		return nil, "", refuse(ErrMalformed, "header read differently")
	}
	r, err := k.rowByKID(ctx, h.KID)
	switch {
	case errors.Is(err, ErrKeyNotFound):
		return nil, "", refuse(ErrUnknownKey, "kid %q", h.KID)
	case err != nil:
		return nil, "", err
	case r.Purpose != string(p):
		return nil, "", refuse(ErrUnknownKey, "kid %q is a %s key", h.KID, r.Purpose)
	case r.RetiredAt != nil:
		return nil, "", refuse(ErrKeyRetired, "kid %q", h.KID)
	case r.Alg != h.Alg:
		return nil, "", refuse(ErrAlgMismatch, "header %s, key %s", h.Alg, r.Alg)
	}
	kk, err := k.open(r)
	if err != nil {
		return nil, "", err
	}
	payload, err := jws.Verify(kk.public.Key)
	if err != nil {
		return nil, "", refuse(ErrBadSignature, "kid %q", h.KID)
	}
	return payload, h.KID, nil
}

// PublicJWKS returns the public keys of purpose p that verify: every
// non-retired key, with kid, alg and use "sig" (RFC 7517 §4), for the
// OpenID Provider's jwks_uri. It reads the database on every call, so that
// a key rotated on another instance is published at once; cache the HTTP
// answer briefly if needed.
func (k *Keyring) PublicJWKS(ctx context.Context, p Purpose) (jose.JSONWebKeySet, error) {
	if Algorithms(p) == nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("%w: %q", ErrUnknownPurpose, p)
	}
	rows, err := k.liveRows(ctx, p)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(rows))}
	for i := range rows {
		kk, err := k.open(&rows[i])
		if err != nil {
			return jose.JSONWebKeySet{}, err
		}
		set.Keys = append(set.Keys, kk.public)
	}
	return set, nil
}

// narrow returns the algorithms Verify accepts for p.
func narrow(p Purpose, allowed []jose.SignatureAlgorithm) ([]jose.SignatureAlgorithm, error) {
	algs := Algorithms(p)
	if algs == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPurpose, p)
	}
	if len(allowed) == 0 {
		return algs, nil
	}
	for _, a := range allowed {
		if err := checkAlg(p, a); err != nil {
			return nil, err
		}
	}
	return allowed, nil
}

// header is the part of a JWS protected header Verify decides on before
// trusting go-jose with the rest.
type header struct {
	Alg  string          `json:"alg"`
	KID  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

func peekHeader(compact string) (header, error) {
	var h header
	if len(compact) > maxJWS {
		return h, refuse(ErrMalformed, "longer than %d bytes", maxJWS)
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return h, refuse(ErrMalformed, "%d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return h, refuse(ErrMalformed, "header: %v", err)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return h, refuse(ErrMalformed, "header: %v", err)
	}
	return h, nil
}
