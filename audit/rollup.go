package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"procura/db"
)

// The statistics of the manager space count an organisation's acts per
// day; counting the journal itself costs a read of every entry counted
// (hundreds of milliseconds for a busy organisation's year). RollUp keeps
// per-day counts in audit_daily_counts: the entries up to a watermark id
// are counted there, the ones above it are counted from the journal when
// asked (DailyCounts adds both).
//
// Contract: a day is a calendar day in the location given to RollUp and
// DailyCounts (always the same one: Europe/Paris); only the actions of
// RolledUpActions are counted; an entry is rolled up once it is older
// than rollupLag, so an act's transaction still open that long after
// writing its entry would be missed by the statistics (never by the
// journal): acts' transactions last milliseconds.

// RolledUpActions are the actions the statistics count.
var RolledUpActions = []Action{ActionDelegatedLoginAuthorised, ActionDelegatedLoginRefused, ActionMandateCreated,
	ActionMandateRenewed, ActionMandateRevoked, ActionMandateExpired}

const (
	rollupLag   = 10 * time.Minute
	rollupBatch = 20000
)

// The groupings of audit_daily_counts.by_column.
const (
	ByNone      = ""
	ByProcedure = "procedure"
	ByActor     = "actor_id"
)

// DailyQuery counts an organisation's entries of some actions from the day
// of Since, by day (Daily) or over the whole period, and by action and
// the By column.
type DailyQuery struct {
	OrganisationID string
	Actions        []Action
	Since          time.Time
	By             string
	Daily          bool
	Location       *time.Location
}

// DayCount is one group of a DailyQuery; Day is midnight in the query's
// location, zero unless Daily.
type DayCount struct {
	Day    time.Time
	Action Action
	Key    string
	N      int64
}

type countKey struct {
	org, action, by, key, day string
}

// RollUp counts the entries above the watermark and older than rollupLag
// into audit_daily_counts, by batches of rollupBatch, each in its own
// transaction that moves the watermark; several instances may run it at
// once (the watermark row is locked). It returns how many entries it read.
func (j *Journal) RollUp(ctx context.Context, loc *time.Location) (int, error) {
	total := 0
	for {
		n, err := j.rollUpBatch(ctx, loc)
		total += n
		if err != nil || n < rollupBatch {
			return total, err
		}
	}
}

func (j *Journal) rollUpBatch(ctx context.Context, loc *time.Location) (int, error) {
	read := 0
	err := j.db.InTx(ctx, func(ctx context.Context) error {
		conn := j.db.Conn(ctx)
		lock := "SELECT last_id FROM audit_rollup WHERE id = 1"
		if j.db.Dialect == db.Postgres {
			lock += " FOR UPDATE"
		}
		var last []int64
		if err := conn.Raw(lock).Scan(&last).Error; err != nil {
			return fmt.Errorf("audit: rollup watermark: %w", err)
		}
		if len(last) == 0 {
			if err := conn.Exec("INSERT INTO audit_rollup (id, last_id) VALUES (1, 0)").Error; err != nil {
				return fmt.Errorf("audit: rollup watermark: %w", err)
			}
			last = []int64{0}
		}
		var rows []struct {
			ID             int64
			OccurredAt     time.Time
			Action         string
			OrganisationID string
			Procedure      string
			ActorID        string
		}
		err := conn.Model(&row{}).Select("id, occurred_at, action, organisation_id, procedure, actor_id").
			Where("id > ?", last[0]).Order("id").Limit(rollupBatch).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("audit: rollup read: %w", err)
		}
		// Stop at the first entry too recent: the watermark never passes
		// an entry that is not counted.
		cutoff := j.now().Add(-rollupLag)
		for i, r := range rows {
			if !r.OccurredAt.Before(cutoff) {
				rows = rows[:i]
				break
			}
		}
		read = len(rows)
		if read == 0 {
			return nil
		}
		counts := map[countKey]int64{}
		for _, r := range rows {
			if r.OrganisationID == "" || !rolledUp(Action(r.Action)) {
				continue
			}
			day := r.OccurredAt.In(loc).Format(time.DateOnly)
			counts[countKey{r.OrganisationID, r.Action, ByNone, "", day}]++
			counts[countKey{r.OrganisationID, r.Action, ByProcedure, r.Procedure, day}]++
			counts[countKey{r.OrganisationID, r.Action, ByActor, r.ActorID, day}]++
		}
		if err := addCounts(conn, counts); err != nil {
			return err
		}
		if err := conn.Exec("UPDATE audit_rollup SET last_id = ? WHERE id = 1", rows[len(rows)-1].ID).Error; err != nil {
			return fmt.Errorf("audit: rollup watermark: %w", err)
		}
		return nil
	})
	return read, err
}

// addCounts adds counts to audit_daily_counts, 500 rows a statement.
func addCounts(conn *gorm.DB, counts map[countKey]int64) error {
	const chunk = 500
	var values []string
	var args []any
	flush := func() error {
		if len(values) == 0 {
			return nil
		}
		err := conn.Exec("INSERT INTO audit_daily_counts (organisation_id, action, by_column, key, day, n) VALUES "+strings.Join(values, ", ")+
			" ON CONFLICT (organisation_id, action, by_column, day, key) DO UPDATE SET n = audit_daily_counts.n + excluded.n", args...).Error
		values, args = values[:0], args[:0]
		if err != nil {
			return fmt.Errorf("audit: rollup write: %w", err)
		}
		return nil
	}
	for k, n := range counts {
		values = append(values, "(?, ?, ?, ?, ?, ?)")
		args = append(args, k.org, k.action, k.by, k.key, k.day, n)
		if len(values) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func rolledUp(a Action) bool {
	for _, r := range RolledUpActions {
		if r == a {
			return true
		}
	}
	return false
}

// DailyCounts answers q from the rolled-up counts and the entries above
// the watermark.
func (j *Journal) DailyCounts(ctx context.Context, q DailyQuery) ([]DayCount, error) {
	if q.OrganisationID == "" {
		return nil, ErrUnscoped
	}
	if q.By != ByNone && q.By != ByProcedure && q.By != ByActor {
		return nil, fmt.Errorf("audit: counts by %q", q.By)
	}
	for _, a := range q.Actions {
		if !rolledUp(a) {
			return nil, fmt.Errorf("audit: %s is not counted by day", a)
		}
	}
	actions := make([]string, len(q.Actions))
	for i, a := range q.Actions {
		actions[i] = string(a)
	}
	since := q.Since.In(q.Location)
	sinceDay := since.Format(time.DateOnly)
	var last int64
	var out []DayCount
	err := j.db.InTx(ctx, func(ctx context.Context) error {
		conn := j.db.Conn(ctx)
		// One snapshot: the watermark and the counts it covers commit
		// together, and a rollup committing between two of the reads below
		// would count its entries twice. SQLite's read transaction is one
		// snapshot already.
		if j.db.Dialect == db.Postgres {
			if err := conn.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").Error; err != nil {
				return fmt.Errorf("audit: counts snapshot: %w", err)
			}
		}
		var ws []int64
		if err := conn.Raw("SELECT last_id FROM audit_rollup WHERE id = 1").Scan(&ws).Error; err != nil {
			return fmt.Errorf("audit: counts watermark: %w", err)
		}
		if len(ws) > 0 {
			last = ws[0]
		}
		group, sel := "action, key", "'' AS day, action, key, SUM(n) AS n"
		if q.Daily {
			group, sel = "day, action, key", "day, action, key, SUM(n) AS n"
		}
		var rows []struct {
			Day, Action, Key string
			N                int64
		}
		if err := conn.Table("audit_daily_counts").Select(sel).
			Where("organisation_id = ? AND by_column = ? AND action IN ? AND day >= ?", q.OrganisationID, q.By, actions, sinceDay).
			Group(group).Scan(&rows).Error; err != nil {
			return fmt.Errorf("audit: daily counts: %w", err)
		}
		merged := map[countKey]int64{}
		for _, r := range rows {
			merged[countKey{action: r.Action, key: r.Key, day: r.Day}] += r.N
		}
		// The entries above the watermark, from the journal.
		var recent []struct {
			OccurredAt time.Time
			Action     string
			Key        string
		}
		key := "''"
		if q.By != ByNone {
			key = q.By
		}
		if err := conn.Model(&row{}).Select("occurred_at, action, "+key+" AS key").
			Where("organisation_id = ? AND id > ? AND action IN ? AND occurred_at >= ?", q.OrganisationID, last, actions, since.UTC()).
			Scan(&recent).Error; err != nil {
			return fmt.Errorf("audit: recent counts: %w", err)
		}
		for _, r := range recent {
			k := countKey{action: r.Action, key: r.Key}
			if q.Daily {
				k.day = r.OccurredAt.In(q.Location).Format(time.DateOnly)
			}
			merged[k]++
		}
		for k, n := range merged {
			c := DayCount{Action: Action(k.action), Key: k.key, N: n}
			if q.Daily {
				d, err := time.ParseInLocation(time.DateOnly, k.day, q.Location)
				if err != nil {
					return fmt.Errorf("audit: daily counts: day %q: %w", k.day, err)
				}
				c.Day = d
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}
