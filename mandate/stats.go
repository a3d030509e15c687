package mandate

import (
	"context"
	"fmt"
	"time"
)

// OrganisationCounts are the manager dashboard's figures about mandates.
type OrganisationCounts struct {
	Active int64
	// Expiring are active mandates that end within 30 days.
	Expiring int64
}

// CountMandates counts the organisation's active mandates at now, and
// those of them that expire within 30 days, in one query.
func (r *Registry) CountMandates(ctx context.Context, organisationID string, now time.Time) (OrganisationCounts, error) {
	var c OrganisationCounts
	err := r.db.Conn(ctx).Raw(`SELECT COUNT(*) AS active, COALESCE(SUM(CASE WHEN expires_at <= ? THEN 1 ELSE 0 END), 0) AS expiring
		FROM mandates WHERE organisation_id = ? AND revoked_at IS NULL AND expires_at > ?`,
		now.AddDate(0, 0, 30).UTC(), organisationID, now.UTC()).Scan(&c).Error
	if err != nil {
		return OrganisationCounts{}, fmt.Errorf("mandate: count: %w", err)
	}
	return c, nil
}

// ActivePermissionsByProcedure counts the organisation's usable
// permissions per procedure at now: what narrowing its allowed procedures
// leaves in place.
func (r *Registry) ActivePermissionsByProcedure(ctx context.Context, organisationID string, now time.Time) (map[string]int64, error) {
	var rows []struct {
		Procedure string
		N         int64
	}
	err := r.db.Conn(ctx).Raw(`SELECT procedure, COUNT(*) AS n FROM permissions
		WHERE organisation_id = ? AND ended_at IS NULL AND expires_at > ? GROUP BY procedure`, organisationID, now.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("mandate: count permissions: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, row := range rows {
		out[row.Procedure] = row.N
	}
	return out, nil
}
