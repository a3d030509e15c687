// Package notice tells usagers by email of what is done in their name, as
// the attestation of their mandate promises when they opted in.
//
// A delegated login under a mandate whose usager opted in is recorded as a
// pending notice, in the transaction of the login (Record refuses to run
// outside one): a login that rolls back leaves no notice, a committed one
// always leaves one. Batch, run by the outbox worker before each delivery
// round, turns each usager's pending notices into one message in the
// outbox, at most one an hour per usager, listing every act since the last
// one.
package notice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/mandate"
	"procura/outbox"
	"procura/usager"
)

// ErrNoTransaction is returned by Record called outside db.InTx.
var ErrNoTransaction = errors.New("notice: Record must run inside the act's transaction")

// Login is one delegated login the usager asked to be told of.
type Login struct {
	UsagerID       string
	OrganisationID string
	// Service is the service's name; Procedure the procedure's id.
	Service   string
	Procedure string
	At        time.Time
}

// Notices records and batches the usagers' notices.
type Notices struct {
	db        *db.DB
	journal   *audit.Journal
	outbox    *outbox.Outbox
	usagers   *usager.Registry
	directory *account.Directory
	// mandates finds the mandate a listed login was made under, for its
	// "Ce n'était pas moi" link (WithMandates).
	mandates *mandate.Registry
	links    *Links
	now      func() time.Time
	// baseURL is where the messages send the usager (their space).
	baseURL string
	// Every is the least time between two notices to one usager.
	Every time.Duration
}

// New returns the notices of d, written to o; links makes the links of the
// messages and says where they lead.
func New(d *db.DB, j *audit.Journal, o *outbox.Outbox, usagers *usager.Registry, directory *account.Directory, links *Links, now func() time.Time) *Notices {
	return &Notices{db: d, journal: j, outbox: o, usagers: usagers, directory: directory, links: links, baseURL: links.baseURL,
		now: now, Every: time.Hour}
}

// WithMandates lets the login notices link each act to its mandate's "Ce
// n'était pas moi" page, and returns n. Call it while wiring, before use.
func (n *Notices) WithMandates(m *mandate.Registry) *Notices {
	n.mandates = m
	return n
}

// Links returns the links of the messages, for the pages they open.
func (n *Notices) Links() *Links { return n.links }

// noticeRow is the usager_notices table.
type noticeRow struct {
	ID             int64 `gorm:"primaryKey"`
	UsagerID       string
	OccurredAt     time.Time
	OrganisationID string
	Service        string
	Procedure      string
	MessageID      *string
}

func (noticeRow) TableName() string { return "usager_notices" }

// Record writes a pending notice of l in the transaction carried by ctx:
// one INSERT. Its error must fail the login.
func (n *Notices) Record(ctx context.Context, l Login) error {
	if !db.InTransaction(ctx) {
		return ErrNoTransaction
	}
	if l.UsagerID == "" || l.OrganisationID == "" || l.Procedure == "" || l.At.IsZero() {
		return errors.New("notice: a login needs a usager, an organisation, a procedure and a time")
	}
	r := noticeRow{UsagerID: l.UsagerID, OccurredAt: l.At.UTC(), OrganisationID: l.OrganisationID, Service: l.Service, Procedure: l.Procedure}
	if err := n.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("notice: record login: %w", err)
	}
	return nil
}
