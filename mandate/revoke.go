package mandate

import (
	"context"
	"fmt"

	"procura/audit"
	"procura/db"
)

// Actor is who acts on a mandate: an aidant of the organisation, or the usager.
type Actor struct {
	Kind audit.ActorKind
	ID   string
}

// RevokePermission ends one permission of a mandate in scope at once, with
// the access and refresh tokens issued under it, in one transaction with
// its audit entry.
func (r *Registry) RevokePermission(ctx context.Context, by Actor, scope Scope, mandateID, permissionID string) (Permission, error) {
	if !db.IsUUID(permissionID) {
		return Permission{}, ErrPermissionFound
	}
	var out Permission
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		m, err := r.get(ctx, scope, mandateID)
		if err != nil {
			return err
		}
		for _, p := range m.Permissions {
			if p.ID == permissionID {
				out = p
			}
		}
		if out.ID == "" {
			return ErrPermissionFound
		}
		if err := r.revoke(ctx, by, m, out); err != nil {
			return err
		}
		return r.notify(ctx, ChangePermissionRevoked, m, []string{out.Procedure})
	})
	return out, r.refusedOutside(ctx, by, scope, mandateID, err)
}

// RevokeMandate ends a whole mandate in scope at once: every permission
// still current, and their tokens.
func (r *Registry) RevokeMandate(ctx context.Context, by Actor, scope Scope, mandateID string) (Mandate, error) {
	var out Mandate
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		m, err := r.get(ctx, scope, mandateID)
		if err != nil {
			return err
		}
		ended, err := r.revokeMandate(ctx, by, m, "")
		if err != nil {
			return err
		}
		if err := r.notify(ctx, ChangeRevoked, m, ended); err != nil {
			return err
		}
		out, err = r.get(ctx, scope, mandateID)
		return err
	})
	return out, r.refusedOutside(ctx, by, scope, mandateID, err)
}

// revokeMandate ends m as revoked for reason, with every permission still
// current and every token issued under it, and their entries; it returns
// the procedures it ended.
func (r *Registry) revokeMandate(ctx context.Context, by Actor, m Mandate, reason string) ([]string, error) {
	if m.RevokedAt != nil {
		return nil, ErrAlreadyRevoked
	}
	now := r.now().UTC()
	res := r.db.Conn(ctx).Model(&mandateRow{}).Where("id = ? AND revoked_at IS NULL", m.ID).
		Updates(map[string]any{"revoked_at": now, "revoked_by_kind": string(by.Kind), "revoked_by_id": by.ID, "revoked_reason": reason})
	if res.Error != nil {
		return nil, fmt.Errorf("mandate: revoke: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrAlreadyRevoked
	}
	var details map[string]string
	if reason != "" {
		details = map[string]string{"reason": reason}
	}
	actor := audit.Entry{ActorKind: by.Kind, ActorID: by.ID, OrganisationID: m.OrganisationID, UsagerID: m.UsagerID}
	if err := r.record(ctx, actor, audit.ActionMandateRevoked, m.ID, "", "", details); err != nil {
		return nil, err
	}
	var ended []string
	for _, p := range m.Permissions {
		if p.EndedAt == nil {
			if err := r.revoke(ctx, by, m, p); err != nil {
				return nil, err
			}
			ended = append(ended, p.Procedure)
		}
	}
	if r.tokens != nil {
		if _, err := r.tokens.RevokeByMandate(ctx, m.ID); err != nil {
			return nil, err
		}
	}
	return ended, nil
}

// revoke ends a current permission as revoked, with its tokens and entry.
func (r *Registry) revoke(ctx context.Context, by Actor, m Mandate, p Permission) error {
	now := r.now().UTC()
	res := r.db.Conn(ctx).Model(&permissionRow{}).Where("id = ? AND ended_at IS NULL", p.ID).
		Updates(map[string]any{"ended_at": now, "end_reason": EndRevoked, "ended_by_kind": string(by.Kind), "ended_by_id": by.ID})
	if res.Error != nil {
		return fmt.Errorf("mandate: revoke permission: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrAlreadyRevoked
	}
	revoked := int64(0)
	if r.tokens != nil {
		var err error
		if revoked, err = r.tokens.RevokeByPermission(ctx, p.ID); err != nil {
			return err
		}
	}
	actor := audit.Entry{ActorKind: by.Kind, ActorID: by.ID, OrganisationID: m.OrganisationID, UsagerID: m.UsagerID}
	return r.record(ctx, actor, audit.ActionPermissionRevoked, m.ID, p.ID, p.Procedure,
		map[string]string{"tokens_revoked": fmt.Sprint(revoked)})
}
