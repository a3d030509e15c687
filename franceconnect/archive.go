package franceconnect

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The provider rotates its keys; a mandate's evidence must outlive them.
// So the JWKS document that verified a usager's ID token is kept with the
// mandate (Evidence.JWKS, stored once per distinct document by package
// mandate), and VerifyArchived checks the ID token against it years later,
// without asking the provider.

// currentJWKS returns the JWKS document the client holds now.
func (c *Client) currentJWKS() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		return nil
	}
	return c.keys.raw
}

// JWKSSHA256 is the name of an archived JWKS document: its SHA-256, hex.
func JWKSSHA256(jwks []byte) string {
	sum := sha256.Sum256(jwks)
	return hex.EncodeToString(sum[:])
}

// ArchivedIDToken is what VerifyArchived read from an ID token.
type ArchivedIDToken struct {
	Issuer   string
	Subject  string
	Audience []string
	ACR      string
	KeyID    string
	IssuedAt time.Time
	// AuthTime is zero when the token does not say.
	AuthTime time.Time
}

// ErrArchivedSignature is returned when an ID token does not verify
// against the archived JWKS.
var ErrArchivedSignature = errors.New("franceconnect: the ID token does not verify with the archived keys")

// VerifyArchived checks idToken's signature against jwks, the provider's
// key set archived when the token was received, and returns its claims.
// Its expiry is not checked (it has long passed), nor its nonce (the flow
// is gone): this proves that the provider signed these claims, with a key
// it published then.
func VerifyArchived(idToken string, jwks []byte) (ArchivedIDToken, error) {
	if idToken == "" || len(idToken) > maxJWSLength || strings.Count(idToken, ".") != 2 {
		return ArchivedIDToken{}, errors.New("franceconnect: not a compact JWS")
	}
	set, err := parseKeySet(jwks)
	if err != nil {
		return ArchivedIDToken{}, fmt.Errorf("franceconnect: archived JWKS: %w", err)
	}
	jws, err := jose.ParseSignedCompact(idToken, acceptedAlgs)
	if err != nil {
		return ArchivedIDToken{}, fmt.Errorf("franceconnect: ID token: %w", err)
	}
	h := jws.Signatures[0].Header
	var payload []byte
	for _, k := range set.candidates(h.KeyID, jose.SignatureAlgorithm(h.Algorithm)) {
		if payload, err = jws.Verify(k); err == nil {
			break
		}
		payload = nil
	}
	if payload == nil {
		return ArchivedIDToken{}, fmt.Errorf("%w (kid %q, %s)", ErrArchivedSignature, h.KeyID, h.Algorithm)
	}
	cl, err := decodeClaims("id_token", payload)
	if err != nil {
		return ArchivedIDToken{}, err
	}
	out := ArchivedIDToken{Issuer: cl.Issuer, Subject: cl.Subject, Audience: cl.Audience, ACR: cl.ACR, KeyID: h.KeyID}
	if cl.IssuedAt != nil {
		out.IssuedAt = cl.IssuedAt.Time
	}
	if cl.AuthTime != nil {
		out.AuthTime = cl.AuthTime.Time
	}
	return out, nil
}
