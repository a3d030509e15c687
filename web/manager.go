package web

import (
	"net/http"
	"net/url"
	"time"

	"procura/account"
	"procura/audit"
	"procura/templates"
)

// route is one line of a route table: a ServeMux pattern and its handler.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// managerRoutes is the manager space's route table, all under
// PathManager; routes() mounts it. Every handler loads the caller with
// loadManager, and every domain function it calls checks the manager
// again and scopes the ids it is given to the manager's organisation. The
// isolation test (manager_isolation_test.go) walks this table, so that a
// new route is tested as soon as it is added here.
func (s *Server) managerRoutes() []route {
	return []route{
		{"GET " + PathManager, s.handleManagerDashboard},
		{"GET " + PathManagerAidants, s.handleManagerAidants},
		{"GET " + PathManagerAidant("{id}"), s.handleManagerAidant},
		{"POST " + PathManagerHabilitation("{id}"), s.memberAct(recordHabilitation, "habilitation")},
		{"POST " + PathManagerHabilitationExtend("{id}"), s.memberAct(extendHabilitation, "prolongee")},
		{"POST " + PathManagerHabilitationEnd("{id}"), s.memberAct(endHabilitation, "terminee")},
		{"POST " + PathManagerDeactivate("{id}"), s.memberAct(deactivateMember, "desactive")},
		{"POST " + PathManagerReactivate("{id}"), s.memberAct(reactivateMember, "reactive")},
		{"POST " + PathManagerRole("{id}"), s.memberAct(setRole, "role")},
		{"POST " + PathManagerRemove("{id}"), s.memberAct(removeMember, "retire")},
		{"POST " + PathManagerTOTPReset("{id}"), s.memberAct(resetTOTP, "totp")},
		{"POST " + PathManagerCardLink("{id}"), s.memberAct(linkCard, "carte")},
		{"POST " + PathManagerCardUnlink("{id}"), s.memberAct(unlinkCard, "carte_retiree")},
		{"GET " + PathManagerNewMember, s.handleManagerNewMember},
		{"POST " + PathManagerAddExisting, s.handleManagerAddExisting},
		{"POST " + PathManagerInvitations, s.handleManagerInvite},
		{"POST " + PathManagerInvitationResend("{id}"), s.handleManagerInvitationResend},
		{"POST " + PathManagerInvitationCancel("{id}"), s.handleManagerInvitationCancel},
		{"GET " + PathManagerSettings, s.handleManagerSettings},
		{"POST " + PathManagerSettings, s.handleManagerSettingsSave},
		{"GET " + PathManagerJournal, s.handleManagerJournal},
		{"GET " + PathManagerJournalExport, s.handleManagerJournalExport},
		{"GET " + PathManagerAct("{id}"), s.handleManagerAct},
		{"GET " + PathManagerStatistics, s.handleManagerStatistics},
		{"GET " + PathManagerActReceipt("{id}"), s.handleManagerActReceipt},
		{"POST " + PathManagerAlertAcknowledge("{id}"), s.handleManagerAlertAcknowledge},
		{"POST " + PathManagerAlertThresholds, s.handleManagerAlertThresholds},
		{"POST " + PathManagerOrganisationContact, s.handleManagerOrganisationContact},
	}
}

// managerCaller is a signed-in manager of their current organisation.
type managerCaller struct {
	caller
	m account.Manager
}

// loadManager returns the caller if they are a manager of their current
// organisation; otherwise it answers (sign-in page, or 403) and returns
// ok=false.
func (s *Server) loadManager(w http.ResponseWriter, r *http.Request) (managerCaller, bool) {
	c, ok := s.loadCaller(w, r)
	if !ok {
		return managerCaller{}, false
	}
	m := account.Manager{AccountID: c.Account.ID, OrganisationID: c.Current.Organisation.ID}
	if !c.Current.Has(account.RoleManager) {
		s.serveError(w, r, account.ErrNotManager)
		return managerCaller{}, false
	}
	return managerCaller{caller: c, m: m}, true
}

// managerForm parses the request's form and loads the manager calling: the
// prologue of the manager space's handlers. false when it has answered.
func (s *Server) managerForm(w http.ResponseWriter, r *http.Request) (url.Values, managerCaller, bool) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return nil, managerCaller{}, false
	}
	mc, ok := s.loadManager(w, r)
	return form, mc, ok
}

// nav is the manager space's header for section active.
func (s *Server) nav(mc managerCaller, active string) templates.ManagerNav {
	n := templates.ManagerNav{Organisation: organisationView(mc.Current.Organisation), Active: active}
	switch {
	case !mc.Current.Has(account.RoleAidant):
		n.NotHabilitated = "Vous êtes responsable de structure sans rôle d'aidant : vous gérez l'équipe, mais vous ne pouvez ni recueillir de mandat ni agir pour un usager."
	case !mc.Account.Habilitated(s.now()):
		n.NotHabilitated = "Votre habilitation d'aidant n'est pas (ou plus) valable : vous gérez l'équipe, mais vous ne pouvez ni recueillir de mandat ni agir pour un usager tant qu'un responsable ne l'a pas enregistrée."
	}
	return n
}

// handleManagerDashboard shows the organisation's figures.
func (s *Server) handleManagerDashboard(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.loadManager(w, r)
	if !ok {
		return
	}
	ctx, now := r.Context(), s.now()
	team, err := s.directory.CountTeam(ctx, mc.m)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	mandates, err := s.mandates.CountMandates(ctx, mc.m.OrganisationID, now)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	logins, err := s.journal.CountSince(ctx, mc.m.OrganisationID, audit.ActionDelegatedLoginAuthorised, startOfWeek(now))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	alerts, err := s.oversight.Alerts(ctx, mc.m)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page := &templates.ManagerDashboardPage{
		Layout: templates.Layout{Title: "Tableau de bord"}, Nav: s.nav(mc, "tableau"),
		Active: team.Active, Expiring: team.Expiring, NotHabilitated: team.NotHabilitated, Deactivated: team.Deactivated,
		Invited: team.Invited, MandatesActive: mandates.Active, MandatesExpiring: mandates.Expiring, DelegatedLoginsThisWeek: logins,
		CanListMandates: mc.Current.Has(account.RoleAidant), MoreAlerts: alerts.MoreOpen, ThresholdsURL: PathManagerSettings + "#seuils",
	}
	if r.URL.Query().Get("alerte") == "prise-en-compte" {
		page.AlertNotice = "L'alerte est marquée comme prise en compte."
	}
	for _, a := range alerts.Open {
		page.Alerts = append(page.Alerts, alertView(a))
	}
	for _, a := range alerts.Acknowledged {
		page.Acknowledged = append(page.Acknowledged, alertView(a))
	}
	s.render(w, r, http.StatusOK, page)
}

// startOfWeek is Monday 00:00, Paris time, of the week of t.
func startOfWeek(t time.Time) time.Time {
	t = t.In(paris())
	days := (int(t.Weekday()) + 6) % 7
	y, m, d := t.AddDate(0, 0, -days).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, paris())
}
