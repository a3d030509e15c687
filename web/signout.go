package web

import (
	"context"
	"errors"
	"net/http"

	"procura/audit"
)

// handleSignOut ends the session (the header's "Se déconnecter" button):
// the row is deleted and the act recorded in one transaction, then the
// person is sent to the sign-in page with a notice. Signing out without being signed in
// just clears the session.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	accountID, err := s.sessions.AccountID(r)
	signedIn := err == nil
	if err != nil && !errors.Is(err, ErrNotSignedIn) {
		s.serveError(w, r, err)
		return
	}
	err = s.db.InTx(r.Context(), func(ctx context.Context) error {
		if err := s.sessions.Destroy(w, r.WithContext(ctx)); err != nil {
			return err
		}
		if !signedIn {
			return nil
		}
		return s.journal.Record(ctx, audit.Entry{
			Action: audit.ActionSessionEnded, ActorKind: audit.ActorAidant, ActorID: accountID,
			Details: map[string]string{"reason": "sign_out"},
		})
	})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/connexion?fin=1", http.StatusSeeOther)
}
