package web

import (
	"net/http"
	"net/url"
	"slices"

	"procura/account"
	"procura/problem"
	"procura/templates"
)

// handleManagerNewMember shows the forms to invite a person and to add an
// existing account.
func (s *Server) handleManagerNewMember(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.loadManager(w, r)
	if !ok {
		return
	}
	page := &templates.ManagerNewMemberPage{
		Layout: templates.Layout{Title: "Inviter ou ajouter"}, Nav: s.nav(mc, "nouveau"), RoleAidant: true,
	}
	// The invitation form posted after the session ended (form_saved.go).
	if form, ok := s.savedFormFor(w, r, mc.Account.ID, PathManagerInvitations); ok {
		page.GivenName, page.FamilyName, page.Email = form.Get("given_name"), form.Get("family_name"), form.Get("email")
		page.RoleAidant, page.RoleManager = slices.Contains(form["role"], "aidant"), slices.Contains(form["role"], "manager")
	}
	s.render(w, r, http.StatusOK, page)
}

func formRoles(form url.Values) []account.Role {
	var roles []account.Role
	for _, v := range form["role"] {
		roles = append(roles, account.Role(v))
	}
	return roles
}

// newMemberRefused shows the forms again with what was typed and the
// refusal, or the error page for what the manager cannot fix.
func (s *Server) newMemberRefused(w http.ResponseWriter, r *http.Request, mc managerCaller, form url.Values, existing bool, err error) {
	status := http.StatusBadRequest
	switch problem.CodeOf(err) {
	case problem.Invalid:
	case problem.Conflict:
		status = http.StatusConflict
	case problem.NotFound:
		if !existing {
			s.serveError(w, r, err)
			return
		}
		status = http.StatusNotFound
	default:
		s.serveError(w, r, err)
		return
	}
	page := &templates.ManagerNewMemberPage{Layout: templates.Layout{Title: "Inviter ou ajouter"}, Nav: s.nav(mc, "nouveau"), RoleAidant: true}
	if existing {
		page.ExistingEmail, page.ExistingError = form.Get("email"), problem.MessageOf(err)
	} else {
		roles := formRoles(form)
		page.Email, page.GivenName, page.FamilyName = form.Get("email"), form.Get("given_name"), form.Get("family_name")
		page.RoleAidant, page.RoleManager = slices.Contains(roles, account.RoleAidant), slices.Contains(roles, account.RoleManager)
		page.Error = problem.MessageOf(err)
	}
	s.render(w, r, status, page)
}

// handleManagerInvite creates an invitation and shows its link, once.
func (s *Server) handleManagerInvite(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	issued, err := s.directory.Invite(r.Context(), mc.m, account.NewInvitation{
		Email: form.Get("email"), GivenName: form.Get("given_name"), FamilyName: form.Get("family_name"), Roles: formRoles(form),
	})
	if err != nil {
		s.newMemberRefused(w, r, mc, form, false, err)
		return
	}
	s.renderInvitationLink(w, r, mc, issued)
}

func (s *Server) renderInvitationLink(w http.ResponseWriter, r *http.Request, mc managerCaller, issued account.Issued) {
	// The page carries a secret: not to be kept by any cache.
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, &templates.ManagerInvitationLinkPage{
		Layout: templates.Layout{Title: "Lien d'invitation"}, Nav: s.nav(mc, "aidants"),
		Name: issued.Account.Name(), Email: issued.Account.Email, Link: s.settings.BaseURL + PathInvitation(issued.Token),
		ExpiresAt: frenchMoment(issued.ExpiresAt),
	})
}

// handleManagerAddExisting adds an existing account, found by email.
func (s *Server) handleManagerAddExisting(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	a, err := s.directory.AddExistingMember(r.Context(), mc.m, form.Get("email"), formRoles(form))
	if err != nil {
		s.newMemberRefused(w, r, mc, form, true, err)
		return
	}
	http.Redirect(w, r, PathManagerAidant(a.ID)+"?fait=ajoute", http.StatusSeeOther)
}

// handleManagerInvitationResend gives an invitation a new link.
func (s *Server) handleManagerInvitationResend(w http.ResponseWriter, r *http.Request) {
	_, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	issued, err := s.directory.ResendInvitation(r.Context(), mc.m, r.PathValue("id"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderInvitationLink(w, r, mc, issued)
}

// handleManagerInvitationCancel cancels an invitation.
func (s *Server) handleManagerInvitationCancel(w http.ResponseWriter, r *http.Request) {
	_, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	if err := s.directory.CancelInvitation(r.Context(), mc.m, r.PathValue("id")); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathManagerAidants+"?fait=annulee", http.StatusSeeOther)
}
