package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm/clause"

	"procura/db"
)

// Sender hands one message to a mail server. A PermanentError means
// retrying cannot help.
type Sender interface {
	Send(ctx context.Context, id string, m Message) error
}

// PermanentError wraps a refusal that retrying cannot change (an SMTP 5xx
// reply, an address the library refuses).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Worker delivers the outbox's due messages through a Sender.
type Worker struct {
	Outbox *Outbox
	Sender Sender
	Logger *slog.Logger
	// MaxAttempts is how many attempts a message gets before it is marked
	// failed (default 8: retries over about four hours).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each other one up to MaxBackoff (defaults 1 minute and 1 hour).
	Backoff, MaxBackoff time.Duration
	// Lease is how long a claimed message is kept from other workers; it
	// must exceed the Sender's timeout (default 5 minutes).
	Lease time.Duration
	// Before, if set, runs before each round of Deliver (the usager notices
	// are batched into messages there); its error is logged, not returned.
	Before func(ctx context.Context) error
	// OnRefused, if set, is told of a message to a usager (Message.UsagerID)
	// whose address the server refused for good, after it is marked failed:
	// the usager's address is marked (notice.Notices.Bounced). Its error is
	// logged.
	OnRefused func(ctx context.Context, m Message) error
}

// Deliver sends the messages due now, at most limit of them, and returns
// how many were sent. A send failure is recorded on its message, not
// returned: only store errors are.
func (w *Worker) Deliver(ctx context.Context, limit int) (sent int, err error) {
	if w.Before != nil {
		// A message that cannot be composed must not hold back the ones
		// already written: the failure is logged and delivery goes on.
		if err := w.Before(ctx); err != nil {
			w.logger().Error("outbox: compose messages", "err", err)
		}
	}
	for range limit {
		r, ok, err := w.claim(ctx)
		if err != nil || !ok {
			return sent, err
		}
		sendErr := w.Sender.Send(ctx, r.ID, r.record().Message)
		if err := w.settle(ctx, r, sendErr); err != nil {
			return sent, err
		}
		if sendErr == nil {
			sent++
		}
	}
	return sent, nil
}

// claim takes the oldest due message and moves it out of reach of other
// workers for the lease, counting the attempt.
func (w *Worker) claim(ctx context.Context) (row, bool, error) {
	o := w.Outbox
	var r row
	found := false
	err := o.db.InTx(ctx, func(ctx context.Context) error {
		now := o.now().UTC()
		q := o.db.Conn(ctx).Where("status = ? AND next_attempt_at <= ?", string(StatusPending), now).
			Order("next_attempt_at, id").Limit(1)
		if o.db.Dialect == db.Postgres {
			// A row another worker is claiming is passed over, not waited for.
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		res := q.Find(&r)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		found = true
		r.Attempts++
		r.NextAttemptAt = now.Add(orDefault(w.Lease, 5*time.Minute))
		return o.db.Conn(ctx).Model(&row{}).Where("id = ?", r.ID).
			Updates(map[string]any{"attempts": r.Attempts, "next_attempt_at": r.NextAttemptAt}).Error
	})
	if err != nil {
		return row{}, false, fmt.Errorf("outbox: claim: %w", err)
	}
	return r, found, nil
}

// settle records the outcome of the attempt on r. The update is guarded by
// the attempt count: a worker whose lease ran out does not overwrite the
// next worker's outcome.
func (w *Worker) settle(ctx context.Context, r row, sendErr error) error {
	o := w.Outbox
	now := o.now().UTC()
	set := map[string]any{}
	var perm *PermanentError
	refused := false
	switch {
	case sendErr == nil:
		set["status"], set["sent_at"], set["last_error"] = string(StatusSent), now, ""
	case errors.As(sendErr, &perm) || r.Attempts >= orDefault(w.MaxAttempts, 8):
		set["status"], set["last_error"] = string(StatusFailed), truncate(sendErr.Error())
		refused = perm != nil && r.UsagerID != "" && w.OnRefused != nil
		w.logger().Error("outbox: message failed for good", "id", r.ID, "kind", r.Kind, "attempts", r.Attempts, "err", sendErr)
	default:
		set["next_attempt_at"], set["last_error"] = now.Add(w.backoff(r.Attempts)), truncate(sendErr.Error())
		w.logger().Warn("outbox: send failed, will retry", "id", r.ID, "kind", r.Kind, "attempts", r.Attempts, "err", sendErr)
	}
	err := o.db.Conn(ctx).Model(&row{}).Where("id = ? AND attempts = ? AND status = ?", r.ID, r.Attempts, string(StatusPending)).
		Updates(set).Error
	if err != nil {
		return fmt.Errorf("outbox: record attempt: %w", err)
	}
	if refused {
		if err := w.OnRefused(ctx, r.record().Message); err != nil {
			w.logger().Error("outbox: mark a refused address", "id", r.ID, "err", err)
		}
	}
	return nil
}

// backoff is the wait after the attempt-th failed attempt.
func (w *Worker) backoff(attempt int) time.Duration {
	d, ceiling := orDefault(w.Backoff, time.Minute), orDefault(w.MaxBackoff, time.Hour)
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// truncate keeps an error short enough for the operator's listing.
func truncate(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
