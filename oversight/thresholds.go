package oversight

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/problem"
)

// Thresholds say when the maintenance loop raises an alert for an
// organisation (Watch). Days and hours are Paris time.
type Thresholds struct {
	// An aidant's delegated logins of one day are unusual when they are
	// more than VolumeFactor times their mean per day over the 28 days
	// before, and more than VolumeFloor.
	VolumeFactor, VolumeFloor int
	// A delegated login from NightStart o'clock to NightEnd o'clock is a
	// login at night; NightStart == NightEnd turns the alert off.
	NightStart, NightEnd int
	// Sunday raises an alert for delegated logins on a Sunday.
	Sunday bool
	// A usager on whose behalf at least UsagerAidants different aidants
	// signed in on one day.
	UsagerAidants int
	// An aidant with at least Refusals delegated logins refused on one day.
	Refusals int
	// Habilitations and mandates ending within so many days; 0 turns the
	// alert off.
	HabilitationDays, MandateDays int
}

// DefaultThresholds are an organisation's until a manager changes them.
var DefaultThresholds = Thresholds{VolumeFactor: 3, VolumeFloor: 20, NightStart: 20, NightEnd: 7, Sunday: true,
	UsagerAidants: 3, Refusals: 5, HabilitationDays: 30, MandateDays: 14}

// maxNoticeDays bounds HabilitationDays and MandateDays.
const maxNoticeDays = 180

// thresholdField is one threshold's form field, bounds and French refusal.
type thresholdField struct {
	name     string
	min, max int
	refusal  string
	field    func(*Thresholds) *int
}

var thresholdFields = []thresholdField{
	{"facteur_volume", 2, 50, "Le multiple du volume habituel doit être un nombre entier de 2 à 50.",
		func(t *Thresholds) *int { return &t.VolumeFactor }},
	{"plancher_volume", 1, 10000, "Le nombre de connexions en un jour au-delà duquel alerter doit être un nombre entier de 1 à 10 000.",
		func(t *Thresholds) *int { return &t.VolumeFloor }},
	{"nuit_debut", 0, 23, "L'heure de début de la nuit doit être un nombre entier de 0 à 23.",
		func(t *Thresholds) *int { return &t.NightStart }},
	{"nuit_fin", 0, 23, "L'heure de fin de la nuit doit être un nombre entier de 0 à 23.",
		func(t *Thresholds) *int { return &t.NightEnd }},
	{"usager_aidants", 2, 100, "Le nombre d'aidants différents pour un même usager en un jour doit être un nombre entier de 2 à 100.",
		func(t *Thresholds) *int { return &t.UsagerAidants }},
	{"refus", 1, 1000, "Le nombre de connexions refusées en un jour doit être un nombre entier de 1 à 1 000.",
		func(t *Thresholds) *int { return &t.Refusals }},
	{"jours_habilitation", 0, maxNoticeDays, "Le préavis de fin d'habilitation doit être un nombre de jours de 0 à 180.",
		func(t *Thresholds) *int { return &t.HabilitationDays }},
	{"jours_mandats", 0, maxNoticeDays, "Le préavis d'échéance des mandats doit être un nombre de jours de 0 à 180.",
		func(t *Thresholds) *int { return &t.MandateDays }},
}

// ThresholdsFromValues reads the settings page's form; a missing or
// malformed number is refused with why, in French (problem.Invalid).
func ThresholdsFromValues(v url.Values) (Thresholds, error) {
	var t Thresholds
	for _, f := range thresholdFields {
		s := strings.TrimSpace(v.Get(f.name))
		n, err := strconv.Atoi(s)
		if err != nil || n < f.min || n > f.max || len(s) > 6 {
			return Thresholds{}, problem.New(problem.Invalid, f.refusal)
		}
		*f.field(&t) = n
	}
	switch v.Get("dimanche") {
	case "1":
		t.Sunday = true
	case "", "0":
	default:
		return Thresholds{}, problem.New(problem.Invalid, "La case « le dimanche » n'a pas une valeur reconnue.")
	}
	return t, nil
}

// Values are t as the settings page's form fields (the inverse of
// ThresholdsFromValues), and the details of the audit entry of a change.
func (t Thresholds) Values() map[string]string {
	out := map[string]string{"dimanche": "0"}
	for _, f := range thresholdFields {
		out[f.name] = strconv.Itoa(*f.field(&t))
	}
	if t.Sunday {
		out["dimanche"] = "1"
	}
	return out
}

// night reports whether hour (0–23) is in the night of t.
func (t Thresholds) night(hour int) bool {
	switch {
	case t.NightStart == t.NightEnd:
		return false
	case t.NightStart < t.NightEnd:
		return hour >= t.NightStart && hour < t.NightEnd
	default:
		return hour >= t.NightStart || hour < t.NightEnd
	}
}

// thresholdsRow is the oversight_alert_thresholds table.
type thresholdsRow struct {
	OrganisationID   string `gorm:"primaryKey"`
	VolumeFactor     int
	VolumeFloor      int
	NightStart       int
	NightEnd         int
	Sunday           bool
	UsagerAidants    int
	Refusals         int
	HabilitationDays int
	MandateDays      int
	UpdatedAt        time.Time
	UpdatedBy        string
}

func (thresholdsRow) TableName() string { return "oversight_alert_thresholds" }

func (r thresholdsRow) thresholds() Thresholds {
	return Thresholds{VolumeFactor: r.VolumeFactor, VolumeFloor: r.VolumeFloor, NightStart: r.NightStart, NightEnd: r.NightEnd,
		Sunday: r.Sunday, UsagerAidants: r.UsagerAidants, Refusals: r.Refusals, HabilitationDays: r.HabilitationDays,
		MandateDays: r.MandateDays}
}

// ThresholdsChange is who last changed an organisation's thresholds, and when.
type ThresholdsChange struct {
	At time.Time
	By string
}

// Thresholds returns m's organisation's thresholds (the defaults when no
// manager changed them), and their last change (zero without one).
func (s *Service) Thresholds(ctx context.Context, m account.Manager) (Thresholds, ThresholdsChange, error) {
	if err := s.team.CheckManager(ctx, m); err != nil {
		return Thresholds{}, ThresholdsChange{}, err
	}
	var rows []thresholdsRow
	if err := s.db.Conn(ctx).Where("organisation_id = ?", m.OrganisationID).Limit(1).Find(&rows).Error; err != nil {
		return Thresholds{}, ThresholdsChange{}, fmt.Errorf("oversight: thresholds: %w", err)
	}
	if len(rows) == 0 {
		return DefaultThresholds, ThresholdsChange{}, nil
	}
	return rows[0].thresholds(), ThresholdsChange{At: rows[0].UpdatedAt, By: rows[0].UpdatedBy}, nil
}

// SetThresholds stores m's organisation's thresholds, with the act in the
// journal, in one transaction. Bad values are refused before anything is
// written (ThresholdsFromValues checks them; this checks them again).
func (s *Service) SetThresholds(ctx context.Context, m account.Manager, t Thresholds) error {
	if err := s.team.CheckManager(ctx, m); err != nil {
		return err
	}
	values := url.Values{}
	for k, v := range t.Values() {
		values.Set(k, v)
	}
	if _, err := ThresholdsFromValues(values); err != nil {
		return err
	}
	r := thresholdsRow{OrganisationID: m.OrganisationID, VolumeFactor: t.VolumeFactor, VolumeFloor: t.VolumeFloor,
		NightStart: t.NightStart, NightEnd: t.NightEnd, Sunday: t.Sunday, UsagerAidants: t.UsagerAidants, Refusals: t.Refusals,
		HabilitationDays: t.HabilitationDays, MandateDays: t.MandateDays, UpdatedAt: s.now().UTC(), UpdatedBy: m.AccountID}
	return s.db.InTx(ctx, func(ctx context.Context) error {
		conn := s.db.Conn(ctx)
		res := conn.Model(&thresholdsRow{}).Where("organisation_id = ?", m.OrganisationID).Select("*").Updates(&r)
		if res.Error != nil {
			return fmt.Errorf("oversight: save thresholds: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			if err := conn.Create(&r).Error; err != nil {
				return fmt.Errorf("oversight: save thresholds: %w", err)
			}
		}
		return s.journal.Record(ctx, audit.Entry{Action: audit.ActionAlertThresholdsChanged, ActorKind: audit.ActorManager,
			ActorID: m.AccountID, OrganisationID: m.OrganisationID, Details: t.Values()})
	})
}

// allThresholds reads every organisation's thresholds that differ from
// the defaults: a few rows, read once per run of the Watch.
func allThresholds(ctx context.Context, d *db.DB) (map[string]Thresholds, error) {
	var rows []thresholdsRow
	if err := d.Conn(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("oversight: thresholds: %w", err)
	}
	out := make(map[string]Thresholds, len(rows))
	for _, r := range rows {
		out[r.OrganisationID] = r.thresholds()
	}
	return out, nil
}
