package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"procura/audit"
)

// ErrNotJournaled is wrapped in the refusals SignIn does not journal (an
// unknown email, an attempt during a lockout): they name no one and change
// nothing but the lockout counters, so the caller logs them instead.
var ErrNotJournaled = errors.New("account: refusal not journaled")

// Credentials are what a person types on the sign-in page, with the address
// the request came from.
type Credentials struct {
	Email    string
	Password string
	Code     string
	IP       string
}

// SignIn checks credentials, signs the account in to s and returns it.
// On success the TOTP code is used up, the sign-in recorded and the session
// begun (on a fresh id, in the account's first organisation) in one
// transaction.
//
// Errors: ErrBadCredentials for an unknown email, a wrong password or a wrong
// code (one message for all three); ErrCodeReplayed for a code already used;
// *LockedOutError during a lockout; ErrInactive for a deactivated account
// with the right password; ErrEnrolmentNeeded, with the account, when the
// password is right and no TOTP is enrolled yet (the caller then offers
// enrolment, nothing else). Every outcome about a known account is audited;
// an unknown email and an attempt during a lockout are not (they name no one
// and change nothing but the lockout counters: the caller logs them).
// Failures count toward lockout per email and per address (ThrottlePolicy);
// a success clears both counters.
func (d *Directory) SignIn(ctx context.Context, c Credentials, s Session) (Account, error) {
	now := d.now()
	email, emailErr := NormaliseEmail(c.Email)
	if emailErr != nil {
		email = c.Email
	}
	ek, ik := emailKey(email), ipKey(c.IP)
	for _, key := range []string{ek, ik} {
		until, err := d.lockedUntil(ctx, key, now)
		if err != nil {
			return Account{}, err
		}
		if !until.IsZero() {
			// Not journaled: an attempt during a lockout changes nothing, and
			// the lockout itself was (ActionLockedOut, for a known account).
			// The caller logs it (web/noise.go), so that a client hammering
			// the form cannot grow the permanent journal.
			return Account{}, fmt.Errorf("%w: %w", &LockedOutError{Until: until}, ErrNotJournaled)
		}
	}

	var row accountRow
	known := false
	if emailErr == nil {
		var err error
		row, err = d.accountRow(ctx, "email = ?", email)
		if err != nil && !errors.Is(err, ErrAccountNotFound) {
			return Account{}, err
		}
		known = err == nil
	}
	hash := row.PasswordHash
	if !known || hash == "" {
		hash = dummyHash()
	}
	var passwordOK bool
	var err error
	if werr := d.argon2(ctx, func() { passwordOK, err = verifyPassword(hash, c.Password) }); werr != nil {
		return Account{}, werr
	}
	if err != nil {
		return Account{}, err
	}
	switch {
	case !known:
		return Account{}, d.failSignIn(ctx, Actor{Kind: audit.ActorAnonymous}, ek, ik, "unknown_account", ErrBadCredentials, now)
	case row.PasswordHash == "":
		// Invited, invitation not accepted: no password to match yet.
		return Account{}, d.failSignIn(ctx, Actor{Kind: audit.ActorAidant, ID: row.ID}, ek, ik, "invitation_pending", ErrBadCredentials, now)
	case !passwordOK:
		return Account{}, d.failSignIn(ctx, Actor{Kind: audit.ActorAidant, ID: row.ID}, ek, ik, "password", ErrBadCredentials, now)
	case !row.Active:
		return Account{}, d.failSignIn(ctx, Actor{Kind: audit.ActorAidant, ID: row.ID}, "", "", "inactive", ErrInactive, now)
	case len(row.TOTPSecret) == 0:
		return row.account(), ErrEnrolmentNeeded
	}

	secret, err := d.totpSeal.Open(row.TOTPSecret, []byte(row.ID))
	if err != nil {
		return Account{}, fmt.Errorf("account: open TOTP seed of %s: %w", row.ID, err)
	}
	step, ok := matchTOTP(string(secret), c.Code, now)
	actor := Actor{Kind: audit.ActorAidant, ID: row.ID}
	if !ok {
		return Account{}, d.failSignIn(ctx, actor, ek, ik, "totp", ErrBadCredentials, now)
	}
	ms, err := d.Memberships(ctx, row.ID)
	if err != nil {
		return Account{}, err
	}
	replayed := false
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		// Conditional on the last step, so that two requests racing with the
		// same code cannot both pass.
		res := d.db.Conn(ctx).Model(&accountRow{}).Where("id = ? AND totp_last_step < ?", row.ID, step).
			Update("totp_last_step", step)
		if res.Error != nil {
			return fmt.Errorf("account: TOTP step: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			replayed = true
			return nil
		}
		if err := d.clearThrottle(ctx, ek); err != nil {
			return err
		}
		if err := d.clearThrottle(ctx, ik); err != nil {
			return err
		}
		return d.beginSession(ctx, row.ID, ms, "password+totp", s)
	})
	if err != nil {
		return Account{}, err
	}
	if replayed {
		return Account{}, d.failSignIn(ctx, actor, ek, ik, "totp_replayed", ErrCodeReplayed, now)
	}
	return row.account(), nil
}

// failSignIn records a failed sign-in and its effect on the lockout counters
// (empty keys are not counted), and returns refusal, or the lockout it starts.
func (d *Directory) failSignIn(ctx context.Context, actor Actor, ek, ik, reason string, refusal error, now time.Time) error {
	var locked time.Time
	err := d.db.InTx(ctx, func(ctx context.Context) error {
		if ek != "" {
			until, err := d.fail(ctx, ek, d.throttle.Threshold, now)
			if err != nil {
				return err
			}
			locked = until
		}
		if ik != "" {
			until, err := d.fail(ctx, ik, d.throttle.AddressThreshold, now)
			if err != nil {
				return err
			}
			if until.After(locked) {
				locked = until
			}
		}
		if actor.Kind == audit.ActorAnonymous {
			// An unknown email names no one: the lockout counters above
			// change, the journal does not (the caller logs it).
			return nil
		}
		if err := d.journal.Record(ctx, audit.Entry{Action: audit.ActionSignInFailed, ActorKind: actor.Kind, ActorID: actor.ID,
			Details: map[string]string{"reason": reason}}); err != nil {
			return err
		}
		if locked.IsZero() {
			return nil
		}
		return d.journal.Record(ctx, audit.Entry{Action: audit.ActionLockedOut, ActorKind: actor.Kind, ActorID: actor.ID,
			Details: map[string]string{"until": locked.UTC().Format(time.RFC3339)}})
	})
	if err != nil {
		return err
	}
	if !locked.IsZero() {
		refusal = &LockedOutError{Until: locked}
	}
	if actor.Kind == audit.ActorAnonymous {
		return fmt.Errorf("%w: %w", refusal, ErrNotJournaled)
	}
	return refusal
}
