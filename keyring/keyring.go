// Package keyring holds Procura's signing keys: the OpenID Provider's
// (purpose "oidc": ID tokens, signed UserInfo), the keys that sign
// mandates (purpose "mandate") and the key that signs the journal's
// checkpoints (purpose "journal", Ed25519 signed notes: note.go).
//
// Contract:
//   - A key is named by its RFC 7638 thumbprint (kid). Its private part is
//     stored only sealed with the master key; the key that verifies and the
//     key that is published are derived from that sealed private key, never
//     taken from a column a database writer could change.
//   - The newest activated, non-retired key of a purpose and algorithm signs.
//     Every non-retired key is published (JWKS) and verifies, so tokens signed
//     before a rotation keep verifying. A retired key does neither.
//   - Creating, rotating and retiring a key are acts: each commits with its
//     audit entry in one transaction, or not at all.
//   - Signing does not touch the database once warm: decrypted keys are
//     cached by kid (keys never change), and the choice of the current key is
//     re-read at least every RefreshInterval, and at once on this instance
//     after Ensure, Rotate or Retire, so that several instances converge.
//     Verify and PublicJWKS read the database on every call, so a key rotated
//     on another instance is published and verifies at once.
package keyring

import (
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"procura/audit"
	"procura/db"
	"procura/seal"
)

// Purpose says what a key signs. Each purpose has its own keys.
type Purpose string

const (
	// PurposeOIDC signs the OpenID Provider's ID tokens and UserInfo.
	PurposeOIDC Purpose = "oidc"
	// PurposeMandate signs mandates.
	PurposeMandate Purpose = "mandate"
	// PurposeJournal signs the audit journal's checkpoints (C2SP signed
	// notes, Ed25519).
	PurposeJournal Purpose = "journal"
)

// Algorithms lists the JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1) a
// purpose may use, default first: ES256 for the OpenID Provider (RS256 for
// clients that need it), ES256 or EdDSA (Ed25519) for mandates.
func Algorithms(p Purpose) []jose.SignatureAlgorithm {
	switch p {
	case PurposeOIDC:
		return []jose.SignatureAlgorithm{jose.ES256, jose.RS256}
	case PurposeMandate:
		return []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA}
	case PurposeJournal:
		return []jose.SignatureAlgorithm{jose.EdDSA}
	}
	return nil
}

// RefreshInterval bounds how long an instance keeps signing with a key after
// another instance rotated or retired it.
const RefreshInterval = time.Minute

// Actor is who rotates or retires a key, as the journal names them. It has
// the fields of account.Actor, so one converts to the other.
type Actor struct {
	Kind audit.ActorKind
	ID   string
}

// system is the actor of keys created at start-up by Ensure.
var system = Actor{Kind: audit.ActorSystem, ID: "keyring"}

// Key describes a stored key, without its private part.
type Key struct {
	KID         string
	Purpose     Purpose
	Alg         jose.SignatureAlgorithm
	Generation  int
	CreatedAt   time.Time
	ActivatedAt time.Time
	RetiredAt   *time.Time
}

// Keyring is the store of signing keys and a cache of their decrypted form.
// It is safe for concurrent use.
type Keyring struct {
	db      *db.DB
	journal *audit.Journal
	sealer  *seal.Sealer
	now     func() time.Time

	// opened caches decrypted keys by kid: kid → *key. Keys never change,
	// so an entry is never stale; only the choice of the current one is.
	opened sync.Map

	mu      sync.RWMutex
	current map[Purpose]*choice
	// epoch counts forget calls, so that a read begun before a key change
	// does not overwrite the choice the change dropped.
	epoch uint64
	// refreshing lets one caller re-read a stale choice while the others
	// keep signing with it.
	refreshing sync.Mutex
}

// sealPurpose names the seal key that protects private keys.
const sealPurpose = "signing-key"

// New returns the keyring kept in d. Private keys are sealed with a key
// derived from the 32-byte masterKey; now is the clock.
func New(d *db.DB, j *audit.Journal, masterKey []byte, now func() time.Time) (*Keyring, error) {
	s, err := seal.New(masterKey, sealPurpose)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return &Keyring{db: d, journal: j, sealer: s, now: now, current: map[Purpose]*choice{}}, nil
}

// checkAlg refuses a purpose or an algorithm the purpose does not use. It
// is on the signing path, so it allocates nothing when both are right.
func checkAlg(p Purpose, alg jose.SignatureAlgorithm) error {
	switch {
	case p == PurposeOIDC && (alg == jose.ES256 || alg == jose.RS256),
		p == PurposeMandate && (alg == jose.ES256 || alg == jose.EdDSA),
		p == PurposeJournal && alg == jose.EdDSA:
		return nil
	case Algorithms(p) == nil:
		return fmt.Errorf("%w: %q", ErrUnknownPurpose, p)
	}
	return fmt.Errorf("%w: %s for purpose %s", ErrUnsupportedAlg, alg, p)
}
