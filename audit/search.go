package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Query selects entries of the journal for reading by people: the manager
// space's journal, its export and the operator's `procura audit list`.
// Every field narrows the selection; an empty field matches everything.
// Entries come newest first (id order, descending), a page continuing
// below the last id seen (keyset pagination, never OFFSET).
type Query struct {
	// OrganisationID scopes the query; it is required unless
	// AllOrganisations is set (the operator's reading).
	OrganisationID   string
	AllOrganisations bool
	// ActorID is the account (aidant or manager) that acted.
	ActorID string
	// UsagerIDs, when not nil, keeps the entries of these usagers only: an
	// empty non-nil list matches nothing (a name search that found nobody).
	UsagerIDs []string
	Procedure string
	ClientID  string
	Action    Action
	// From and To bound the time of the act: From ≤ time < To.
	From, To time.Time
	// BeforeID continues a listing below the last id seen.
	BeforeID int64
	// Limit bounds a page (Search); Each ignores it unless positive.
	Limit int
}

// ErrUnscoped is a query naming no organisation without saying it means
// all of them: a reader of one organisation must never see another's.
var ErrUnscoped = errors.New("audit: query needs an organisation or AllOrganisations")

// MaxPage is the largest page Search returns.
const MaxPage = 500

// Search returns one page of the entries q selects, newest first.
func (j *Journal) Search(ctx context.Context, q Query) ([]Entry, error) {
	if q.Limit <= 0 || q.Limit > MaxPage {
		q.Limit = MaxPage
	}
	var out []Entry
	err := j.Each(ctx, q, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// Each calls fn with every entry q selects, newest first, as the rows are
// read: memory stays constant whatever the number of entries (the
// export). An error of fn stops the reading and is returned.
func (j *Journal) Each(ctx context.Context, q Query, fn func(Entry) error) error {
	if q.OrganisationID == "" && !q.AllOrganisations {
		return ErrUnscoped
	}
	if q.UsagerIDs != nil && len(q.UsagerIDs) == 0 {
		return nil
	}
	conn := j.db.Conn(ctx)
	low, high, err := j.idBounds(conn, q)
	if err != nil {
		return err
	}
	sel := j.selection(conn, q)
	if low > 0 {
		sel = sel.Where("id > ?", low)
	}
	if high > 0 {
		sel = sel.Where("id < ?", high)
	}
	rows, err := sel.Rows()
	if err != nil {
		return fmt.Errorf("audit: search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		if err := conn.ScanRows(rows, &r); err != nil {
			return fmt.Errorf("audit: search: %w", err)
		}
		e, err := r.entry()
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: search: %w", err)
	}
	return nil
}

// selection is q as SQL. Each equality filter and the organisation lead an
// index ending in id (migration 0011), so that a page is read from the
// newest matching entry down, and stops at Limit.
func (j *Journal) selection(conn *gorm.DB, q Query) *gorm.DB {
	s := conn.Model(&row{}).Select("id, occurred_at, action, actor_kind, actor_id, organisation_id, usager_id, mandate_id, " +
		"permission_id, procedure, client_id, request_id, details").Order("id DESC")
	if q.OrganisationID != "" {
		s = s.Where("organisation_id = ?", q.OrganisationID)
	}
	if q.ActorID != "" {
		s = s.Where("actor_id = ?", q.ActorID)
	}
	switch len(q.UsagerIDs) {
	case 0:
	case 1:
		s = s.Where("usager_id = ?", q.UsagerIDs[0])
	default:
		s = s.Where("usager_id IN ?", q.UsagerIDs)
	}
	if q.Procedure != "" {
		s = s.Where("procedure = ?", q.Procedure)
	}
	if q.ClientID != "" {
		s = s.Where("client_id = ?", q.ClientID)
	}
	if q.Action != "" {
		s = s.Where("action = ?", string(q.Action))
	}
	if !q.From.IsZero() {
		s = s.Where("occurred_at >= ?", q.From.UTC())
	}
	if !q.To.IsZero() {
		s = s.Where("occurred_at < ?", q.To.UTC())
	}
	if q.BeforeID > 0 {
		s = s.Where("id < ?", q.BeforeID)
	}
	if q.Limit > 0 {
		s = s.Limit(q.Limit)
	}
	return s
}

// idTimeMargin is how far apart in time two entries must be for their ids
// to be in the same order. An entry's time is the journal's clock when
// Record runs, and its id is drawn by the INSERT that follows at once, so
// ids and times agree within the clock skew of the servers and the
// length of a statement: an hour is far beyond both.
const idTimeMargin = time.Hour

// idBounds turns a date range of an organisation's query into an id range
// that contains every entry of the date range: the ids below the first
// entry recorded idTimeMargin after To, above the last entry recorded
// idTimeMargin before From (0: no bound). The query keeps its exact
// condition on the time; the bounds only let a page be read backwards
// from the right place of (organisation_id, id), instead of sorting all the
// entries of a range that may hold a busy organisation's month.
func (j *Journal) idBounds(conn *gorm.DB, q Query) (low, high int64, err error) {
	if q.OrganisationID == "" {
		return 0, 0, nil
	}
	if !q.To.IsZero() {
		var ids []int64
		if err := conn.Model(&row{}).Select("id").Where("organisation_id = ? AND occurred_at >= ?", q.OrganisationID,
			q.To.Add(idTimeMargin).UTC()).Order("occurred_at, id").Limit(1).Scan(&ids).Error; err != nil {
			return 0, 0, fmt.Errorf("audit: search bounds: %w", err)
		}
		if len(ids) == 1 {
			high = ids[0]
		}
	}
	if !q.From.IsZero() {
		var ids []int64
		if err := conn.Model(&row{}).Select("id").Where("organisation_id = ? AND occurred_at < ?", q.OrganisationID,
			q.From.Add(-idTimeMargin).UTC()).Order("occurred_at DESC, id DESC").Limit(1).Scan(&ids).Error; err != nil {
			return 0, 0, fmt.Errorf("audit: search bounds: %w", err)
		}
		if len(ids) == 1 {
			low = ids[0]
		}
	}
	return low, high, nil
}

// ErrEntryNotFound is an id that names no entry.
var ErrEntryNotFound = errors.New("audit: no such entry")

// Entry returns the entry with this id, whatever its organisation: the
// caller checks that its reader may see it.
func (j *Journal) Entry(ctx context.Context, id int64) (Entry, error) {
	var r row
	err := j.db.Conn(ctx).Model(&row{}).Where("id = ?", id).Limit(1).Find(&r).Error
	if err != nil {
		return Entry{}, fmt.Errorf("audit: entry %d: %w", id, err)
	}
	if r.ID == 0 {
		return Entry{}, ErrEntryNotFound
	}
	return r.entry()
}
