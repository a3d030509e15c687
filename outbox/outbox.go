// Package outbox sends Procura's email through a transactional outbox.
//
// Contract:
//   - A message is written by Enqueue in the transaction of the act that
//     causes it (Enqueue refuses to run outside one, as audit.Journal.Record
//     does): a rolled-back act leaves no message, a committed act always
//     leaves one.
//   - Enqueue is idempotent: a second message with the same Key adds
//     nothing. The Message-ID header is derived from the key, so a message
//     sent twice (see below) carries the same Message-ID both times.
//   - A Worker delivers due messages over SMTP, outside any act: the SMTP
//     server being down delays messages and never fails an act. A failed
//     attempt is retried with exponential backoff; a permanent refusal (SMTP
//     5xx) or the last attempt marks the message failed, with its error,
//     for the operator (`procura admin outbox list`).
//   - Several workers (instances) never send the same message at once: a
//     worker claims a message by moving its next_attempt_at forward by a
//     lease, in a transaction that locks the row (SELECT … FOR UPDATE SKIP
//     LOCKED on PostgreSQL; SQLite has one process and one connection).
//     The only duplicate left is a worker that dies after the SMTP server
//     accepted a message and before it recorded the fact: the message is
//     sent again when its lease ends, with the same Message-ID.
//   - Headers are set only through go-mail's typed setters, and Enqueue
//     refuses CR or LF in a subject or a name: no header can be injected.
package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"procura/db"
)

// Message is one email to send.
type Message struct {
	// Key makes Enqueue idempotent, e.g. "usager-notice:<usager>:<first act>".
	Key string
	// Kind names what the message is about, for the operator's listing.
	Kind    string
	To      string
	ToName  string
	Subject string
	// Text is the plain-text body; HTML, optional, its alternative.
	Text string
	HTML string
	// UsagerID names the usager the message is written to, if any: a
	// permanent refusal of the address is then reported (Worker.OnRefused).
	UsagerID string
	// Unsubscribe, optional, is the http(s) URL that stops such messages,
	// sent as List-Unsubscribe (RFC 2369), one-click when https (RFC 8058).
	Unsubscribe string
}

// Status is where a message stands.
type Status string

const (
	StatusPending Status = "pending"
	StatusSent    Status = "sent"
	StatusFailed  Status = "failed"
)

// Record is a stored message with its delivery state.
type Record struct {
	ID        string
	Message   Message
	CreatedAt time.Time
	Status    Status
	Attempts  int
	NextAt    time.Time
	LastError string
	SentAt    *time.Time
}

// Errors of Enqueue.
var (
	ErrNoTransaction = errors.New("outbox: Enqueue must run inside the act's transaction")
	ErrInvalid       = errors.New("outbox: invalid message")
)

// Outbox stores messages to send.
type Outbox struct {
	db  *db.DB
	now func() time.Time
}

// New returns the outbox of d; now is its clock.
func New(d *db.DB, now func() time.Time) *Outbox {
	return &Outbox{db: d, now: now}
}

// row is the outbox_messages table.
type row struct {
	ID              string `gorm:"primaryKey"`
	IdempotencyKey  string
	Kind            string
	Recipient       string
	RecipientName   string
	Subject         string
	TextBody        string
	HTMLBody        string `gorm:"column:html_body"`
	UsagerID        string
	ListUnsubscribe string
	CreatedAt       time.Time
	Status          string
	Attempts        int
	NextAttemptAt   time.Time
	LastError       string
	SentAt          *time.Time
}

func (row) TableName() string { return "outbox_messages" }

func (r row) record() Record {
	return Record{ID: r.ID, CreatedAt: r.CreatedAt, Status: Status(r.Status), Attempts: r.Attempts, NextAt: r.NextAttemptAt,
		LastError: r.LastError, SentAt: r.SentAt, Message: Message{Key: r.IdempotencyKey, Kind: r.Kind, To: r.Recipient,
			ToName: r.RecipientName, Subject: r.Subject, Text: r.TextBody, HTML: r.HTMLBody,
			UsagerID: r.UsagerID, Unsubscribe: r.ListUnsubscribe}}
}

// Validate checks m can be sent: an address, a subject and a body, and no
// line break where a header is built from it.
func (m Message) Validate() error {
	switch {
	case m.Key == "" || len(m.Key) > 200:
		return fmt.Errorf("%w: key must have 1 to 200 characters", ErrInvalid)
	case m.Kind == "":
		return fmt.Errorf("%w: no kind", ErrInvalid)
	case strings.TrimSpace(m.Subject) == "" || strings.TrimSpace(m.Text) == "":
		return fmt.Errorf("%w: subject and text are required", ErrInvalid)
	case strings.ContainsAny(m.Subject+m.ToName+m.To+m.Unsubscribe, "\r\n"):
		return fmt.Errorf("%w: line break in a header", ErrInvalid)
	}
	if m.Unsubscribe != "" {
		u, err := url.Parse(m.Unsubscribe)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(m.Unsubscribe, "<>, \t") {
			return fmt.Errorf("%w: the unsubscribe link is not an http(s) URL", ErrInvalid)
		}
	}
	a, err := mail.ParseAddress(m.To)
	if err != nil || a.Address != m.To {
		return fmt.Errorf("%w: recipient is not a bare email address", ErrInvalid)
	}
	return nil
}

// Enqueue writes m in the transaction carried by ctx. A message with the
// same key already stored makes it do nothing. Its error must fail the act.
func (o *Outbox) Enqueue(ctx context.Context, m Message) (id string, err error) {
	if !db.InTransaction(ctx) {
		return "", ErrNoTransaction
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	now := o.now().UTC()
	r := row{ID: uuid.NewString(), IdempotencyKey: m.Key, Kind: m.Kind, Recipient: m.To, RecipientName: m.ToName,
		Subject: m.Subject, TextBody: m.Text, HTMLBody: m.HTML, UsagerID: m.UsagerID, ListUnsubscribe: m.Unsubscribe,
		CreatedAt: now, Status: string(StatusPending), NextAttemptAt: now}
	res := o.db.Conn(ctx).Exec(`INSERT INTO outbox_messages (id, idempotency_key, kind, recipient, recipient_name, subject,
		text_body, html_body, usager_id, list_unsubscribe, created_at, status, attempts, next_attempt_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '') ON CONFLICT (idempotency_key) DO NOTHING`,
		r.ID, r.IdempotencyKey, r.Kind, r.Recipient, r.RecipientName, r.Subject, r.TextBody, r.HTMLBody, r.UsagerID, r.ListUnsubscribe,
		r.CreatedAt, r.Status, r.NextAttemptAt)
	if res.Error != nil {
		return "", fmt.Errorf("outbox: enqueue %s: %w", m.Kind, res.Error)
	}
	if res.RowsAffected == 0 {
		var existing row
		if err := o.db.Conn(ctx).Select("id").Where("idempotency_key = ?", m.Key).Take(&existing).Error; err != nil {
			return "", fmt.Errorf("outbox: enqueue %s: %w", m.Kind, err)
		}
		return existing.ID, nil
	}
	return r.ID, nil
}

// Filter selects messages for List.
type Filter struct {
	Status Status
	Limit  int
}

// List returns stored messages, newest first.
func (o *Outbox) List(ctx context.Context, f Filter) ([]Record, error) {
	q := o.db.Conn(ctx).Model(&row{}).Order("created_at DESC, id")
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var rows []row
	if err := q.Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	recs := make([]Record, len(rows))
	for i, r := range rows {
		recs[i] = r.record()
	}
	return recs, nil
}

// MessageID is the Message-ID header of the message with key key at
// domain: stable across retries (RFC 5322 §3.6.4).
func MessageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// ErrNotFailed answers Retry of a message that is not failed.
var ErrNotFailed = errors.New("outbox: no failed message with this id")

// Retry puts a failed message back in the queue, due now, with a fresh
// count of attempts: the operator's answer once the cause is fixed.
func (o *Outbox) Retry(ctx context.Context, id string) error {
	if !db.IsUUID(id) {
		return ErrNotFailed
	}
	res := o.db.Conn(ctx).Model(&row{}).Where("id = ? AND status = ?", id, string(StatusFailed)).
		Updates(map[string]any{"status": string(StatusPending), "attempts": 0, "next_attempt_at": o.now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("outbox: retry: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFailed
	}
	return nil
}

// Purge deletes up to limit messages sent or failed before before, with
// the notices they listed: a message holds a person's address and what was
// done in their name, kept no longer than the operator needs. It returns
// how many it deleted.
func (o *Outbox) Purge(ctx context.Context, before time.Time, limit int) (int64, error) {
	res := o.db.Conn(ctx).Exec(`DELETE FROM outbox_messages WHERE id IN (
		SELECT id FROM outbox_messages WHERE status IN (?, ?) AND created_at < ? ORDER BY created_at LIMIT ?)`,
		string(StatusSent), string(StatusFailed), before.UTC(), limit)
	if res.Error != nil {
		return 0, fmt.Errorf("outbox: purge: %w", res.Error)
	}
	return res.RowsAffected, nil
}
