package web

import (
	"errors"
	"net/http"

	"procura/notice"
	"procura/problem"
	"procura/templates"
)

// errUnsubscribeLink refuses an unsubscribe link whose token does not match.
var errUnsubscribeLink = problem.New(problem.NotFound,
	"Ce lien de désabonnement n'est pas valide : il a peut-être été coupé ou modifié. "+
		"Copiez l'adresse complète depuis le courriel, ou arrêtez les courriels depuis votre espace usager.")

// unsubscribeUsager is the usager of a valid unsubscribe link.
func (s *Server) unsubscribeUsager(r *http.Request) (string, error) {
	id, tok := r.URL.Query().Get("usager"), r.URL.Query().Get("jeton")
	if !s.notices.Links().CheckUnsubscribe(id, tok) {
		return "", errUnsubscribeLink
	}
	return id, nil
}

// handleUnsubscribePage shows the one button that stops the messages: the
// link itself changes nothing, since mail scanners follow links.
func (s *Server) handleUnsubscribePage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.unsubscribeUsager(r); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, &templates.UnsubscribePage{Layout: templates.Layout{Title: "Ne plus recevoir de courriels"},
		Action: r.URL.RequestURI(), Stopped: r.URL.Query().Has("fait")})
}

// handleUnsubscribe stops the messages of the link's usager: the button of
// the page, or a mail client's one-click POST (RFC 8058). The link's token
// is the credential, so this route is exempt from the session's CSRF
// token (a mail client has no session); it only ever stops messages.
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	id, err := s.unsubscribeUsager(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.notices.Stop(r.Context(), id, "link"); err != nil && !errors.Is(err, notice.ErrAlreadyStopped) {
		s.serveError(w, r, err)
		return
	}
	if r.PostFormValue("List-Unsubscribe") == "One-Click" {
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, r, r.URL.Path+"?"+r.URL.RawQuery+"&fait=1", http.StatusSeeOther)
}

// handleUsagerStopEmail stops the messages from the usager's space.
func (s *Server) handleUsagerStopEmail(w http.ResponseWriter, r *http.Request) {
	if _, err := parseForm(r, s.settings.MaxBodyBytes); err != nil {
		s.serveError(w, r, err)
		return
	}
	u, ok := s.loadUsager(w, r)
	if !ok {
		return
	}
	if err := s.notices.Stop(r.Context(), u.ID, "space"); err != nil && !errors.Is(err, notice.ErrAlreadyStopped) {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathUsagerSpace+"?courriels=arretes", http.StatusSeeOther)
}
