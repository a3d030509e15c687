package oversight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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

// dayStart is midnight of t's day in t's location.
func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// volumeDays is the number of days an aidant's usual volume is the mean of.
const volumeDays = 28

// activity applies the rules on an organisation's acts of today and yesterday.
func (w *Watch) activity(ctx context.Context, org string, t Thresholds, now time.Time) ([]candidate, error) {
	today := dayStart(now)
	days := []time.Time{today.AddDate(0, 0, -1), today}
	counts, err := w.journal.DailyCounts(ctx, audit.DailyQuery{OrganisationID: org, By: audit.ByActor, Daily: true,
		Actions: []audit.Action{audit.ActionDelegatedLoginAuthorised, audit.ActionDelegatedLoginRefused},
		Since:   days[0].AddDate(0, 0, -volumeDays), Location: w.paris})
	if err != nil {
		return nil, err
	}
	logins, refusals := map[string]map[string]int64{}, map[string]map[string]int64{}
	for _, c := range counts {
		m := logins
		if c.Action == audit.ActionDelegatedLoginRefused {
			m = refusals
		}
		if m[c.Key] == nil {
			m[c.Key] = map[string]int64{}
		}
		m[c.Key][c.Day.Format(periodLayout)] += c.N
	}
	var out []candidate
	recent := false
	for _, day := range days {
		period := day.Format(periodLayout)
		for _, aidant := range slices.Sorted(maps.Keys(logins)) {
			n := logins[aidant][period]
			if n == 0 {
				continue
			}
			recent = true
			var before int64
			for k := 1; k <= volumeDays; k++ {
				before += logins[aidant][day.AddDate(0, 0, -k).Format(periodLayout)]
			}
			mean := float64(before) / volumeDays
			if n > int64(t.VolumeFloor) && float64(n) > float64(t.VolumeFactor)*mean {
				out = append(out, candidate{KindVolume, aidant, period, map[string]string{alertDetailsCount: itoa(n),
					alertDetailsMean: frenchDecimal(mean), alertDetailsThreshold: strconv.Itoa(t.VolumeFactor)}})
			}
			if t.Sunday && day.Weekday() == time.Sunday {
				out = append(out, candidate{KindSunday, aidant, period, map[string]string{alertDetailsCount: itoa(n)}})
			}
		}
		for _, aidant := range slices.Sorted(maps.Keys(refusals)) {
			if n := refusals[aidant][period]; n >= int64(t.Refusals) {
				out = append(out, candidate{KindRefusals, aidant, period, map[string]string{alertDetailsCount: itoa(n),
					alertDetailsThreshold: strconv.Itoa(t.Refusals)}})
			}
		}
	}
	if !recent {
		return out, nil // no login of the two days: nothing at night, no usager
	}
	logs, err := w.hours(ctx, org, t, days[0])
	if err != nil {
		return nil, err
	}
	return append(out, logs...), nil
}

// hours reads the organisation's delegated logins since from (yesterday's
// midnight) and finds the logins at night and the usagers many aidants
// signed in for on one day.
func (w *Watch) hours(ctx context.Context, org string, t Thresholds, from time.Time) ([]candidate, error) {
	night := map[[2]string]int64{}             // aidant, day
	aidants := map[[2]string]map[string]bool{} // usager, day → aidants
	err := w.journal.Each(ctx, audit.Query{OrganisationID: org, Action: audit.ActionDelegatedLoginAuthorised, From: from},
		func(e audit.Entry) error {
			at := e.Time.In(w.paris)
			day := at.Format(periodLayout)
			if t.night(at.Hour()) && e.ActorID != "" {
				night[[2]string{e.ActorID, day}]++
			}
			if e.UsagerID != "" && e.ActorID != "" {
				k := [2]string{e.UsagerID, day}
				if aidants[k] == nil {
					aidants[k] = map[string]bool{}
				}
				aidants[k][e.ActorID] = true
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	var out []candidate
	hours := fmt.Sprintf("de %d h à %d h", t.NightStart, t.NightEnd)
	for _, k := range pairs(night) {
		out = append(out, candidate{KindNight, k[0], k[1], map[string]string{alertDetailsCount: itoa(night[k]),
			alertDetailsNightHours: hours}})
	}
	for _, k := range pairs(aidants) {
		if n := len(aidants[k]); n >= t.UsagerAidants {
			out = append(out, candidate{KindUsagerAidants, k[0], k[1], map[string]string{alertDetailsCount: strconv.Itoa(n),
				alertDetailsThreshold: strconv.Itoa(t.UsagerAidants)}})
		}
	}
	return out, nil
}

// ending finds, for every organisation at once, the habilitations ending
// within its notice and the mandates ending in the week its notice
// reaches (one alert a week: the mandates of the week that begins
// MandateDays from today).
func (w *Watch) ending(ctx context.Context, now time.Time, orgs []string, thresholds map[string]Thresholds) (map[string][]candidate, error) {
	of := func(org string) Thresholds {
		if t, ok := thresholds[org]; ok {
			return t
		}
		return DefaultThresholds
	}
	out := map[string][]candidate{}
	notice := DefaultThresholds.HabilitationDays
	for _, t := range thresholds {
		notice = max(notice, t.HabilitationDays)
	}
	habs, err := w.staff.HabilitationsEnding(ctx, now, now.AddDate(0, 0, notice))
	if err != nil {
		return nil, err
	}
	for _, h := range habs {
		t := of(h.OrganisationID)
		if t.HabilitationDays == 0 || h.Until.After(now.AddDate(0, 0, t.HabilitationDays)) {
			continue
		}
		// The last day of the habilitation: it ends at the start of Until.
		last := h.Until.In(w.paris).Add(-time.Nanosecond).Format(periodLayout)
		out[h.OrganisationID] = append(out[h.OrganisationID], candidate{KindHabilitationEnding, h.AccountID, last, map[string]string{}})
	}
	byNotice := map[int][]string{}
	for _, org := range orgs {
		if d := of(org).MandateDays; d > 0 {
			byNotice[d] = append(byNotice[d], org)
		}
	}
	for _, d := range slices.Sorted(maps.Keys(byNotice)) {
		week := weekStart(dayStart(now).AddDate(0, 0, d))
		counts, err := w.mandates.CountExpiring(ctx, week, week.AddDate(0, 0, 7))
		if err != nil {
			return nil, err
		}
		for _, org := range byNotice[d] {
			if n := counts[org]; n > 0 {
				out[org] = append(out[org], candidate{KindMandatesExpiring, "", week.Format(periodLayout),
					map[string]string{alertDetailsCount: itoa(n)}})
			}
		}
	}
	return out, nil
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

// pairs are a map's keys of two strings, in order: runs raise alerts in
// the same order, whatever the map's.
func pairs[V any](m map[[2]string]V) [][2]string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return keys
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// frenchDecimal writes x with one decimal and a comma: "3,5".
func frenchDecimal(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	for i := range s {
		if s[i] == '.' {
			return s[:i] + "," + s[i+1:]
		}
	}
	return s
}
