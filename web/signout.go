package web

import (
	"context"
	"errors"
	"net/http"

	"procura/audit"
)

// handleSignOut ends the session (the header's "Se déconnecter" button)
// and sends the person to the sign-in page with a notice.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if err := s.endAidantSession(w, r, "sign_out"); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/connexion?fin=1", http.StatusSeeOther)
}

// endAidantSession deletes the session's row and records the act in one
// transaction. Ending a session nobody signed in to just clears it.
func (s *Server) endAidantSession(w http.ResponseWriter, r *http.Request, reason string) error {
	accountID, err := s.sessions.AccountID(r)
	signedIn := err == nil
	if err != nil && !errors.Is(err, ErrNotSignedIn) {
		return err
	}
	return s.db.InTx(r.Context(), func(ctx context.Context) error {
		if err := s.sessions.Destroy(w, r.WithContext(ctx)); err != nil {
			return err
		}
		if !signedIn {
			return nil
		}
		return s.journal.Record(ctx, audit.Entry{
			Action: audit.ActionSessionEnded, ActorKind: audit.ActorAidant, ActorID: accountID,
			Details: map[string]string{"reason": reason},
		})
	})
}
