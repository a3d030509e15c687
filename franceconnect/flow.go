package franceconnect

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"time"
)

// FlowTTL is how long a flow waits for its callback, as FranceConnect keeps
// an authorization request alive.
const FlowTTL = 10 * time.Minute

// Flow is the state of one identification between Begin and Complete. The
// caller keeps it server-side, in the browser's session, and takes it out
// (deletes it) before calling Complete, so that a replayed callback finds no
// flow: Complete then answers ErrState.
type Flow struct {
	State     string    `json:"state"`
	Nonce     string    `json:"nonce"`
	CreatedAt time.Time `json:"created_at"`
}

// IsZero reports whether f is no flow at all (none was in the session).
func (f Flow) IsZero() bool {
	return f.State == "" && f.Nonce == "" && f.CreatedAt.IsZero()
}

// Expired reports whether the flow is past FlowTTL at now.
func (f Flow) Expired(now time.Time) bool {
	return now.Sub(f.CreatedAt) > FlowTTL
}

// randomValue returns 32 bytes from crypto/rand, base64url without padding:
// 43 characters, above FranceConnect's minimum of 22 for nonce.
func randomValue() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// equal compares two secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
