package oversight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/mandate"
	"procura/outbox"
)

// Staff is what the Watch reads of every organisation's team, for the
// system (account.Directory).
type Staff interface {
	OrganisationIDs(ctx context.Context) ([]string, error)
	Organisation(ctx context.Context, id string) (account.Organisation, error)
	ActiveManagers(ctx context.Context, organisationID string) ([]account.Account, error)
	HabilitationsEnding(ctx context.Context, from, to time.Time) ([]account.HabilitationEnd, error)
}

// ExpiringMandates counts the mandates ending in a period, per
// organisation (mandate.Registry).
type ExpiringMandates interface {
	CountExpiring(ctx context.Context, from, to time.Time) (map[string]int64, error)
}

var (
	_ Staff            = (*account.Directory)(nil)
	_ ExpiringMandates = (*mandate.Registry)(nil)
)

// Watch computes the organisations' alerts: the maintenance loop runs it.
//
// Contract: an alert is raised once per (organisation, kind, subject,
// period) whatever the number of runs and instances (the table's unique
// key; the instance whose INSERT wins records the act and writes the
// email). Each run looks at today and yesterday (Paris time), so that the
// last acts of a day are seen by the first run of the next. The counts of
// delegated logins and refusals come from the journal's day counts
// (audit.Journal.DailyCounts); the hours of the logins and their usagers
// from the organisation's delegated logins of those two days only. A run
// writes at most one email per organisation and manager: a digest of the
// organisation's new alerts, without names of people (they are on the
// dashboard).
type Watch struct {
	db       *db.DB
	journal  *audit.Journal
	staff    Staff
	mandates ExpiringMandates
	outbox   *outbox.Outbox
	baseURL  string
	paris    *time.Location
	now      func() time.Time
}

// NewWatch returns the alerts' computation; baseURL is where the digest
// sends managers (their dashboard).
func NewWatch(d *db.DB, j *audit.Journal, staff Staff, mandates ExpiringMandates, o *outbox.Outbox, baseURL string,
	paris *time.Location, now func() time.Time) *Watch {
	return &Watch{db: d, journal: j, staff: staff, mandates: mandates, outbox: o, baseURL: baseURL, paris: paris, now: now}
}

// WatchReport is what a run did.
type WatchReport struct {
	Organisations int
	Raised        int
	// Digests counts the organisations whose managers were written to.
	Digests int
}

// candidate is an alert a rule found; it is raised unless it exists.
type candidate struct {
	kind    AlertKind
	subject string
	period  string
	details map[string]string
}

// Run computes every organisation's alerts and raises the new ones.
func (w *Watch) Run(ctx context.Context) (WatchReport, error) {
	var rep WatchReport
	orgs, err := w.staff.OrganisationIDs(ctx)
	if err != nil {
		return rep, err
	}
	thresholds, err := allThresholds(ctx, w.db)
	if err != nil {
		return rep, err
	}
	now := w.now().In(w.paris)
	ending, err := w.ending(ctx, now, orgs, thresholds)
	if err != nil {
		return rep, err
	}
	// An organisation that fails does not keep the others from their
	// alerts: its error is returned with the others', after the run.
	var errs []error
	for _, org := range orgs {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		t, ok := thresholds[org]
		if !ok {
			t = DefaultThresholds
		}
		cs, err := w.activity(ctx, org, t, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("oversight: alerts of %s: %w", org, err))
			continue
		}
		raised, digest, err := w.raise(ctx, org, append(cs, ending[org]...))
		if err != nil {
			errs = append(errs, fmt.Errorf("oversight: alerts of %s: %w", org, err))
			continue
		}
		rep.Organisations++
		rep.Raised += raised
		if digest {
			rep.Digests++
		}
	}
	return rep, errors.Join(errs...)
}

// raise stores the candidates that are new, each with its act in the
// journal, and the digest to the organisation's managers, in one
// transaction. It returns how many it raised and whether it wrote a digest.
func (w *Watch) raise(ctx context.Context, org string, cs []candidate) (int, bool, error) {
	if len(cs) == 0 {
		return 0, false, nil
	}
	// Most candidates exist already (a run every few minutes sees the same
	// day): read the organisation's keys of these periods, write nothing
	// when every one is there.
	var periods []string
	for _, c := range cs {
		if !slices.Contains(periods, c.period) {
			periods = append(periods, c.period)
		}
	}
	var existing []alertRow
	if err := w.db.Conn(ctx).Select("kind, subject, period").Where("organisation_id = ? AND period IN ?", org, periods).
		Find(&existing).Error; err != nil {
		return 0, false, fmt.Errorf("read alerts: %w", err)
	}
	seen := map[[3]string]bool{}
	for _, r := range existing {
		seen[[3]string{r.Kind, r.Subject, r.Period}] = true
	}
	var fresh []candidate
	for _, c := range cs {
		if k := [3]string{string(c.kind), c.subject, c.period}; !seen[k] {
			seen[k] = true
			fresh = append(fresh, c)
		}
	}
	if len(fresh) == 0 {
		return 0, false, nil
	}
	var raised []Alert
	sent := 0
	err := w.db.InTx(ctx, func(ctx context.Context) error {
		raised, sent = raised[:0], 0
		now := w.now().UTC()
		for _, c := range fresh {
			details, err := json.Marshal(c.details)
			if err != nil {
				return err
			}
			var ids []int64
			// ON CONFLICT DO NOTHING: another instance raised it meanwhile;
			// its run records the act and writes the email.
			if err := w.db.Conn(ctx).Raw(`INSERT INTO oversight_alerts (organisation_id, kind, subject, period, raised_at, details)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (organisation_id, kind, subject, period) DO NOTHING RETURNING id`,
				org, string(c.kind), c.subject, c.period, now, string(details)).Scan(&ids).Error; err != nil {
				return fmt.Errorf("raise alert: %w", err)
			}
			if len(ids) == 0 {
				continue
			}
			e := audit.Entry{Action: audit.ActionAlertRaised, ActorKind: audit.ActorSystem, OrganisationID: org,
				Details: map[string]string{"alert": strconv.FormatInt(ids[0], 10), "kind": string(c.kind), "period": c.period}}
			subjectDetails(&e, c.kind, c.subject)
			if err := w.journal.Record(ctx, e); err != nil {
				return err
			}
			raised = append(raised, Alert{ID: ids[0], OrganisationID: org, Kind: c.kind, Subject: c.subject, Period: c.period,
				RaisedAt: now, Details: c.details})
		}
		if len(raised) == 0 {
			return nil
		}
		var err error
		sent, err = w.digest(ctx, org, raised)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	return len(raised), sent > 0, nil
}
