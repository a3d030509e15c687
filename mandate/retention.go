package mandate

import (
	"context"
	"errors"
	"fmt"

	"procura/usager"
)

// MinRetentionDays is the shortest retention the mandate text allows: the
// usager signs that their identity and the mandate's content are kept for
// the mandate's duration, then five years after its end to prove what was
// done in their name, then deleted (mandate/texts/v1.md, "Mes données
// personnelles").
const MinRetentionDays = 5*365 + 1

// EraseExpiredIdentities is the retention purge (DESIGN.md §4): the
// usagers last identified more than retentionDays ago, and none of whose
// mandates (in any organisation) is active or ended within that time, have
// their identity erased (usager.Registry.Erase) and their mandates deleted
// (the mandate's content, its permissions and the FranceConnect ID token
// kept as evidence), one transaction and one audited act per usager. The
// journal, which names usagers and mandates by identifier only, stays
// whole. It looks at up to limit candidates after the
// usager id after ("" to start), and returns how many it erased and where
// to go on ("" when done). Several instances may run it at once.
func (r *Registry) EraseExpiredIdentities(ctx context.Context, retentionDays, limit int, after string) (erased int, next string, err error) {
	if retentionDays < MinRetentionDays {
		return 0, "", fmt.Errorf("mandate: retention of %d days, shorter than the %d days the mandate text promises", retentionDays, MinRetentionDays)
	}
	cutoff := r.now().UTC().AddDate(0, 0, -retentionDays)
	candidates, err := r.usagers.NotIdentifiedSince(ctx, cutoff, after, limit)
	if err != nil || len(candidates) == 0 {
		return 0, "", err
	}
	if len(candidates) == limit {
		next = candidates[len(candidates)-1]
	}
	var recent []string
	err = r.db.Conn(ctx).Model(&mandateRow{}).Distinct("usager_id").
		Where("usager_id IN ? AND (CASE WHEN revoked_at IS NOT NULL AND revoked_at < expires_at THEN revoked_at ELSE expires_at END) >= ?",
			candidates, cutoff).Pluck("usager_id", &recent).Error
	if err != nil {
		return 0, "", fmt.Errorf("mandate: retention: %w", err)
	}
	keep := make(map[string]bool, len(recent))
	for _, id := range recent {
		keep[id] = true
	}
	for _, id := range candidates {
		if keep[id] {
			continue
		}
		err := r.db.InTx(ctx, func(ctx context.Context) error {
			// A mandate signed after the check names a usager identified
			// since, whom Erase refuses (the transaction then rolls back);
			// none can be recent here.
			conn := r.db.Conn(ctx)
			if err := conn.Where("usager_id = ?", id).Delete(&permissionRow{}).Error; err != nil {
				return err
			}
			// One statement: renewals point to the mandates they renew.
			res := conn.Where("usager_id = ?", id).Delete(&mandateRow{})
			if res.Error != nil {
				return res.Error
			}
			return r.usagers.Erase(ctx, id, cutoff, map[string]string{
				"retention_days": fmt.Sprint(retentionDays), "mandates_deleted": fmt.Sprint(res.RowsAffected)})
		})
		switch {
		case errors.Is(err, usager.ErrNotErasable):
			continue
		case err != nil:
			return erased, "", fmt.Errorf("mandate: erase usager: %w", err)
		}
		erased++
	}
	return erased, next, nil
}
