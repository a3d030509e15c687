package web

import (
	"net/http"
	"strconv"
	"time"

	"procura/mandate"
	"procura/templates"
)

// The legal pages: their contents are written for Procura; who runs it
// comes from the configuration (Settings.Operator), and the durations the
// personal-data page states are the server's own settings.

func (s *Server) handleLegalNotice(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, &templates.LegalNoticePage{
		Layout: templates.Layout{Title: "Mentions légales"}, Operator: s.settings.Operator})
}

func (s *Server) handlePersonalData(w http.ResponseWriter, r *http.Request) {
	days := s.settings.RetentionDays
	if days == 0 {
		days = mandate.MinRetentionDays // the default of PROCURA_RETENTION_DAYS, which app's purge applies too
	}
	s.render(w, r, http.StatusOK, &templates.PersonalDataPage{
		Layout: templates.Layout{Title: "Données personnelles"}, Operator: s.settings.Operator,
		RetentionDays: days, SessionIdle: frenchDuration(s.settings.SessionIdleTimeout),
		SessionMaxAge: frenchDuration(s.settings.SessionMaxAge), OutboxDays: s.settings.EmailKeepDays,
	})
}

func (s *Server) handleAccessibility(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, &templates.AccessibilityPage{
		Layout: templates.Layout{Title: "Déclaration d'accessibilité"}, Operator: s.settings.Operator})
}

// frenchDuration says a session limit in French: whole hours as hours,
// anything else in minutes ("10 heures", "30 minutes", "1 heure").
func frenchDuration(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		if h := int(d / time.Hour); h > 1 {
			return strconv.Itoa(h) + " heures"
		}
		return "1 heure"
	}
	if m := int(d / time.Minute); m > 1 {
		return strconv.Itoa(m) + " minutes"
	}
	return "1 minute"
}
