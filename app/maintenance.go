package app

import (
	"context"
	"time"
)

// maintenanceEvery is how often a server runs its periodic jobs. Every job is
// idempotent, so several instances may run them at the same time.
const maintenanceEvery = 10 * time.Minute

// IntegrateEvery is how often the journal's sequencer integrates new
// entries and signs a checkpoint: DESIGN.md §10 asks an entry to be in a
// signed checkpoint within a second (p99).
const IntegrateEvery = 250 * time.Millisecond

// maintain runs the periodic jobs until ctx ends: integrating the journal's
// entries into its tree (every IntegrateEvery; one instance at a time),
// recording the expiry of mandates, deleting the sessions that ended
// without a sign-out.
func (a *App) maintain(ctx context.Context) {
	if a.Sequencer != nil {
		go a.Sequencer.Run(ctx, IntegrateEvery, a.Logger)
	}
	t := time.NewTicker(maintenanceEvery)
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
	for {
		n, err := a.Mandates.RecordExpiries(ctx, 500)
		if err != nil {
			a.Logger.Error("maintenance: record mandate expiries", "err", err)
			break
		}
		if n > 0 {
			a.Logger.Info("maintenance: recorded mandate expiries", "count", n)
		}
		if n < 500 {
			break
		}
	}
	n, err := a.Web.Sessions().PurgeExpired(ctx)
	if err != nil {
		a.Logger.Error("maintenance: purge sessions", "err", err)
		return
	}
	if n > 0 {
		a.Logger.Info("maintenance: purged ended sessions", "count", n)
	}
}
