package oversight

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"procura/account"
	"procura/audit"
	"procura/mandate"
	"procura/problem"
)

// AlertKind is what an alert is about.
type AlertKind string

// The kinds of alerts (DESIGN.md §2, Manager journey 3; issue 11 point 4).
// Subject is the account for the aidant's kinds, the usager's pseudonym
// for KindUsagerAidants, the organisation (”) for KindMandatesExpiring;
// Period is a day (YYYY-MM-DD, Paris), the habilitation's last day, or the
// Monday of the week the mandates end.
const (
	KindVolume             AlertKind = "volume"
	KindNight              AlertKind = "night"
	KindSunday             AlertKind = "sunday"
	KindUsagerAidants      AlertKind = "usager_aidants"
	KindRefusals           AlertKind = "refusals"
	KindHabilitationEnding AlertKind = "habilitation_ending"
	KindMandatesExpiring   AlertKind = "mandates_expiring"
)

const (
	maxOpenAlertsShown   = 100
	maxAcknowledgedShown = 20
	acknowledgedShownFor = 30 * 24 * time.Hour
	periodLayout         = time.DateOnly
)

// What an alert's Subject names.
const (
	alertSubjectAidant       = "aidant"
	alertSubjectUsager       = "usager"
	alertSubjectOrganisation = "organisation"
)

// The keys of an alert's details.
const (
	alertDetailsCount      = "count"
	alertDetailsMean       = "mean"
	alertDetailsThreshold  = "threshold"
	alertDetailsNightHours = "hours"
)

// kindLabels name each kind in French, without names of people: the
// digest emailed to managers says only these.
var kindLabels = map[AlertKind]string{
	KindVolume:             "Connexions d'un aidant bien au-delà de son volume habituel",
	KindNight:              "Connexions d'un aidant la nuit",
	KindSunday:             "Connexions d'un aidant un dimanche",
	KindUsagerAidants:      "Un usager pour le compte de qui plusieurs aidants se sont connectés le même jour",
	KindRefusals:           "Connexions refusées à un aidant",
	KindHabilitationEnding: "Habilitation d'un aidant bientôt terminée",
	KindMandatesExpiring:   "Mandats arrivant bientôt à échéance",
}

// KindLabel is the kind in French.
func KindLabel(k AlertKind) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// subjectOf says what an alert's Subject names.
func subjectOf(k AlertKind) string {
	switch k {
	case KindUsagerAidants:
		return alertSubjectUsager
	case KindMandatesExpiring:
		return alertSubjectOrganisation
	}
	return alertSubjectAidant
}

// Alert is one alert of an organisation.
type Alert struct {
	ID             int64
	OrganisationID string
	Kind           AlertKind
	Subject        string
	Period         string
	RaisedAt       time.Time
	Details        map[string]string
	AcknowledgedAt *time.Time
	AcknowledgedBy string
}

// alertRow is the oversight_alerts table.
type alertRow struct {
	ID             int64 `gorm:"primaryKey"`
	OrganisationID string
	Kind           string
	Subject        string
	Period         string
	RaisedAt       time.Time
	Details        string
	AcknowledgedAt *time.Time
	AcknowledgedBy *string
}

func (alertRow) TableName() string { return "oversight_alerts" }

func (r alertRow) alert() Alert {
	a := Alert{ID: r.ID, OrganisationID: r.OrganisationID, Kind: AlertKind(r.Kind), Subject: r.Subject, Period: r.Period,
		RaisedAt: r.RaisedAt, AcknowledgedAt: r.AcknowledgedAt}
	if r.AcknowledgedBy != nil {
		a.AcknowledgedBy = *r.AcknowledgedBy
	}
	_ = json.Unmarshal([]byte(r.Details), &a.Details) // written by raise: a JSON object
	return a
}

// AlertRow is an alert as a manager reads it.
type AlertRow struct {
	Alert
	Label string
	// Text says what was seen, with the names of the people concerned.
	Text string
	// AidantID or UsagerID is whom the alert is about; Day the day
	// concerned, for a link to the journal (zero for the expiring kinds).
	AidantID, UsagerID string
	Day                time.Time
	Raised             string
	// Acknowledged says when and by whom, in French; empty while open.
	Acknowledged string
}

// AlertList is the dashboard's alerts: the open ones, newest first, and
// those acknowledged in the last 30 days.
type AlertList struct {
	Open, Acknowledged []AlertRow
	// MoreOpen counts the open alerts beyond those listed.
	MoreOpen int64
}

// Alerts lists m's organisation's alerts.
func (s *Service) Alerts(ctx context.Context, m account.Manager) (AlertList, error) {
	if err := s.team.CheckManager(ctx, m); err != nil {
		return AlertList{}, err
	}
	conn := s.db.Conn(ctx)
	var open, done []alertRow
	if err := conn.Where("organisation_id = ? AND acknowledged_at IS NULL", m.OrganisationID).Order("raised_at DESC, id DESC").
		Limit(maxOpenAlertsShown).Find(&open).Error; err != nil {
		return AlertList{}, fmt.Errorf("oversight: alerts: %w", err)
	}
	var list AlertList
	if len(open) == maxOpenAlertsShown {
		var n int64
		if err := conn.Model(&alertRow{}).Where("organisation_id = ? AND acknowledged_at IS NULL", m.OrganisationID).Count(&n).Error; err != nil {
			return AlertList{}, fmt.Errorf("oversight: alerts: %w", err)
		}
		list.MoreOpen = n - maxOpenAlertsShown
	}
	if err := conn.Where("organisation_id = ? AND acknowledged_at >= ?", m.OrganisationID, s.now().Add(-acknowledgedShownFor).UTC()).
		Order("acknowledged_at DESC, id DESC").Limit(maxAcknowledgedShown).Find(&done).Error; err != nil {
		return AlertList{}, fmt.Errorf("oversight: alerts: %w", err)
	}
	n := s.newNamer(m.OrganisationID)
	var err error
	if list.Open, err = s.alertRows(ctx, n, open); err != nil {
		return AlertList{}, err
	}
	if list.Acknowledged, err = s.alertRows(ctx, n, done); err != nil {
		return AlertList{}, err
	}
	return list, nil
}

// alertRows names alerts.
func (s *Service) alertRows(ctx context.Context, n *namer, rows []alertRow) ([]AlertRow, error) {
	var usagerIDs []string
	for _, r := range rows {
		if subjectOf(AlertKind(r.Kind)) == alertSubjectUsager {
			usagerIDs = append(usagerIDs, r.Subject)
		}
	}
	usagers := map[string]string{}
	if len(usagerIDs) > 0 {
		named, err := s.usagers.Names(ctx, usagerIDs, "")
		if err != nil {
			return nil, err
		}
		for _, u := range named {
			usagers[u.ID] = u.GivenName + " " + u.FamilyName
		}
	}
	accountName := func(id string) (string, error) {
		name, _, err := n.actor(ctx, audit.Entry{ActorKind: audit.ActorAidant, ActorID: id})
		return name, err
	}
	out := make([]AlertRow, 0, len(rows))
	for _, r := range rows {
		a := r.alert()
		row := AlertRow{Alert: a, Label: KindLabel(a.Kind), Raised: mandate.FrenchDateTime(a.RaisedAt, s.paris)}
		who := ""
		switch subjectOf(a.Kind) {
		case alertSubjectAidant:
			row.AidantID = a.Subject
			name, err := accountName(a.Subject)
			if err != nil {
				return nil, err
			}
			who = name
		case alertSubjectUsager:
			row.UsagerID = a.Subject
			who = usagers[a.Subject]
			if who == "" {
				who = "Usager dont l'identité a été effacée"
			}
		}
		day, err := time.ParseInLocation(periodLayout, a.Period, s.paris)
		if err != nil {
			return nil, fmt.Errorf("oversight: alert %d: period %q: %w", a.ID, a.Period, err)
		}
		if a.Kind != KindHabilitationEnding && a.Kind != KindMandatesExpiring {
			row.Day = day
		}
		row.Text = alertText(a, who, mandate.FrenchDate(day, s.paris))
		if a.AcknowledgedAt != nil {
			by, err := accountName(a.AcknowledgedBy)
			if err != nil {
				return nil, err
			}
			row.Acknowledged = "Prise en compte le " + mandate.FrenchDateTime(*a.AcknowledgedAt, s.paris) + " par " + by
		}
		out = append(out, row)
	}
	return out, nil
}

// alertText says an alert in French; who names its subject and day its period.
func alertText(a Alert, who, day string) string {
	d := a.Details
	n := d[alertDetailsCount]
	switch a.Kind {
	case KindVolume:
		return fmt.Sprintf("%s : %s connexions pour le compte d'usagers le %s, pour %s par jour en moyenne sur les 28 jours précédents (seuil : plus de %s fois cette moyenne).",
			who, n, day, d[alertDetailsMean], d[alertDetailsThreshold])
	case KindNight:
		return fmt.Sprintf("%s : %s connexion(s) pour le compte d'usagers la nuit (%s) le %s.", who, n, d[alertDetailsNightHours], day)
	case KindSunday:
		return fmt.Sprintf("%s : %s connexion(s) pour le compte d'usagers le dimanche %s.", who, n, day)
	case KindUsagerAidants:
		return fmt.Sprintf("%s : %s aidants différents se sont connectés pour son compte le %s.", who, n, day)
	case KindRefusals:
		return fmt.Sprintf("%s : %s connexions pour le compte d'usagers refusées le %s.", who, n, day)
	case KindHabilitationEnding:
		return fmt.Sprintf("L'habilitation de %s prend fin le %s : enregistrez sa nouvelle formation pour la prolonger.", who, day)
	case KindMandatesExpiring:
		return fmt.Sprintf("%s mandat(s) arrivent à échéance la semaine du %s.", n, day)
	}
	return KindLabel(a.Kind)
}

// ErrAlertNotFound is an alert that is not the manager's organisation's.
var ErrAlertNotFound = problem.New(problem.NotFound, "Cette alerte n'existe pas pour votre organisation.")

// Acknowledge marks one of m's organisation's alerts as taken into
// account by m, with the act in the journal, in one transaction. An alert
// already acknowledged stays as it was (who and when first). Another
// organisation's alert is not found, and the attempt is recorded.
func (s *Service) Acknowledge(ctx context.Context, m account.Manager, idText string) error {
	if err := s.team.CheckManager(ctx, m); err != nil {
		return err
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return ErrAlertNotFound
	}
	var other bool
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		var rows []alertRow
		if err := conn.Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
			return fmt.Errorf("oversight: alert %d: %w", id, err)
		}
		switch {
		case len(rows) == 0:
			return ErrAlertNotFound
		case rows[0].OrganisationID != m.OrganisationID:
			other = true
			return ErrAlertNotFound
		}
		now := s.now().UTC()
		res := conn.Model(&alertRow{}).Where("id = ? AND organisation_id = ? AND acknowledged_at IS NULL", id, m.OrganisationID).
			Updates(map[string]any{"acknowledged_at": now, "acknowledged_by": m.AccountID})
		if res.Error != nil {
			return fmt.Errorf("oversight: acknowledge alert %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // acknowledged already
		}
		a := rows[0].alert()
		e := audit.Entry{Action: audit.ActionAlertAcknowledged, ActorKind: audit.ActorManager, ActorID: m.AccountID,
			OrganisationID: m.OrganisationID, Details: map[string]string{"alert": idText, "kind": string(a.Kind), "period": a.Period}}
		subjectDetails(&e, a.Kind, a.Subject)
		return s.journal.Record(ctx, e)
	})
	if other {
		if err := s.team.RecordCrossOrganisation(ctx, m, "alert", idText); err != nil {
			return err
		}
	}
	return err
}

// subjectDetails puts an alert's subject (a pseudonymous id) in the details
// of its journal entry. Not in the entry's usager column: the usager's space
// lists the acts done on their behalf, and an alert is none.
func subjectDetails(e *audit.Entry, k AlertKind, subject string) {
	switch subjectOf(k) {
	case alertSubjectUsager:
		e.Details["usager"] = subject
	case alertSubjectAidant:
		e.Details["account"] = subject
	}
}
