package mandate

import (
	"context"
	"fmt"
	"time"

	"procura/audit"
	"procura/db"
)

// RecordExpiries records the expiry acts of mandates whose time has come:
// each mandate, and its permissions still current, end as expired, one
// transaction per mandate. Several instances may run it at once: a mandate
// is claimed by a conditional update, so its acts are recorded once. It
// returns how many mandates it recorded. Permissions are unusable from
// their expiry instant whether or not this has run (Permission.Usable).
func (r *Registry) RecordExpiries(ctx context.Context, batch int) (int, error) {
	now := r.now().UTC()
	var ids []string
	q := r.db.Conn(ctx).Model(&mandateRow{}).
		Where("expiry_recorded_at IS NULL AND revoked_at IS NULL AND expires_at <= ?", now).
		Order("expires_at").Limit(batch)
	if err := q.Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("mandate: expiries: %w", err)
	}
	done := 0
	for _, id := range ids {
		recorded, err := r.recordExpiry(ctx, id, now)
		if err != nil {
			return done, err
		}
		if recorded {
			done++
		}
	}
	return done, nil
}

func (r *Registry) recordExpiry(ctx context.Context, id string, now time.Time) (bool, error) {
	recorded := false
	err := r.db.InTx(ctx, func(ctx context.Context) error {
		res := r.db.Conn(ctx).Model(&mandateRow{}).Where("id = ? AND expiry_recorded_at IS NULL AND revoked_at IS NULL", id).
			Update("expiry_recorded_at", now)
		if res.Error != nil {
			return fmt.Errorf("mandate: record expiry: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // another instance did it, or it was revoked meanwhile
		}
		recorded = true
		var row mandateRow
		if err := r.db.Conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
			return fmt.Errorf("mandate: record expiry: %w", db.NotFound(err))
		}
		ms, err := r.withPermissions(ctx, []mandateRow{row})
		if err != nil {
			return err
		}
		m := ms[0]
		actor := audit.Entry{ActorKind: audit.ActorSystem, ActorID: "expiry", OrganisationID: m.OrganisationID, UsagerID: m.UsagerID}
		if err := r.record(ctx, actor, audit.ActionMandateExpired, m.ID, "", "", nil); err != nil {
			return err
		}
		for _, p := range m.Permissions {
			if p.EndedAt != nil {
				continue
			}
			res := r.db.Conn(ctx).Model(&permissionRow{}).Where("id = ? AND ended_at IS NULL", p.ID).
				Updates(map[string]any{"ended_at": p.ExpiresAt, "end_reason": EndExpired})
			if res.Error != nil {
				return fmt.Errorf("mandate: expire permission: %w", res.Error)
			}
			if res.RowsAffected == 0 {
				continue
			}
			if err := r.record(ctx, actor, audit.ActionPermissionExpired, m.ID, p.ID, p.Procedure, nil); err != nil {
				return err
			}
		}
		return nil
	})
	return recorded, err
}
