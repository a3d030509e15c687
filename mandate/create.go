package mandate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"procura/audit"
	"procura/db"
	"procura/problem"
	"procura/procedure"
)

// ErrUsagerNotFound refuses a mandate for a usager never identified.
var ErrUsagerNotFound = problem.New(problem.NotFound, "Usager introuvable : identifiez-le d'abord avec FranceConnect.")

// ErrConcurrentMandate answers a creation that kept losing to concurrent
// creations for the same usager and procedures.
var ErrConcurrentMandate = problem.New(problem.Conflict,
	"Un autre mandat pour cet usager et ces démarches vient d'être enregistré au même moment. Consultez ses mandats avant de recommencer.")

// sign writes a new mandate (created or renewing another), retrying when a
// concurrent creation for the same procedures won the unique index (or a
// deadlock was broken); after three tries, ErrConcurrentMandate.
func (r *Registry) sign(ctx context.Context, m Mandate, procs []string, evidence, code, address string, action audit.Action) (Mandate, error) {
	var out Mandate
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = r.db.InTx(ctx, func(ctx context.Context) error {
			var err error
			out, err = r.signOnce(ctx, m, procs, evidence, code, address, action)
			return err
		})
		if !db.IsConflict(err) || db.InTransaction(ctx) {
			break
		}
	}
	if db.IsConflict(err) {
		return Mandate{}, fmt.Errorf("%w (%v)", ErrConcurrentMandate, err)
	}
	return out, err
}

func (r *Registry) signOnce(ctx context.Context, m Mandate, procs []string, evidence, code, address string, action audit.Action) (Mandate, error) {
	now := r.now().UTC().Truncate(time.Second)
	if _, ok := DurationByDays(m.DurationDays); !ok {
		return Mandate{}, ErrDuration
	}
	if err := r.directory.CheckAidant(ctx, m.AidantID, m.OrganisationID, now); err != nil {
		return Mandate{}, err
	}
	org, err := r.directory.Organisation(ctx, m.OrganisationID)
	if err != nil {
		return Mandate{}, err
	}
	procs, err = allowedProcedures(procs, org.Procedures)
	if err != nil {
		return Mandate{}, err
	}
	known, err := r.usagers.Exists(ctx, m.UsagerID)
	if err != nil {
		return Mandate{}, err
	}
	if !known {
		return Mandate{}, ErrUsagerNotFound
	}
	confirmed, err := r.directory.ConfirmTOTP(ctx, m.AidantID, code)
	if err != nil {
		return Mandate{}, err
	}
	m.ID = uuid.NewString()
	m.SignedAt = now
	m.ExpiresAt = now.Add(time.Duration(m.DurationDays) * 24 * time.Hour)
	m.TOTPConfirmedAt = confirmed.UTC().Truncate(time.Second)
	m.Permissions = nil
	for _, p := range procs {
		m.Permissions = append(m.Permissions, Permission{ID: uuid.NewString(), MandateID: m.ID, OrganisationID: m.OrganisationID,
			UsagerID: m.UsagerID, Procedure: p, ExpiresAt: m.ExpiresAt})
	}
	if m.Signature, err = r.signContent(ctx, content(m, org.SIRET)); err != nil {
		return Mandate{}, fmt.Errorf("mandate: sign: %w", err)
	}
	actor := audit.Entry{ActorKind: audit.ActorAidant, ActorID: m.AidantID, OrganisationID: m.OrganisationID, UsagerID: m.UsagerID}
	for _, p := range procs {
		if err := r.endCurrent(ctx, actor, m, p, now); err != nil {
			return Mandate{}, err
		}
	}
	row := mandateRow{ID: m.ID, OrganisationID: m.OrganisationID, UsagerID: m.UsagerID, AidantID: m.AidantID,
		DurationDays: m.DurationDays, SignedAt: m.SignedAt, ExpiresAt: m.ExpiresAt, TextVersion: m.TextVersion,
		TextSHA256: m.TextSHA256, FCIDToken: evidence, FCIDTokenSHA256: m.FCIDTokenSHA256, FCJWKSSHA256: m.FCJWKSSHA256,
		TOTPConfirmedAt: m.TOTPConfirmedAt,
		NotifyUsager:    m.NotifyUsager, Signature: m.Signature, CreatedAt: now}
	details := map[string]string{"duration_days": fmt.Sprint(m.DurationDays), "text_version": m.TextVersion}
	if m.Renews != "" {
		row.Renews = &m.Renews
		details["renews"] = m.Renews
	}
	if m.FCJWKSSHA256 != "" {
		// In the journal's tree too: the archived key set cannot be
		// swapped for another without `procura audit verify` noticing.
		details["fc_jwks_sha256"] = m.FCJWKSSHA256
	}
	conn := r.db.Conn(ctx)
	if err := conn.Create(&row).Error; err != nil {
		return Mandate{}, fmt.Errorf("mandate: create: %w", err)
	}
	if err := r.record(ctx, actor, action, m.ID, "", "", details); err != nil {
		return Mandate{}, err
	}
	for _, p := range m.Permissions {
		pr := permissionRow{ID: p.ID, MandateID: p.MandateID, OrganisationID: p.OrganisationID, UsagerID: p.UsagerID,
			Procedure: p.Procedure, ExpiresAt: p.ExpiresAt}
		if err := conn.Create(&pr).Error; err != nil {
			return Mandate{}, fmt.Errorf("mandate: permission %s: %w", p.Procedure, err)
		}
		if err := r.record(ctx, actor, audit.ActionPermissionCreated, m.ID, p.ID, p.Procedure, nil); err != nil {
			return Mandate{}, err
		}
	}
	change := ChangeCreated
	if m.Renews != "" {
		change = ChangeRenewed
	}
	if keeper, ok := r.notifier.(UsagerAddresses); ok && m.NotifyUsager && m.Renews == "" {
		// A new opt-in, before the message below, which goes to the
		// address given (a renewal keeps the renewed mandate's wish).
		if err := keeper.OptIn(ctx, m, address); err != nil {
			return Mandate{}, err
		}
	}
	if err := r.notify(ctx, change, m, procs); err != nil {
		return Mandate{}, err
	}
	return m, nil
}

// endCurrent ends the current permission of the usager in the organisation
// for procedure, if any: replaced by m, or expired if its time had come.
func (r *Registry) endCurrent(ctx context.Context, actor audit.Entry, m Mandate, proc string, now time.Time) error {
	var old []permissionRow
	err := r.db.Conn(ctx).Where("organisation_id = ? AND usager_id = ? AND procedure = ? AND ended_at IS NULL",
		m.OrganisationID, m.UsagerID, proc).Find(&old).Error
	if err != nil {
		return fmt.Errorf("mandate: current permission: %w", err)
	}
	for _, p := range old {
		reason, action := EndReplaced, audit.ActionPermissionReplaced
		if !now.Before(p.ExpiresAt) {
			reason, action = EndExpired, audit.ActionPermissionExpired
		}
		res := r.db.Conn(ctx).Model(&permissionRow{}).Where("id = ? AND ended_at IS NULL", p.ID).
			Updates(map[string]any{"ended_at": now, "end_reason": reason})
		if res.Error != nil {
			return fmt.Errorf("mandate: end permission: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			continue // ended meanwhile by another transaction
		}
		if r.tokens != nil {
			if _, err := r.tokens.RevokeByPermission(ctx, p.ID); err != nil {
				return err
			}
		}
		if err := r.record(ctx, actor, action, p.MandateID, p.ID, proc, map[string]string{"by_mandate": m.ID}); err != nil {
			return err
		}
	}
	return nil
}

// allowedProcedures checks the chosen procedures against the
// organisation's and returns them once each, in catalogue order.
func allowedProcedures(chosen, allowed []string) ([]string, error) {
	if len(chosen) == 0 {
		return nil, ErrNoProcedure
	}
	for _, id := range chosen {
		if !slices.Contains(allowed, id) {
			return nil, ErrProcedure
		}
	}
	return procedure.InOrder(chosen), nil
}

// record writes an audit entry of the mandate rules.
func (r *Registry) record(ctx context.Context, actor audit.Entry, action audit.Action, mandateID, permissionID, proc string, details map[string]string) error {
	e := actor
	e.Action, e.MandateID, e.PermissionID, e.Procedure, e.Details = action, mandateID, permissionID, proc, details
	return r.journal.Record(ctx, e)
}
