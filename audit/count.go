package audit

import (
	"context"
	"fmt"
	"time"
)

// CountSince counts the organisation's entries of one action recorded at
// or after since (the manager dashboard's delegated logins of the week).
func (j *Journal) CountSince(ctx context.Context, organisationID string, action Action, since time.Time) (int64, error) {
	var n int64
	err := j.db.Conn(ctx).Model(&row{}).Where("organisation_id = ? AND action = ? AND occurred_at >= ?", organisationID, string(action), since.UTC()).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("audit: count: %w", err)
	}
	return n, nil
}
