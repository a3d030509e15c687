package web

import (
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"procura/account"
	"procura/mandate"
	"procura/procedure"
	"procura/templates"
)

// caller is the signed-in person and the organisation they work for now.
type caller struct {
	Account     account.Account
	Current     account.Membership
	Memberships []account.Membership
}

// loadCaller returns the signed-in caller, or sends the browser to the
// sign-in page and returns ok=false.
func (s *Server) loadCaller(w http.ResponseWriter, r *http.Request) (caller, bool) {
	accountID, err := s.sessions.AccountID(r)
	if errors.Is(err, ErrNotSignedIn) {
		s.redirectToSignIn(w, r)
		return caller{}, false
	}
	if err != nil {
		s.serveError(w, r, err)
		return caller{}, false
	}
	a, err := s.directory.Account(r.Context(), accountID)
	if err == nil && !a.Active {
		err = account.ErrInactive
	}
	var ms []account.Membership
	if err == nil {
		ms, err = s.directory.Memberships(r.Context(), accountID)
	}
	if err != nil {
		s.serveError(w, r, err)
		return caller{}, false
	}
	if len(ms) == 0 {
		s.serveError(w, r, account.ErrNotMember)
		return caller{}, false
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return caller{}, false
	}
	current, _ := sess.Values[keyOrganisationID].(string)
	i := slices.IndexFunc(ms, func(m account.Membership) bool { return m.Organisation.ID == current })
	if i < 0 {
		i = 0 // the membership was removed meanwhile: fall back to the first
	}
	return caller{Account: a, Current: ms[i], Memberships: ms}, true
}

// roleLabels names roles in French.
var roleLabels = map[account.Role]string{account.RoleAidant: "aidant", account.RoleManager: "responsable de structure"}

// handleAidantHome shows the caller's current organisation, the other ones
// they can switch to, and what they may do there.
func (s *Server) handleAidantHome(w http.ResponseWriter, r *http.Request) {
	c, ok := s.loadCaller(w, r)
	if !ok {
		return
	}
	page := &templates.AidantHomePage{
		Layout:       templates.Layout{Title: "Accueil aidant"},
		GivenName:    c.Account.GivenName,
		Organisation: organisationView(c.Current.Organisation),
		Habilitated:  c.Current.Has(account.RoleAidant) && c.Account.Habilitated(s.now()),
		IsManager:    c.Current.Has(account.RoleManager),
		IsAidant:     c.Current.Has(account.RoleAidant),
	}
	if c.Account.HabilitatedUntil != nil {
		page.HabilitatedUntil = frenchDay(*c.Account.HabilitatedUntil)
	}
	for _, role := range c.Current.Roles {
		page.Roles = append(page.Roles, roleLabels[role])
	}
	for _, m := range c.Memberships {
		if m.Organisation.ID != c.Current.Organisation.ID {
			page.Others = append(page.Others, organisationView(m.Organisation))
		}
	}
	for _, id := range c.Current.Organisation.Procedures {
		if p, ok := procedure.ByID(id); ok {
			page.Procedures = append(page.Procedures, templates.ProcedureView{ID: p.ID, Label: p.Label, Warning: p.Warning})
		}
	}
	if r.URL.Query().Get("organisation") == "changee" {
		page.Notice = "Vous travaillez maintenant pour " + c.Current.Organisation.Name + "."
	}
	s.render(w, r, http.StatusOK, page)
}

// handleSwitchOrganisation makes another of the caller's organisations the
// current one; an organisation they are not a member of is refused (404)
// and audited.
func (s *Server) handleSwitchOrganisation(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	c, ok := s.loadCaller(w, r)
	if !ok {
		return
	}
	_, err = s.directory.SwitchOrganisation(r.Context(), c.Account.ID, c.Current.Organisation.ID, form.Get("organisation_id"),
		s.sessions.of(w, r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathAidantHome+"?organisation=changee", http.StatusSeeOther)
}

func organisationView(o account.Organisation) templates.OrganisationView {
	return templates.OrganisationView{ID: o.ID, Name: o.Name, SIRET: o.SIRET}
}

// paris is the time zone dates are shown in (mandate.Paris; cmd/procura
// embeds time/tzdata, so the fallback is for test binaries without it).
var paris = sync.OnceValue(func() *time.Location {
	if loc, err := mandate.Paris(); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
})
