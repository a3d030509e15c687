package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"procura/oversight"
	"procura/problem"
	"procura/templates"
)

// handleManagerAlertAcknowledge marks an alert of the organisation as
// taken into account (an act in the journal), then shows the dashboard.
func (s *Server) handleManagerAlertAcknowledge(w http.ResponseWriter, r *http.Request) {
	_, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	if err := s.oversight.Acknowledge(r.Context(), mc.m, r.PathValue("id")); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathManager+"?alerte=prise-en-compte", http.StatusSeeOther)
}

// handleManagerAlertThresholds changes the organisation's alert
// thresholds (an act in the journal); a bad value shows the settings page
// with why, and nothing is stored.
func (s *Server) handleManagerAlertThresholds(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	t, err := oversight.ThresholdsFromValues(form)
	if err == nil {
		err = s.oversight.SetThresholds(r.Context(), mc.m, t)
	}
	if problem.CodeOf(err) == problem.Invalid {
		o := mc.Current.Organisation
		typed := thresholdsForm(form)
		typed.Error = problem.MessageOf(err)
		s.renderSettings(w, r, mc, http.StatusBadRequest, o.Name, o.Procedures, "", "", &typed, nil)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathManagerSettings+"?seuils=1#seuils", http.StatusSeeOther)
}

// thresholdsForm is the thresholds' form filled with values (stored, or
// as typed).
func thresholdsForm(v url.Values) templates.AlertThresholdsForm {
	return templates.AlertThresholdsForm{Action: PathManagerAlertThresholds,
		VolumeFactor: v.Get("facteur_volume"), VolumeFloor: v.Get("plancher_volume"),
		NightStart: v.Get("nuit_debut"), NightEnd: v.Get("nuit_fin"), Sunday: v.Get("dimanche") == "1",
		UsagerAidants: v.Get("usager_aidants"), Refusals: v.Get("refus"),
		HabilitationDays: v.Get("jours_habilitation"), MandateDays: v.Get("jours_mandats")}
}

// alertView is an alert as the dashboard shows it.
func alertView(a oversight.AlertRow) templates.AlertView {
	v := templates.AlertView{ID: a.ID, Label: a.Label, Text: a.Text, Raised: a.Raised, Acknowledged: a.Acknowledged}
	if a.AcknowledgedAt == nil {
		v.AcknowledgeURL = PathManagerAlertAcknowledge(strconv.FormatInt(a.ID, 10))
	}
	if !a.Day.IsZero() {
		day := a.Day.Format(time.DateOnly)
		q := url.Values{"du": {day}, "au": {day}}
		switch {
		case a.AidantID != "":
			q.Set("aidant", a.AidantID)
		case a.UsagerID != "":
			q.Set("usager", a.UsagerID)
		}
		v.JournalURL = withQuery(PathManagerJournal, q)
	}
	return v
}
