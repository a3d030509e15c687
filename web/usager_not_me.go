package web

import (
	"errors"
	"net/http"

	"procura/mandate"
	"procura/problem"
	"procura/procedure"
	"procura/templates"
)

// "Ce n'était pas moi": every message to a usager about a mandate carries a
// link (notice.Links.NotMe) bound to that mandate by an HMAC. The link's
// page keeps the mandate in the session and asks for a FranceConnect
// identification; back from it, the identified usager sees the mandate —
// only if they gave it (mandate.ErrNotTheUsager otherwise) — and confirms:
// mandate.Registry.Suspend revokes it at once with its tokens and tells the
// structure, in one transaction with the audit entries.

// keyNotMe holds the mandate of a "Ce n'était pas moi" link during the
// identification.
const keyNotMe = "not_me_mandate"

// purposeNotMe: the identification continues to the suspension.
const purposeNotMe = "not_me"

// errNotMeLink refuses a link whose token does not match its mandate
// (altered, truncated).
var errNotMeLink = problem.New(problem.NotFound,
	"Ce lien « Ce n'était pas moi » n'est pas valide : il a peut-être été coupé ou modifié. "+
		"Copiez l'adresse complète depuis le courriel, ou révoquez le mandat depuis votre espace usager.")

// handleNotMePage checks the link, keeps its mandate in the session and
// explains what follows.
func (s *Server) handleNotMePage(w http.ResponseWriter, r *http.Request) {
	id, tok := r.URL.Query().Get("mandat"), r.URL.Query().Get("jeton")
	if !s.notices.Links().CheckNotMe(id, tok) {
		s.serveError(w, r, errNotMeLink)
		return
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sess.Values[keyNotMe] = id
	if err := s.sessions.Save(r, w, sess); err != nil {
		s.serveError(w, r, err)
		return
	}
	csrf, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, &templates.NotMePage{Layout: templates.Layout{Title: "Ce n'était pas moi", CSRFToken: csrf},
		Action: PathNotMe})
}

// handleNotMeIdentify starts the FranceConnect identification of the
// usager who followed the link.
func (s *Server) handleNotMeIdentify(w http.ResponseWriter, r *http.Request) {
	if _, err := s.notMeMandate(r); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.beginIdentification(w, r, purposeNotMe)
}

// notMeMandate is the mandate of the link followed in this session.
func (s *Server) notMeMandate(r *http.Request) (string, error) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		return "", err
	}
	id, _ := sess.Values[keyNotMe].(string)
	if id == "" {
		return "", errNotMeLink
	}
	return id, nil
}

// handleNotMeConfirmPage shows the identified usager the mandate of the
// link, if they gave it.
func (s *Server) handleNotMeConfirmPage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.loadUsager(w, r)
	if !ok {
		return
	}
	id, err := s.notMeMandate(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	m, err := s.mandates.MandateOfUsager(r.Context(), u.ID, id)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	csrf, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page := &templates.NotMeConfirmPage{Layout: templates.Layout{Title: "Suspendre le mandat", CSRFToken: csrf, SignedInName: u.Name(),
		SignOutAction: PathUsagerSignOut}, Action: PathNotMeConfirm,
		Organisation: newNames(s).organisation(r.Context(), m.OrganisationID), Signed: mandate.FrenchDate(m.SignedAt, paris()),
		Expires: mandate.FrenchDateTime(m.ExpiresAt, paris()), Revoked: m.RevokedAt != nil}
	for _, p := range m.Permissions {
		proc, _ := procedure.ByID(p.Procedure)
		page.Procedures = append(page.Procedures, proc.Label)
	}
	s.render(w, r, http.StatusOK, page)
}

// handleNotMeConfirm suspends the mandate of the link for the identified
// usager, then shows their space.
func (s *Server) handleNotMeConfirm(w http.ResponseWriter, r *http.Request) {
	u, ok := s.loadUsager(w, r)
	if !ok {
		return
	}
	id, err := s.notMeMandate(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	_, err = s.mandates.Suspend(r.Context(), u.ID, id)
	if errors.Is(err, mandate.ErrAlreadyRevoked) {
		// Ended meanwhile: the page says so.
		http.Redirect(w, r, PathNotMeConfirm, http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	delete(sess.Values, keyNotMe)
	if err := s.sessions.Save(r, w, sess); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathUsagerSpace+"?suspendu=1", http.StatusSeeOther)
}
