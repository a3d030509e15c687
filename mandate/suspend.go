package mandate

import (
	"context"
	"errors"

	"procura/audit"
	"procura/problem"
)

// ErrNotTheUsager answers a suspension asked by someone identified as
// another usager than the mandate's: the link of a message was followed by
// another person, or forwarded.
var ErrNotTheUsager = problem.New(problem.Forbidden,
	"La personne identifiée avec FranceConnect n'est pas celle qui a donné ce mandat : il ne peut pas être suspendu depuis ce lien. "+
		"Seule la personne qui l'a donné peut le faire, après s'être identifiée avec FranceConnect.")

// ErrNoStructureNotifier is returned by Suspend when the registry cannot
// tell the structure: a suspension is never done silently.
var ErrNoStructureNotifier = errors.New("mandate: Suspend needs a notifier that tells the structure (WithNotifier)")

// Suspend is the usager's answer to "Ce n'était pas moi": the mandate is
// revoked at once, whole, with the reason RevokedNotMe — every permission
// still current ends and every access and refresh token issued under it is
// revoked — and the structure's managers and the usager are told, all in
// one transaction with the audit entries. It cannot be undone: a new
// mandate must be signed for an aidant to act again.
//
// usagerID is the usager identified with FranceConnect just before: a
// mandate of another usager is ErrNotTheUsager, and nothing changes.
func (r *Registry) Suspend(ctx context.Context, usagerID, mandateID string) (Mandate, error) {
	if _, ok := r.notifier.(StructureNotifier); !ok {
		return Mandate{}, ErrNoStructureNotifier
	}
	scope := OfUsager(usagerID)
	var out Mandate
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		m, err := r.get(ctx, scope, mandateID)
		if errors.Is(err, ErrNotFound) {
			return r.notTheUsager(ctx, usagerID, mandateID)
		}
		if err != nil {
			return err
		}
		by := Actor{Kind: audit.ActorUsager, ID: usagerID}
		ended, err := r.revokeMandate(ctx, by, m, RevokedNotMe)
		if err != nil {
			return err
		}
		if err := r.notifier.(StructureNotifier).MandateSuspended(ctx, m, ended); err != nil {
			return err
		}
		if err := r.notify(ctx, ChangeSuspended, m, ended); err != nil {
			return err
		}
		out, err = r.get(ctx, scope, mandateID)
		return err
	})
	return out, err
}

// MandateOfUsager returns a mandate usagerID gave; a mandate of another
// usager is ErrNotTheUsager (the "Ce n'était pas moi" page shows it before
// the usager confirms).
func (r *Registry) MandateOfUsager(ctx context.Context, usagerID, mandateID string) (Mandate, error) {
	m, err := r.get(ctx, OfUsager(usagerID), mandateID)
	if errors.Is(err, ErrNotFound) {
		var n int64
		if qerr := r.db.Conn(ctx).Model(&mandateRow{}).Where("id = ?", mandateID).Count(&n).Error; qerr != nil || n == 0 {
			return Mandate{}, err
		}
		return Mandate{}, ErrNotTheUsager
	}
	return m, err
}

// notTheUsager is ErrNotTheUsager when the mandate exists (of someone
// else), ErrNotFound when it does not.
func (r *Registry) notTheUsager(ctx context.Context, usagerID, mandateID string) error {
	_, err := r.MandateOfUsager(ctx, usagerID, mandateID)
	if err == nil {
		return ErrNotFound
	}
	return err
}
