package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"procura/db"
)

// Journal records and reads audit entries.
type Journal struct {
	db  *db.DB
	now func() time.Time
}

// New returns the journal of d; now is the clock entries are stamped with.
func New(d *db.DB, now func() time.Time) *Journal {
	return &Journal{db: d, now: now}
}

// ErrNoTransaction is returned by Record called outside db.InTx: an entry
// written on its own could commit without its act, or the act without it.
var ErrNoTransaction = errors.New("audit: Record must run inside the act's transaction")

// row is the audit_entries table.
type row struct {
	ID             int64 `gorm:"primaryKey"`
	OccurredAt     time.Time
	Action         string
	ActorKind      string
	ActorID        string
	OrganisationID string
	UsagerID       string
	MandateID      string
	PermissionID   string
	Procedure      string
	ClientID       string
	RequestID      string
	Details        string
}

func (row) TableName() string { return "audit_entries" }

// maxDetails bounds an entry's details, encoded.
const maxDetails = 8 << 10

// Record writes e in the transaction carried by ctx. Its time is the
// journal's clock and its request id the context's, unless already set.
// An error here must fail the act (fail closed).
func (j *Journal) Record(ctx context.Context, e Entry) error {
	if !db.InTransaction(ctx) {
		return ErrNoTransaction
	}
	if e.Action == "" || e.ActorKind == "" {
		return errors.New("audit: entry needs an action and an actor kind")
	}
	if e.Time.IsZero() {
		e.Time = j.now()
	}
	// Microseconds: what both engines store, so that the leaf hashed later
	// from the stored row is the entry recorded.
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	if e.RequestID == "" {
		e.RequestID = RequestID(ctx)
	}
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("audit: details: %w", err)
		}
	}
	if len(details) > maxDetails {
		// A small JSON of facts (DESIGN.md §6); the leaf must also fit an
		// entry bundle's 2-byte length (tiles.go).
		return fmt.Errorf("audit: details of %d bytes, at most %d", len(details), maxDetails)
	}
	r := row{
		OccurredAt: e.Time.UTC(), Action: string(e.Action), ActorKind: string(e.ActorKind), ActorID: e.ActorID,
		OrganisationID: e.OrganisationID, UsagerID: e.UsagerID, MandateID: e.MandateID, PermissionID: e.PermissionID,
		Procedure: e.Procedure, ClientID: e.ClientID, RequestID: e.RequestID, Details: string(details),
	}
	if err := j.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// Filter selects entries; empty fields match everything.
type Filter struct {
	OrganisationID string
	ActorID        string
	UsagerID       string
	Action         Action
	// AfterID continues a listing after the last id seen (keyset pagination).
	AfterID int64
	// Newest lists the newest entries first (AfterID is then ignored).
	Newest bool
	Limit  int
}

// List returns entries matching f in id order, or newest first with
// Newest.
func (j *Journal) List(ctx context.Context, f Filter) ([]Entry, error) {
	q := j.db.Conn(ctx).Model(&row{}).Order("id")
	if f.Newest {
		q = j.db.Conn(ctx).Model(&row{}).Order("id DESC")
	}
	if f.OrganisationID != "" {
		q = q.Where("organisation_id = ?", f.OrganisationID)
	}
	if f.ActorID != "" {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.UsagerID != "" {
		q = q.Where("usager_id = ?", f.UsagerID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", string(f.Action))
	}
	if f.AfterID > 0 && !f.Newest {
		q = q.Where("id > ?", f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var rows []row
	if err := q.Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	entries := make([]Entry, len(rows))
	for i, r := range rows {
		e, err := r.entry()
		if err != nil {
			return nil, err
		}
		entries[i] = e
	}
	return entries, nil
}

// entry reads r. Details are a JSON object of strings when written by
// Record; anything else (a row written by hand) is kept as its raw text
// under the key "_raw", so that the entry still has one canonical leaf and
// `procura audit verify` shows what was stored.
func (r row) entry() (Entry, error) {
	e := Entry{
		ID: r.ID, Time: r.OccurredAt.UTC(), Action: Action(r.Action), ActorKind: ActorKind(r.ActorKind), ActorID: r.ActorID,
		OrganisationID: r.OrganisationID, UsagerID: r.UsagerID, MandateID: r.MandateID, PermissionID: r.PermissionID,
		Procedure: r.Procedure, ClientID: r.ClientID, RequestID: r.RequestID,
	}
	if r.Details != "" && r.Details != "{}" {
		if err := json.Unmarshal([]byte(r.Details), &e.Details); err != nil {
			e.Details = map[string]string{"_raw": r.Details}
		}
	}
	return e, nil
}
