package account

import (
	"context"
	"time"

	"procura/audit"
)

// Session is the web session of the request being served, as account's
// acts need it: sign-in begins it and sign-out ends it inside the
// transaction that records the act, so that the session and its audit
// entry commit together or not at all. web's session store gives one per
// request.
type Session interface {
	// BeginAccount moves the session to a fresh id (no id seen before
	// sign-in survives it) and signs s.AccountID in, in ctx's transaction.
	BeginAccount(ctx context.Context, s SignedIn) error
	// SwitchOrganisation makes organisationID the organisation the
	// signed-in account works for, in ctx's transaction.
	SwitchOrganisation(ctx context.Context, organisationID string) error
	// End deletes the session, in ctx's transaction.
	End(ctx context.Context) error
}

// SignedIn is what a session holds of a signed-in account.
type SignedIn struct {
	AccountID string
	// OrganisationID is the organisation the account works for at first:
	// its first by name; "" for an account member of none.
	OrganisationID string
	// AuthTime is when the account proved who it is (password and TOTP).
	AuthTime time.Time
}

// Sessions ends the sessions of an account wherever they are, in ctx's
// transaction, and says how many ended. Deactivation uses it; web's
// session store implements it.
type Sessions interface {
	EndAccountSessions(ctx context.Context, accountID string) (int64, error)
}

// Tokens ends the codes and tokens an account obtained as an aidant
// (authz.Store implements it), so that deactivation revokes them in its
// transaction: every later use is refused anyway (the permission check
// reads the account's state), but introspection and the journal then say
// so at once.
type Tokens interface {
	RevokeByAidant(ctx context.Context, aidantID string) (int64, error)
}

// SetTokens gives the directory the OpenID Provider's store; call it at
// wiring, before serving. Without it, deactivation ends sessions only.
func (d *Directory) SetTokens(t Tokens) { d.tokens = t }

// EndSession ends the session of a signed-in account and records it, in one
// transaction. reason says why, for the journal (sign_out, rp_logout…);
// organisationID is the organisation the account was working for, which
// says whether it acted as an aidant or as a manager.
func (d *Directory) EndSession(ctx context.Context, accountID, organisationID, reason string, s Session) error {
	ms, err := d.Memberships(ctx, accountID)
	if err != nil {
		return err
	}
	actor := Actor{Kind: actorKind(ms, organisationID), ID: accountID}
	return d.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.End(ctx); err != nil {
			return err
		}
		return d.record(ctx, actor, audit.ActionSessionEnded, accountID, organisationID, map[string]string{"reason": reason})
	})
}

// beginSession signs the account into s, in its first organisation, and
// records the sign-in with method (and that organisation), in ctx's
// transaction.
func (d *Directory) beginSession(ctx context.Context, accountID string, ms []Membership, method string, s Session) error {
	in := SignedIn{AccountID: accountID, OrganisationID: firstOrganisation(ms), AuthTime: d.now()}
	actor := Actor{Kind: actorKind(ms, in.OrganisationID), ID: accountID}
	if err := d.record(ctx, actor, audit.ActionSignIn, accountID, in.OrganisationID, map[string]string{"method": method}); err != nil {
		return err
	}
	return s.BeginAccount(ctx, in)
}

// firstOrganisation is where an account works at sign-in: its first
// organisation by name, or "" when it belongs to none.
func firstOrganisation(ms []Membership) string {
	if len(ms) == 0 {
		return ""
	}
	return ms[0].Organisation.ID
}

// actorKind is how the journal names an account acting for organisationID:
// a manager when it is a manager and not an aidant there, an aidant
// otherwise. Without a known organisation, the account is an aidant if it
// is one anywhere.
func actorKind(ms []Membership, organisationID string) audit.ActorKind {
	for _, m := range ms {
		if m.Organisation.ID == organisationID {
			if !m.Has(RoleAidant) && m.Has(RoleManager) {
				return audit.ActorManager
			}
			return audit.ActorAidant
		}
	}
	for _, m := range ms {
		if m.Has(RoleAidant) {
			return audit.ActorAidant
		}
	}
	if len(ms) > 0 {
		return audit.ActorManager
	}
	return audit.ActorAidant
}
