package mandate

import (
	"context"
	"errors"
	"fmt"

	"procura/usager"
)

// EraseExpiredIdentities is the retention purge (DESIGN.md §4): the
// usagers last identified more than retentionDays ago, and none of whose
// mandates (in any organisation) is active or ended within that time, have
// their identity erased (usager.Registry.Erase) and the FranceConnect ID
// tokens of their mandates removed, one transaction and one audited act per
// usager. The mandates keep the tokens' hashes, which their signatures
// cover, so they still verify; the journal, which names usagers by
// pseudonym, stays whole. It looks at up to limit candidates after the
// usager id after ("" to start), and returns how many it erased and where
// to go on ("" when done). Several instances may run it at once.
func (r *Registry) EraseExpiredIdentities(ctx context.Context, retentionDays, limit int, after string) (erased int, next string, err error) {
	if retentionDays < 1 {
		return 0, "", errors.New("mandate: retention must be at least one day")
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
			if err := r.usagers.Erase(ctx, id, cutoff, retentionDays); err != nil {
				return err
			}
			// A mandate signed after the check names a usager identified
			// since, whom Erase refused; none can be recent here.
			return r.db.Conn(ctx).Model(&mandateRow{}).Where("usager_id = ?", id).Update("fc_id_token", "").Error
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
