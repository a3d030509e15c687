package oversight

import (
	"context"
	"slices"
	"strings"
	"time"

	"procura/account"
	"procura/audit"
	"procura/mandate"
	"procura/procedure"
)

// The statistics' periods.
const (
	StatWeeks  = 12
	StatMonths = 12
)

// WeekLogins are the delegated logins of one week (Monday, Paris time).
type WeekLogins struct {
	Start       time.Time
	Label       string
	ByProcedure map[string]int64
	Total       int64
}

// MonthMandates are the mandates created, revoked and expired in one
// month (Paris time).
type MonthMandates struct {
	Start                     time.Time
	Label                     string
	Created, Revoked, Expired int64
}

// AidantFigures are one account's acts over the months of the statistics.
type AidantFigures struct {
	ID, Name                 string
	Logins, Created, Revoked int64
}

// Statistics are the figures of m's organisation: delegated logins per
// week and procedure (StatWeeks weeks, the current one last), mandates
// per month (StatMonths months), and per aidant over those months.
type Statistics struct {
	Weeks []WeekLogins
	// Procedures are those with at least one login in Weeks, in the
	// catalogue's order.
	Procedures []Option
	Months     []MonthMandates
	Aidants    []AidantFigures
}

var mandateActions = []audit.Action{audit.ActionMandateCreated, audit.ActionMandateRevoked, audit.ActionMandateExpired}

// Statistics computes m's organisation's figures from the journal.
func (s *Service) Statistics(ctx context.Context, m account.Manager) (Statistics, error) {
	if err := s.team.CheckManager(ctx, m); err != nil {
		return Statistics{}, err
	}
	now := s.now().In(s.paris)
	var st Statistics
	firstWeek := weekStart(now).AddDate(0, 0, -7*(StatWeeks-1))
	for i := range StatWeeks {
		start := firstWeek.AddDate(0, 0, 7*i)
		st.Weeks = append(st.Weeks, WeekLogins{Start: start, Label: "Semaine du " + mandate.FrenchDate(start, s.paris),
			ByProcedure: map[string]int64{}})
	}
	y, mo, _ := now.Date()
	firstMonth := time.Date(y, mo-StatMonths+1, 1, 0, 0, 0, 0, s.paris)
	for i := range StatMonths {
		start := firstMonth.AddDate(0, i, 0)
		st.Months = append(st.Months, MonthMandates{Start: start, Label: frenchMonth(start)})
	}

	logins, err := s.journal.DailyCounts(ctx, audit.DailyQuery{OrganisationID: m.OrganisationID,
		Actions: []audit.Action{audit.ActionDelegatedLoginAuthorised}, Since: firstWeek, By: audit.ByProcedure, Daily: true, Location: s.paris})
	if err != nil {
		return Statistics{}, err
	}
	seen := map[string]bool{}
	for _, c := range logins {
		i := int(weekStart(c.Day).Sub(firstWeek).Hours()+12) / (24 * 7) // ±1 h at a change of time
		if i < 0 || i >= len(st.Weeks) {
			continue // an act stamped in the future
		}
		w := &st.Weeks[i]
		w.ByProcedure[c.Key] += c.N
		w.Total += c.N
		seen[c.Key] = true
	}
	for _, p := range procedure.All() {
		if seen[p.ID] {
			st.Procedures = append(st.Procedures, Option{p.ID, p.Label})
		}
	}

	mandates, err := s.journal.DailyCounts(ctx, audit.DailyQuery{OrganisationID: m.OrganisationID, Actions: mandateActions,
		Since: firstMonth, Daily: true, Location: s.paris})
	if err != nil {
		return Statistics{}, err
	}
	for _, c := range mandates {
		t := c.Day
		i := (t.Year()-firstMonth.Year())*12 + int(t.Month()) - int(firstMonth.Month())
		if i < 0 || i >= len(st.Months) {
			continue
		}
		month := &st.Months[i]
		switch c.Action {
		case audit.ActionMandateCreated:
			month.Created += c.N
		case audit.ActionMandateRevoked:
			month.Revoked += c.N
		case audit.ActionMandateExpired:
			month.Expired += c.N
		}
	}

	if st.Aidants, err = s.aidantFigures(ctx, m, firstMonth); err != nil {
		return Statistics{}, err
	}
	return st, nil
}

// aidantFigures are the team's delegated logins and mandates created and
// revoked since since, with the accounts that acted and left the team.
func (s *Service) aidantFigures(ctx context.Context, m account.Manager, since time.Time) ([]AidantFigures, error) {
	counts, err := s.journal.DailyCounts(ctx, audit.DailyQuery{OrganisationID: m.OrganisationID, Since: since, By: audit.ByActor,
		Actions:  []audit.Action{audit.ActionDelegatedLoginAuthorised, audit.ActionMandateCreated, audit.ActionMandateRevoked},
		Location: s.paris})
	if err != nil {
		return nil, err
	}
	team, err := s.team.Team(ctx, m, account.TeamFilter{})
	if err != nil {
		return nil, err
	}
	byID := map[string]*AidantFigures{}
	var out []*AidantFigures
	for _, t := range team {
		if t.Has(account.RoleAidant) {
			f := &AidantFigures{ID: t.ID, Name: t.Name()}
			byID[t.ID] = f
			out = append(out, f)
		}
	}
	n := s.newNamer(m.OrganisationID)
	for _, c := range counts {
		f := byID[c.Key]
		if f == nil {
			name, _, err := n.actor(ctx, audit.Entry{ActorKind: audit.ActorAidant, ActorID: c.Key})
			if err != nil {
				return nil, err
			}
			f = &AidantFigures{ID: c.Key, Name: name + " (ne fait plus partie de l'équipe)"}
			byID[c.Key] = f
			out = append(out, f)
		}
		switch c.Action {
		case audit.ActionDelegatedLoginAuthorised:
			f.Logins += c.N
		case audit.ActionMandateCreated:
			f.Created += c.N
		case audit.ActionMandateRevoked:
			f.Revoked += c.N
		}
	}
	slices.SortStableFunc(out, func(a, b *AidantFigures) int { return strings.Compare(a.Name, b.Name) })
	figures := make([]AidantFigures, len(out))
	for i, f := range out {
		figures[i] = *f
	}
	return figures, nil
}

// weekStart is Monday 00:00 of t's week, in t's location.
func weekStart(t time.Time) time.Time {
	y, m, d := t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// frenchMonth is "mars 2026" for a month starting at t (the French date
// of its first day, "1er mars 2026", without the day).
func frenchMonth(t time.Time) string {
	_, month, _ := strings.Cut(mandate.FrenchDate(t, t.Location()), " ")
	return month
}
