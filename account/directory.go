// Package account holds organisations, aidants and managers, and how they
// prove who they are: argon2id passwords, TOTP codes (single use, one step of
// drift) and lockout after repeated failures.
package account

import (
	"time"

	"procura/audit"
	"procura/db"
	"procura/seal"
)

// Directory is the store and rules of organisations and accounts.
type Directory struct {
	db       *db.DB
	journal  *audit.Journal
	totpSeal *seal.Sealer
	now      func() time.Time
	throttle ThrottlePolicy
}

// NewDirectory returns the directory kept in d. TOTP seeds are sealed with a
// key derived from masterKey; now is the clock.
func NewDirectory(d *db.DB, j *audit.Journal, masterKey []byte, now func() time.Time) (*Directory, error) {
	s, err := seal.New(masterKey, "totp-seed")
	if err != nil {
		return nil, err
	}
	return &Directory{db: d, journal: j, totpSeal: s, now: now, throttle: DefaultThrottle}, nil
}

// Actor is who performs an act, as the journal names them.
type Actor struct {
	Kind audit.ActorKind
	ID   string
}

// Operator is the actor of CLI commands.
var Operator = Actor{Kind: audit.ActorOperator, ID: "cli"}
