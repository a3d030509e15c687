package oversight

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"procura/audit"
)

// The rules of the alerts: what the Watch finds in an organisation's acts,
// its team's habilitations and its mandates.

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
