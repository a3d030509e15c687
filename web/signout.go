package web

import (
	"errors"
	"net/http"
)

// handleSignOut ends the session (the header's "Se déconnecter" button)
// and sends the person to the sign-in page with a notice.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if err := s.endAidantSession(w, r, "sign_out"); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathSignIn+"?fin=1", http.StatusSeeOther)
}

// endAidantSession ends the session of the signed-in account (aidant or
// manager): account deletes it and records the act in one transaction.
// Ending a session nobody signed in to just clears it: there is no act.
func (s *Server) endAidantSession(w http.ResponseWriter, r *http.Request, reason string) error {
	accountID, err := s.sessions.AccountID(r)
	if errors.Is(err, ErrNotSignedIn) {
		return s.sessions.Destroy(w, r)
	}
	if err != nil {
		return err
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		return err
	}
	organisationID, _ := sess.Values[keyOrganisationID].(string)
	return s.directory.EndSession(r.Context(), accountID, organisationID, reason, s.sessions.of(w, r))
}
