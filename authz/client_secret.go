package authz

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"

	"github.com/ory/fosite"
)

// SecretHasher is the fosite.Hasher of client secrets (set it as
// fosite.Config.ClientSecretsHasher): SHA-256, compared in constant time.
//
// Why not bcrypt or argon2id: those slow hashes protect secrets people
// choose, which are guessable. A client secret is never chosen: Procura
// draws it with 256 bits of entropy (NewClientSecret), so finding it from
// its hash means inverting SHA-256 over 2^256 candidates, out of reach
// whether one guess costs a nanosecond or a tenth of a second. A slow hash
// would add nothing but cost: bcrypt at its default cost burns ~50 ms of CPU
// on every token request, which caps a 2-core server at a few dozen logins a
// second against the 1,000/s of DESIGN.md §10.
type SecretHasher struct{}

var _ fosite.Hasher = SecretHasher{}

// errSecretMismatch is what Compare returns for a wrong or missing secret.
var errSecretMismatch = errors.New("authz: client secret does not match")

// Hash returns SHA-256(data).
func (SecretHasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	return sum[:], nil
}

// Compare returns nil only when hash is SHA-256(data). A client without a
// registered secret (private_key_jwt) has an empty hash and never matches,
// so it cannot authenticate with a secret at all.
func (SecretHasher) Compare(_ context.Context, hash, data []byte) error {
	if len(hash) != sha256.Size {
		return errSecretMismatch
	}
	sum := sha256.Sum256(data)
	if subtle.ConstantTimeCompare(hash, sum[:]) != 1 {
		return errSecretMismatch
	}
	return nil
}

// secretBytes is the entropy of a client secret: 256 bits.
const secretBytes = 32

// NewClientSecret draws a client secret: 32 random bytes, base64url
// without padding (43 characters, safe in a form or a Basic header).
func NewClientSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
