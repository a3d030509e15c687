package mandate

import (
	"context"
	"fmt"
	"time"
)

// CountExpiring counts, per organisation, the mandates in force that end
// in [from, to): not revoked, and given for more than a day (a one-day
// mandate ends as it was meant to, nobody needs telling). One query for
// every organisation (the managers' alerts, package oversight).
func (r *Registry) CountExpiring(ctx context.Context, from, to time.Time) (map[string]int64, error) {
	var rows []struct {
		OrganisationID string
		N              int64
	}
	err := r.db.Conn(ctx).Raw(`SELECT organisation_id, COUNT(*) AS n FROM mandates
		WHERE revoked_at IS NULL AND expiry_recorded_at IS NULL AND duration_days > 1 AND expires_at >= ? AND expires_at < ?
		GROUP BY organisation_id`, from.UTC(), to.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("mandate: count expiring: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, row := range rows {
		out[row.OrganisationID] = row.N
	}
	return out, nil
}
