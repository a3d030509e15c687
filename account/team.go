package account

import (
	"context"
	"fmt"
	"slices"
	"time"

	"procura/audit"
)

// The acts of a manager on their organisation's team. Each checks the
// manager and the member (Member: another organisation's account is not
// found, and the attempt recorded), then acts and records the act in one
// transaction.

// Habilitation validity a manager may record, in months; DESIGN.md's
// default is one year.
const (
	DefaultHabilitationMonths = 12
	MaxHabilitationMonths     = 36
)

// RecordHabilitation records that the aidant was trained on trainedOn:
// habilitated for months from that date.
func (d *Directory) RecordHabilitation(ctx context.Context, m Manager, accountID string, trainedOn time.Time, months int) error {
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	if !t.Has(RoleAidant) {
		return ErrNotAidantHere
	}
	now := d.now()
	switch {
	case months < 1 || months > MaxHabilitationMonths:
		return invalid(fmt.Sprintf("La durée de validité doit être comprise entre 1 et %d mois.", MaxHabilitationMonths))
	case trainedOn.After(now):
		return invalid("La date de formation ne peut pas être dans le futur.")
	}
	until := trainedOn.AddDate(0, months, 0)
	if !until.After(now) {
		return invalid("Avec cette date de formation et cette durée, l'habilitation serait déjà terminée : vérifiez la date ou prolongez la durée.")
	}
	return d.setHabilitation(ctx, m, accountID, &trainedOn, &until, audit.ActionHabilitationRecorded,
		map[string]string{"months": fmt.Sprint(months)})
}

// ExtendHabilitation extends the aidant's habilitation by months, from its
// current end (or from now, when it has ended).
func (d *Directory) ExtendHabilitation(ctx context.Context, m Manager, accountID string, months int) error {
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	if !t.Has(RoleAidant) {
		return ErrNotAidantHere
	}
	if months < 1 || months > MaxHabilitationMonths {
		return invalid(fmt.Sprintf("La prolongation doit être comprise entre 1 et %d mois.", MaxHabilitationMonths))
	}
	if t.HabilitatedUntil == nil {
		return invalid("Cet aidant n'a pas encore d'habilitation : enregistrez d'abord sa date de formation.")
	}
	from := d.now()
	if t.HabilitatedUntil.After(from) {
		from = *t.HabilitatedUntil
	}
	until := from.AddDate(0, months, 0)
	return d.setHabilitation(ctx, m, accountID, t.TrainedOn, &until, audit.ActionHabilitationRecorded,
		map[string]string{"extended_months": fmt.Sprint(months)})
}

// EndHabilitation ends the aidant's habilitation now: they can no longer
// sign or use mandates.
func (d *Directory) EndHabilitation(ctx context.Context, m Manager, accountID string) error {
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	now := d.now()
	if !t.Habilitated(now) {
		return conflict("Cet aidant n'est pas habilité : il n'y a pas d'habilitation à terminer.")
	}
	return d.setHabilitation(ctx, m, accountID, t.TrainedOn, &now, audit.ActionHabilitationEnded, nil)
}

func (d *Directory) setHabilitation(ctx context.Context, m Manager, accountID string, trainedOn, until *time.Time,
	action audit.Action, details map[string]string) error {
	return d.db.InTx(ctx, func(ctx context.Context) error {
		err := d.db.Conn(ctx).Model(&accountRow{}).Where("id = ?", accountID).Updates(map[string]any{
			"trained_on": utcPtr(trainedOn), "habilitated_until": utcPtr(until), "updated_at": d.now().UTC(),
		}).Error
		if err != nil {
			return fmt.Errorf("account: habilitation: %w", err)
		}
		return d.record(ctx, m.actor(), action, accountID, m.OrganisationID, details)
	})
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// DeactivateMember deactivates an account of the team: it can no longer
// sign in, and its sessions end in the same transaction (Deactivate). A
// manager cannot deactivate themselves nor the last manager.
func (d *Directory) DeactivateMember(ctx context.Context, m Manager, accountID string) error {
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	if accountID == m.AccountID {
		return ErrSelf
	}
	return d.db.InTx(ctx, func(ctx context.Context) error {
		if t.Has(RoleManager) {
			if err := d.checkKeepsAManager(ctx, m.OrganisationID, accountID); err != nil {
				return err
			}
		}
		return d.setActive(ctx, m.actor(), accountID, m.OrganisationID, false)
	})
}

// ReactivateMember lets a deactivated account of the team sign in again.
func (d *Directory) ReactivateMember(ctx context.Context, m Manager, accountID string) error {
	if _, err := d.Member(ctx, m, accountID); err != nil {
		return err
	}
	return d.setActive(ctx, m.actor(), accountID, m.OrganisationID, true)
}

// SetRole gives (on) or takes back (!on) a role of a team member in the
// organisation. Taking back the last manager's role is refused (a manager
// may leave the role to another, not leave the organisation without one);
// a member
// keeps at least one role (RemoveMember removes them).
func (d *Directory) SetRole(ctx context.Context, m Manager, accountID string, role Role, on bool) error {
	if err := checkRoles([]Role{role}); err != nil {
		return err
	}
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	if on {
		if t.Has(role) {
			return conflict("Ce compte a déjà ce rôle dans cette organisation.")
		}
		return d.db.InTx(ctx, func(ctx context.Context) error {
			return d.addMembership(ctx, m.actor(), accountID, m.OrganisationID, role)
		})
	}
	if !t.Has(role) {
		return conflict("Ce compte n'a pas ce rôle dans cette organisation.")
	}
	if len(t.Roles) == 1 {
		return conflict("C'est le seul rôle de ce compte dans votre organisation : retirez-le plutôt de l'organisation.")
	}
	return d.removeRoles(ctx, m, accountID, []Role{role})
}

// RemoveMember takes an account out of the organisation (all its roles);
// it stays a member of its other organisations. The last manager cannot
// be removed.
func (d *Directory) RemoveMember(ctx context.Context, m Manager, accountID string) error {
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	return d.removeRoles(ctx, m, accountID, t.Roles)
}

func (d *Directory) removeRoles(ctx context.Context, m Manager, accountID string, roles []Role) error {
	return d.db.InTx(ctx, func(ctx context.Context) error {
		if slices.Contains(roles, RoleManager) {
			if err := d.checkKeepsAManager(ctx, m.OrganisationID, accountID); err != nil {
				return err
			}
		}
		for _, role := range roles {
			err := d.db.Conn(ctx).Where("account_id = ? AND organisation_id = ? AND role = ?", accountID, m.OrganisationID, string(role)).
				Delete(&membershipRow{}).Error
			if err != nil {
				return fmt.Errorf("account: remove membership: %w", err)
			}
			if err := d.record(ctx, m.actor(), audit.ActionMembershipRemoved, accountID, m.OrganisationID,
				map[string]string{"role": string(role)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddExistingMember adds an account that already exists (an aidant of
// another organisation) to m's organisation, found by its email.
func (d *Directory) AddExistingMember(ctx context.Context, m Manager, email string, roles []Role) (Account, error) {
	if err := d.CheckManager(ctx, m); err != nil {
		return Account{}, err
	}
	if _, err := NormaliseEmail(email); err != nil {
		return Account{}, err
	}
	if err := checkRoles(roles); err != nil {
		return Account{}, err
	}
	a, err := d.AccountByEmail(ctx, email)
	if err != nil {
		return Account{}, problemNotFound("Aucun compte Procura n'a cette adresse électronique : invitez plutôt cette personne.")
	}
	if a.Pending {
		return Account{}, conflict("Ce compte n'a pas encore accepté son invitation : il pourra être ajouté ensuite.")
	}
	if ts, err := d.team(ctx, m.OrganisationID, a.ID); err != nil {
		return Account{}, err
	} else if len(ts) > 0 {
		return Account{}, conflict("Ce compte est déjà membre de votre organisation.")
	}
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		for _, role := range roles {
			if err := d.addMembership(ctx, m.actor(), a.ID, m.OrganisationID, role); err != nil {
				return err
			}
		}
		return nil
	})
	return a, err
}

// Habilitate records, for the operator (bootstrap, `procura admin aidant
// habilitate`), that an account is habilitated until until; managers use
// RecordHabilitation.
func (d *Directory) Habilitate(ctx context.Context, actor Actor, accountID string, until time.Time) error {
	if !until.After(d.now()) {
		return invalid("La fin de l'habilitation doit être dans le futur.")
	}
	return d.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.Account(ctx, accountID); err != nil {
			return err
		}
		err := d.db.Conn(ctx).Model(&accountRow{}).Where("id = ?", accountID).
			Updates(map[string]any{"habilitated_until": until.UTC(), "updated_at": d.now().UTC()}).Error
		if err != nil {
			return fmt.Errorf("account: habilitation: %w", err)
		}
		return d.record(ctx, actor, audit.ActionHabilitationRecorded, accountID, "", map[string]string{"until": until.UTC().Format("2006-01-02")})
	})
}
