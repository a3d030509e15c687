package sandbox

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// signer holds the ES256 key that signs ID tokens and userinfo answers.
type signer struct {
	key    *ecdsa.PrivateKey
	kid    string
	signer jose.Signer
}

func newSigner(key *ecdsa.PrivateKey) (*signer, error) {
	if key == nil {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, fmt.Errorf("sandbox: signing key: %w", err)
		}
	}
	if key.Curve != elliptic.P256() {
		return nil, errors.New("sandbox: signing key: ES256 needs a P-256 key")
	}
	// The kid is the RFC 7638 thumbprint, so a given key always has the same.
	thumb, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sandbox: signing key: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("sandbox: signing key: %w", err)
	}
	return &signer{key: key, kid: kid, signer: s}, nil
}

// jwks is the public key set served at <issuer>/jwks.
func (s *signer) jwks() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: s.key.Public(), KeyID: s.kid, Algorithm: string(jose.ES256), Use: "sig",
	}}}
}

// sign returns claims as a compact ES256 JWS.
func (s *signer) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// verify checks that token is a compact JWS signed by this key and returns
// its JSON payload decoded; it checks no claim.
func (s *signer) verify(token string) (map[string]any, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(s.key.Public())
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// atHash is the at_hash of an ES256 ID token: the left half of the SHA-256
// of the access token, base64url (OpenID Connect Core §3.1.3.6).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
