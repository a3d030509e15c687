// Package account holds organisations, aidants and managers, and how they
// prove who they are: argon2id passwords, TOTP codes (single use, one step of
// drift) and lockout after repeated failures.
package account

import (
	"context"
	"errors"
	"runtime"
	"time"

	"procura/audit"
	"procura/db"
	"procura/seal"
)

// Directory is the store and rules of organisations and accounts.
type Directory struct {
	db       *db.DB
	journal  *audit.Journal
	sessions Sessions
	tokens   Tokens
	totpSeal *seal.Sealer
	now      func() time.Time
	throttle ThrottlePolicy
	// hashing bounds the argon2id computations running at once: each
	// takes 19 MiB, and a burst of sign-ins must not take the server's
	// memory with it.
	hashing chan struct{}
	// mailer writes the password recovery messages; baseURL is where their
	// links lead (WithMailer).
	mailer  Mailer
	baseURL string
}

// NewDirectory returns the directory kept in d. TOTP seeds are sealed with a
// key derived from masterKey; sessions ends the sessions of a deactivated
// account; now is the clock.
func NewDirectory(d *db.DB, j *audit.Journal, masterKey []byte, sessions Sessions, now func() time.Time) (*Directory, error) {
	if sessions == nil {
		return nil, errors.New("account: NewDirectory needs the session store, to end the sessions of deactivated accounts")
	}
	s, err := seal.New(masterKey, "totp-seed")
	if err != nil {
		return nil, err
	}
	return &Directory{db: d, journal: j, sessions: sessions, totpSeal: s, now: now, throttle: DefaultThrottle,
		hashing: make(chan struct{}, runtime.GOMAXPROCS(0))}, nil
}

// argon2 runs f (a password hash or verification) once a hashing slot is
// free, or gives up when ctx ends.
func (d *Directory) argon2(ctx context.Context, f func()) error {
	select {
	case d.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-d.hashing }()
	f()
	return nil
}

// Actor is who performs an act, as the journal names them.
type Actor struct {
	Kind audit.ActorKind
	ID   string
}

// Operator is the actor of CLI commands.
var Operator = Actor{Kind: audit.ActorOperator, ID: "cli"}
