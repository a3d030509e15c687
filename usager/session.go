package usager

import (
	"context"

	"procura/audit"
	"procura/identity"
)

// Session is the web session of the request being served, as the usager's
// acts need it: signing in to the usager space begins it and signing out
// ends it inside the transaction that records the act. web's session store
// gives one per request.
type Session interface {
	// BeginUsager moves the session to a fresh id and signs usagerID in to
	// their space, in ctx's transaction.
	BeginUsager(ctx context.Context, usagerID string) error
	// End deletes the session, in ctx's transaction.
	End(ctx context.Context) error
}

// SignIn records the usager's own identification (Identify, for the usager
// space) and signs them in to s, in one transaction.
func (reg *Registry) SignIn(ctx context.Context, id identity.Identity, s Session) (Usager, error) {
	var u Usager
	err := reg.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if u, err = reg.Identify(ctx, audit.ActorUsager, "", id, ContextUsagerSpace); err != nil {
			return err
		}
		return s.BeginUsager(ctx, u.ID)
	})
	if err != nil {
		return Usager{}, err
	}
	return u, nil
}

// EndSession ends the session of a signed-in usager and records it, in one
// transaction.
func (reg *Registry) EndSession(ctx context.Context, usagerID, reason string, s Session) error {
	return reg.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.End(ctx); err != nil {
			return err
		}
		return reg.journal.Record(ctx, audit.Entry{Action: audit.ActionSessionEnded, ActorKind: audit.ActorUsager, ActorID: usagerID,
			UsagerID: usagerID, Details: map[string]string{"reason": reason}})
	})
}

// RecordIdentificationFailure records that an identification did not
// succeed: reason is a word naming the kind of failure and purpose what the
// identification was for, never personal data. Nobody is named: the
// identity, if any, was not verified.
func (reg *Registry) RecordIdentificationFailure(ctx context.Context, reason, purpose string) error {
	return reg.db.InTx(ctx, func(ctx context.Context) error {
		return reg.journal.Record(ctx, audit.Entry{Action: audit.ActionUsagerIdentificationFailed, ActorKind: audit.ActorAnonymous,
			Details: map[string]string{"reason": reason, "purpose": purpose}})
	})
}
