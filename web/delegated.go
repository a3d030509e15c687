package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"procura/authz"
	"procura/problem"
	"procura/procedure"
	"procura/templates"
)

// The delegated login: a service sends the aidant to /oidc/authorize; the
// request waits in a sealed cookie (pending_cookie.go) while they sign in
// (if needed) and choose the usager and the procedure on /oidc/choix. The
// provider owns the use case (authz.Provider Choices, Choose, Cancel): these
// handlers parse, call and render.
const keyAuthTime = "auth_time"

// authMethods are the RFC 8176 methods of an aidant's sign-in.
var authMethods = []string{"pwd", "otp", "mfa"}

// handleAuthorize receives a service's authorization request. It writes
// nothing to the database: the request waits in a cookie.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ar, err := s.provider.ParseAuthorize(r.Context(), r)
	if err != nil {
		if ar != nil {
			s.provider.WriteAuthorizeError(w, r, ar, err)
			return
		}
		s.serveError(w, r, err)
		return
	}
	if ar.PromptNone() {
		if _, err := s.sessions.AccountID(r); err != nil {
			s.provider.LoginRequired(w, r, ar)
			return
		}
		// The aidant must always choose the usager: nothing can be done
		// without showing a page.
		s.provider.InteractionRequired(w, r, ar)
		return
	}
	if err := s.keepPending(w, ar.Pending()); err != nil {
		if errors.Is(err, errPendingTooLarge) {
			s.provider.WriteAuthorizeError(w, r, ar, authz.ErrRequestTooLarge)
			return
		}
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathChoice, http.StatusSeeOther)
}

// currentAidant is the signed-in aidant as the session knows them, or
// ok=false after sending the browser to sign in (for the service's
// request, which waits).
func (s *Server) currentAidant(w http.ResponseWriter, r *http.Request) (authz.Aidant, bool) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return authz.Aidant{}, false
	}
	id, _ := sess.Values[keyAccountID].(string)
	org, _ := sess.Values[keyOrganisationID].(string)
	authTime, _ := sess.Values[keyAuthTime].(int64)
	if id == "" || org == "" {
		http.Redirect(w, r, PathSignIn+"?service=1", http.StatusSeeOther)
		return authz.Aidant{}, false
	}
	return authz.Aidant{ID: id, OrganisationID: org, AuthTime: time.Unix(authTime, 0), AMR: authMethods}, true
}

// handleChoicePage lists the usagers the aidant may act for at the service.
func (s *Server) handleChoicePage(w http.ResponseWriter, r *http.Request) {
	pending, err := s.pending(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	a, ok := s.currentAidant(w, r)
	if !ok {
		return
	}
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	search := strings.TrimSpace(form.Get("q"))
	choice, err := s.provider.Choices(r.Context(), pending, a, search)
	if errors.Is(err, authz.ErrAuthenticationRequired) {
		http.Redirect(w, r, PathSignIn+"?service=1", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderChoice(w, r, choice, search, http.StatusOK, "")
}

func (s *Server) renderChoice(w http.ResponseWriter, r *http.Request, c authz.Choice, search string, status int, message string) {
	page := &templates.DelegatedChoicePage{Layout: templates.Layout{Title: "Choix de l'usager", SignedInName: c.AidantName},
		Service: c.Service, Organisation: c.OrganisationName, Search: search, Error: message}
	if c.Refusal != nil {
		page.Refusal = problem.MessageOf(c.Refusal)
	}
	for _, u := range c.Usagers {
		row := templates.ChoiceUsager{Name: u.GivenName + " " + u.FamilyName, Birthdate: bornOn(u.Birthdate)}
		for _, p := range u.Permissions {
			proc, _ := procedure.ByID(p.Procedure)
			row.Procedures = append(row.Procedures, templates.ChoiceProcedure{PermissionID: p.ID, Label: proc.Label, Warning: proc.Warning})
		}
		page.Usagers = append(page.Usagers, row)
	}
	tok, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page.CSRFToken = tok
	s.render(w, r, status, page)
}

// handleChoice issues the code under the chosen permission, or ends the
// request with access_denied when the aidant cancels.
func (s *Server) handleChoice(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	pending, err := s.pending(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	a, ok := s.currentAidant(w, r)
	if !ok {
		return
	}
	var redirect string
	if cancel := form.Get("cancel"); cancel != "" {
		reason := authz.CancelByAidant
		if cancel == "nobody" {
			reason = authz.CancelNobodyToActOf
		}
		redirect, err = s.provider.Cancel(r.Context(), pending, a, reason)
	} else {
		redirect, err = s.provider.Choose(r.Context(), pending, a, form.Get("permission_id"))
	}
	switch {
	case errors.Is(err, authz.ErrAuthenticationRequired):
		http.Redirect(w, r, PathSignIn+"?service=1", http.StatusSeeOther)
		return
	case err != nil && problem.CodeOf(err) != problem.Internal && !errors.Is(err, errNoPendingAuthorize):
		// Refused (and recorded): the request waits, the aidant may
		// choose again.
		choice, cerr := s.provider.Choices(r.Context(), pending, a, "")
		if cerr != nil {
			s.serveError(w, r, err)
			return
		}
		s.renderChoice(w, r, choice, "", statusOf(err), problem.MessageOf(err))
		return
	case err != nil:
		s.serveError(w, r, err)
		return
	}
	s.forgetPending(w)
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// statusOf is the HTTP status of a refused choice.
func statusOf(err error) int {
	if problem.CodeOf(err) == problem.Invalid {
		return http.StatusBadRequest
	}
	return http.StatusForbidden
}

// handleOIDCLogout is the end_session endpoint (RP-Initiated Logout): a
// request naming the aidant's session (id_token_hint) ends it at once;
// otherwise the aidant confirms first.
func (s *Server) handleOIDCLogout(w http.ResponseWriter, r *http.Request) {
	l, err := s.provider.ParseLogout(r.Context(), r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	accountID, notSignedIn := s.sessions.AccountID(r)
	if notSignedIn == nil && !(l.HasHint && l.ConcernsAidant(accountID)) {
		tok, err := s.sessions.CSRFToken(w, r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		page := &templates.LogoutConfirmPage{Layout: templates.Layout{Title: "Déconnexion", CSRFToken: tok}, Query: r.URL.RawQuery}
		if l.Client != nil {
			page.Service = l.Client.Name
		}
		s.render(w, r, http.StatusOK, page)
		return
	}
	s.endSessionAndReturn(w, r, l)
}

// handleOIDCLogoutConfirm ends the session after the aidant confirmed.
func (s *Server) handleOIDCLogoutConfirm(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	q, err := url.ParseQuery(form.Get("query"))
	if err != nil {
		s.serveError(w, r, ErrMalformedForm)
		return
	}
	replay := r.Clone(r.Context())
	replay.Method, replay.URL.RawQuery, replay.Body, replay.Form, replay.PostForm = http.MethodGet, q.Encode(), http.NoBody, nil, nil
	l, err := s.provider.ParseLogout(r.Context(), replay)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.endSessionAndReturn(w, r, l)
}

// endSessionAndReturn ends the aidant's session (audited) and returns to
// the service's registered URI, or to the sign-in page.
func (s *Server) endSessionAndReturn(w http.ResponseWriter, r *http.Request, l *authz.LogoutRequest) {
	if err := s.endAidantSession(w, r, "rp_logout"); err != nil {
		s.serveError(w, r, err)
		return
	}
	if l.RedirectURI != "" {
		http.Redirect(w, r, l.RedirectURI, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, PathSignIn+"?fin=1", http.StatusSeeOther)
}
