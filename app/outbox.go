package app

import (
	"context"
	"time"

	"procura/devtools/mailcatcher"
	"procura/outbox"
)

// defaultOutboxEvery is how often an instance looks for messages to send
// unless cfg.OutboxInterval says otherwise: the outbox is polled more often
// than the other periodic jobs, so that a notice leaves within seconds of
// being due.
const defaultOutboxEvery = 5 * time.Second

// outboxWorker is the worker that delivers the outbox: through the
// configured SMTP server, through the mail catcher in `procura dev`, and
// none when `procura serve` has no SMTP server (messages wait).
func (a *App) outboxWorker() (*outbox.Worker, error) {
	var sender outbox.Sender
	switch s := a.Config.SMTP; {
	case a.Config.Dev && s.Host == "":
		sender = mailcatcher.Sender{Logger: a.Logger}
	case s.Host == "":
		return nil, nil
	default:
		smtp, err := outbox.NewSMTP(outbox.SMTPConfig{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password,
			From: s.From, FromName: s.FromName, StartTLS: outbox.StartTLS(s.StartTLS)})
		if err != nil {
			return nil, err
		}
		sender = smtp
	}
	return &outbox.Worker{Outbox: a.Outbox, Sender: sender, Logger: a.Logger, Before: a.Notices.Batch, OnRefused: a.Notices.Bounced}, nil
}

// deliverOutbox runs the outbox worker until ctx ends.
func (a *App) deliverOutbox(ctx context.Context, w *outbox.Worker) {
	every := a.Config.OutboxInterval
	if every <= 0 {
		every = defaultOutboxEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			start := time.Now()
			_, err := w.Deliver(ctx, 100)
			a.Metrics.Job("outbox", err, time.Since(start))
			if err != nil && ctx.Err() == nil {
				a.Logger.Error("outbox: deliver", "err", err)
			}
		}
	}
}
