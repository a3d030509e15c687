package app

import (
	"context"
	"time"

	"procura/mandate"
	"procura/oversight"
)

// defaultMaintenanceEvery is how often a server runs its periodic jobs
// unless cfg.MaintenanceInterval says otherwise. Every job is idempotent,
// so several instances may run them at the same time.
const defaultMaintenanceEvery = 10 * time.Minute

// IntegrateEvery is how often the journal's sequencer integrates new
// entries and signs a checkpoint: DESIGN.md §10 asks an entry to be in a
// signed checkpoint within a second (p99).
const IntegrateEvery = 250 * time.Millisecond

// maintain runs the periodic jobs until ctx ends: integrating the journal's
// entries into its tree (every IntegrateEvery; one instance at a time),
// recording the expiry of mandates, the retention purge, the statistics'
// day counts of the journal, the managers' alerts, deleting the sessions
// that ended without a sign-out.
func (a *App) maintain(ctx context.Context) {
	if a.Sequencer != nil {
		go a.Sequencer.Run(ctx, IntegrateEvery, a.Logger)
	}
	every := a.Config.MaintenanceInterval
	if every <= 0 {
		every = defaultMaintenanceEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.runMaintenance(ctx)
		}
	}
}

func (a *App) runMaintenance(ctx context.Context) {
	for _, job := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"mandate_expiries", a.recordExpiries},
		{"retention", a.eraseExpiredIdentities},
		{"journal_rollup", a.rollUpJournal},
		{"manager_alerts", a.raiseAlerts},
		{"outbox_purge", a.purgeOutbox},
		{"expiry_reminders", a.remindExpiries},
		{"password_reset_purge", a.purgePasswordResets},
		{"session_purge", a.purgeSessions},
	} {
		start := time.Now()
		err := job.run(ctx)
		a.Metrics.Job(job.name, err, time.Since(start))
	}
}

// inBatches runs batch, which handles at most limit items and says how
// many, until a batch handles fewer: a periodic job over a backlog of any
// size. It logs what each batch did, or its error, as what.
func (a *App) inBatches(ctx context.Context, what string, limit int, batch func(context.Context, int) (int, error)) error {
	for {
		n, err := batch(ctx, limit)
		if err != nil {
			a.Logger.Error("maintenance: "+what, "err", err)
			return err
		}
		if n > 0 {
			a.Logger.Info("maintenance: "+what, "count", n)
		}
		if n < limit {
			return nil
		}
	}
}

// purgeSessions erases the ended sessions' data and deletes their bare
// rows a day later.
func (a *App) purgeSessions(ctx context.Context) error {
	n, err := a.Sessions.PurgeExpired(ctx)
	if err != nil {
		a.Logger.Error("maintenance: purge sessions", "err", err)
		return err
	}
	if n > 0 {
		a.Logger.Info("maintenance: purged ended sessions", "count", n)
	}
	return nil
}

// outboxKeep is how long a sent or failed message stays in the outbox:
// long enough for the operator to look into a failure, no longer, since it
// holds a person's address and what was done in their name.
const outboxKeep = 30 * 24 * time.Hour

// purgeOutbox deletes the messages older than outboxKeep, by batches.
func (a *App) purgeOutbox(ctx context.Context) error {
	return a.inBatches(ctx, "purge old email", 500, func(ctx context.Context, limit int) (int, error) {
		n, err := a.Outbox.Purge(ctx, a.Now().Add(-outboxKeep), limit)
		return int(n), err
	})
}

// recordExpiries records the expiry of every mandate whose time has come,
// by batches.
func (a *App) recordExpiries(ctx context.Context) error {
	return a.inBatches(ctx, "record mandate expiries", 500, a.Mandates.RecordExpiries)
}

// eraseExpiredIdentities runs the retention purge (PROCURA_RETENTION_DAYS)
// by batches.
func (a *App) eraseExpiredIdentities(ctx context.Context) error {
	days := a.Config.RetentionDays
	if days == 0 {
		days = mandate.MinRetentionDays
	}
	after := ""
	for {
		n, next, err := a.Mandates.EraseExpiredIdentities(ctx, days, 200, after)
		if err != nil {
			a.Logger.Error("maintenance: retention", "err", err)
			return err
		}
		if n > 0 {
			a.Logger.Info("maintenance: erased identities past retention", "count", n)
		}
		if next == "" {
			return nil
		}
		after = next
	}
}

// rollUpJournal counts the journal's new entries by day for the managers'
// statistics (audit.Journal.RollUp, days in Europe/Paris).
func (a *App) rollUpJournal(ctx context.Context) error {
	paris, err := mandate.Paris()
	if err != nil {
		return err
	}
	n, err := a.Journal.RollUp(ctx, paris)
	if err != nil {
		a.Logger.Error("maintenance: journal rollup", "err", err)
		return err
	}
	if n > 0 {
		a.Logger.Info("maintenance: journal entries counted by day", "count", n)
	}
	return nil
}

// raiseAlerts computes the managers' alerts (oversight.Watch), after the
// rollup so that they count from fresh day counts, and writes their email
// digests to the outbox.
func (a *App) raiseAlerts(ctx context.Context) error {
	paris, err := mandate.Paris()
	if err != nil {
		return err
	}
	w := oversight.NewWatch(a.DB, a.Journal, a.Directory, a.Mandates, a.Outbox, a.Config.BaseURL, paris, a.Now)
	rep, err := w.Run(ctx)
	if err != nil {
		a.Logger.Error("maintenance: manager alerts", "err", err)
		return err
	}
	if rep.Raised > 0 {
		a.Logger.Info("maintenance: manager alerts raised", "alerts", rep.Raised, "digests", rep.Digests)
	}
	return nil
}
