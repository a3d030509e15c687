package web

import (
	"errors"
	"net/http"

	"procura/account"
	"procura/problem"
	"procura/templates"
)

// handleInvitationPage shows an invited person the form to set their
// password, or says clearly why the link does not open.
func (s *Server) handleInvitationPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	in, err := s.directory.OpenInvitationLink(r.Context(), token)
	if err != nil {
		s.invitationRefused(w, r, err)
		return
	}
	s.renderInvitation(w, r, http.StatusOK, in, token, "")
}

func (s *Server) renderInvitation(w http.ResponseWriter, r *http.Request, status int, in account.Invitee, token, message string) {
	tok, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, &templates.InvitationPage{
		Layout: templates.Layout{Title: "Invitation", CSRFToken: tok}, GivenName: in.Account.GivenName, Email: in.Account.Email,
		Organisation: in.Organisation.Name, Token: token, Error: message,
	})
}

// invitationRefused explains an expired, used or unknown link.
func (s *Server) invitationRefused(w http.ResponseWriter, r *http.Request, err error) {
	page := &templates.InvitationRefusedPage{Layout: templates.Layout{Title: "Invitation"}, Message: problem.MessageOf(err)}
	status := http.StatusGone
	switch {
	case errors.Is(err, account.ErrInvitationExpired):
		page.Heading = "Ce lien d'invitation a expiré"
	case errors.Is(err, account.ErrInvitationUsed):
		page.Heading = "Ce lien d'invitation a déjà été utilisé"
	case errors.Is(err, account.ErrInvitationInvalid):
		page.Heading, status = "Ce lien d'invitation n'est pas valide", http.StatusNotFound
	default:
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, status, page)
}

// handleInvitationAccept sets the password, then leads to the enrolment
// of an authenticator app, as at a first sign-in.
func (s *Server) handleInvitationAccept(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	token := r.PathValue("token")
	a, err := s.directory.AcceptInvitation(r.Context(), token, form.Get("password"), form.Get("confirm"))
	if problem.CodeOf(err) == problem.Invalid {
		in, oerr := s.directory.OpenInvitationLink(r.Context(), token)
		if oerr != nil {
			s.invitationRefused(w, r, oerr)
			return
		}
		s.renderInvitation(w, r, http.StatusBadRequest, in, token, problem.MessageOf(err))
		return
	}
	if err != nil {
		s.invitationRefused(w, r, err)
		return
	}
	s.beginPendingEnrolment(w, r, a.ID)
}
