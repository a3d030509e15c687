package audit

import (
	"context"
	"fmt"
	"time"

	"procura/db"
)

// CountQuery counts an organisation's entries of some actions since a
// time, grouped by action and by one column, and by hour when Hourly.
// Hours are UTC: whoever shows them groups them in their time zone (a
// Paris week or month starts at 23:00 or 22:00 UTC).
type CountQuery struct {
	OrganisationID string
	Actions        []Action
	Since          time.Time
	// By is the grouping column: "" (none), "procedure" or "actor_id".
	By     string
	Hourly bool
}

// Count is one group of a CountQuery.
type Count struct {
	Hour   time.Time // zero unless Hourly
	Action Action
	Key    string
	N      int64
}

// Counts answers q. The index (organisation_id, action, occurred_at) of
// migration 0010 serves it (on PostgreSQL with procedure and actor_id
// included, so the heap is not read).
func (j *Journal) Counts(ctx context.Context, q CountQuery) ([]Count, error) {
	if q.OrganisationID == "" {
		return nil, ErrUnscoped
	}
	key := "''"
	switch q.By {
	case "":
	case "procedure", "actor_id":
		key = q.By
	default:
		return nil, fmt.Errorf("audit: counts by %q", q.By)
	}
	hour := "''"
	if q.Hourly {
		hour = "strftime('%Y-%m-%d %H:00:00', occurred_at)"
		if j.db.Dialect == db.Postgres {
			hour = "to_char(date_trunc('hour', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:00:00')"
		}
	}
	actions := make([]string, len(q.Actions))
	for i, a := range q.Actions {
		actions[i] = string(a)
	}
	var rows []struct {
		Hour   string
		Action string
		Key    string
		N      int64
	}
	err := j.db.Conn(ctx).Model(&row{}).
		Select(hour+" AS hour, action, "+key+" AS key, COUNT(*) AS n").
		Where("organisation_id = ? AND action IN ? AND occurred_at >= ?", q.OrganisationID, actions, q.Since.UTC()).
		Group("1, 2, 3").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("audit: counts: %w", err)
	}
	out := make([]Count, len(rows))
	for i, r := range rows {
		out[i] = Count{Action: Action(r.Action), Key: r.Key, N: r.N}
		if q.Hourly {
			if out[i].Hour, err = time.Parse(time.DateTime, r.Hour); err != nil {
				return nil, fmt.Errorf("audit: counts: hour %q: %w", r.Hour, err)
			}
		}
	}
	return out, nil
}
