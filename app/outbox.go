package app

import (
	"context"
	"errors"
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
	return &outbox.Worker{Outbox: a.Outbox, Sender: sender, Logger: a.Logger, Before: a.composeMessages, OnRefused: a.Notices.Bounced}, nil
}

// composeMessages writes the messages that are composed outside the act
// that causes them, before each delivery round: the answers to "Mot de
// passe oublié" (account.Directory.RequestPasswordReset says why) and the
// usagers' batched login notices.
func (a *App) composeMessages(ctx context.Context) error {
	_, err := a.Directory.ProcessPasswordResetRequests(ctx, 100)
	return errors.Join(err, a.Notices.Batch(ctx))
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

// remindExpiries writes the expiry reminders due: mandates to their usagers
// who asked to be told, habilitations to their aidants (by batches).
func (a *App) remindExpiries(ctx context.Context) error {
	if err := a.inBatches(ctx, "mandate expiry reminders", 200, a.Mandates.RemindExpiries); err != nil {
		return err
	}
	return a.inBatches(ctx, "habilitation expiry reminders", 200, func(ctx context.Context, limit int) (int, error) {
		return a.Directory.RemindHabilitationExpiries(ctx, limit, a.Notices.HabilitationEnding)
	})
}

// purgePasswordResets deletes the expired recovery links, by batches.
func (a *App) purgePasswordResets(ctx context.Context) error {
	return a.inBatches(ctx, "purge password resets", 500, func(ctx context.Context, limit int) (int, error) {
		n, err := a.Directory.PurgePasswordResets(ctx, limit)
		return int(n), err
	})
}
