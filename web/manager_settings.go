package web

import (
	"net/http"
	"net/url"
	"slices"

	"procura/account"
	"procura/mandate"
	"procura/problem"
	"procura/procedure"
	"procura/templates"
)

// handleManagerSettings shows the organisation's name, SIRET and allowed
// procedures.
func (s *Server) handleManagerSettings(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	o := mc.Current.Organisation
	notice := ""
	if form.Get("fait") == "1" {
		notice = "Les réglages de l'organisation sont enregistrés."
	}
	// One of the page's three forms posted after the session ended comes
	// back as typed (form_saved.go).
	name, checked := o.Name, o.Procedures
	var thresholds *templates.AlertThresholdsForm
	var contact *templates.OrganisationContactForm
	if kept, ok := s.savedFormFor(w, r, mc.Account.ID, PathManagerSettings); ok {
		name, checked = kept.Get("name"), kept["procedure"]
	} else if kept, ok := s.savedFormFor(w, r, mc.Account.ID, PathManagerAlertThresholds); ok {
		f := thresholdsForm(kept)
		thresholds = &f
	} else if kept, ok := s.savedFormFor(w, r, mc.Account.ID, PathManagerOrganisationContact); ok {
		f := contactForm(account.Contact{Address: kept.Get("adresse"), Email: kept.Get("courriel"),
			DPOName: kept.Get("dpo_nom"), DPOEmail: kept.Get("dpo_courriel")})
		contact = &f
	}
	s.renderSettings(w, r, mc, http.StatusOK, name, checked, "", notice, thresholds, contact)
}

// renderSettings shows the settings page; thresholds is the alerts' form
// as typed, or nil for the stored thresholds; contact likewise for the
// contact details.
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, mc managerCaller, status int, name string, checked []string,
	message, notice string, thresholds *templates.AlertThresholdsForm, contact *templates.OrganisationContactForm) {
	active, err := s.mandates.ActivePermissionsByProcedure(r.Context(), mc.m.OrganisationID, s.now())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if thresholds == nil {
		t, changed, err := s.oversight.Thresholds(r.Context(), mc.m)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		values := url.Values{}
		for k, v := range t.Values() {
			values.Set(k, v)
		}
		form := thresholdsForm(values)
		if !changed.At.IsZero() {
			form.Changed = mandate.FrenchDateTime(changed.At, paris())
			if a, err := s.directory.Account(r.Context(), changed.By); err == nil {
				form.Changed += " par " + a.Name()
			}
		}
		if r.URL.Query().Get("seuils") == "1" {
			form.Notice = "Les seuils des alertes sont enregistrés ; ils s'appliquent dès le prochain calcul des alertes."
		}
		thresholds = &form
	}
	if contact == nil {
		stored, err := s.storedContactForm(r, mc.m.OrganisationID)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		contact = &stored
	}
	page := &templates.ManagerSettingsPage{
		Layout: templates.Layout{Title: "Organisation"}, Nav: s.nav(mc, "organisation"),
		Name: name, SIRET: mc.Current.Organisation.SIRET, Error: message, Notice: notice, Thresholds: *thresholds,
		Contact: *contact,
	}
	allowed := mc.Current.Organisation.Procedures
	for _, p := range procedure.All() {
		sp := templates.SettingsProcedure{ProcedureView: templates.ProcedureView{ID: p.ID, Label: p.Label, Warning: p.Warning},
			Checked: slices.Contains(checked, p.ID), ActivePermissions: active[p.ID]}
		page.Procedures = append(page.Procedures, sp)
		if !slices.Contains(allowed, p.ID) && active[p.ID] > 0 {
			page.Kept = append(page.Kept, sp)
		}
	}
	s.render(w, r, status, page)
}

// handleManagerSettingsSave changes the name and allowed procedures.
func (s *Server) handleManagerSettingsSave(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	_, err := s.directory.UpdateOrganisation(r.Context(), mc.m, account.OrganisationSettings{Name: form.Get("name"), Procedures: form["procedure"]})
	if problem.CodeOf(err) == problem.Invalid {
		s.renderSettings(w, r, mc, http.StatusBadRequest, form.Get("name"), form["procedure"], problem.MessageOf(err), "", nil, nil)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathManagerSettings+"?fait=1", http.StatusSeeOther)
}
