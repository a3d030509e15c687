package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"procura/audit"
	"procura/franceconnect"
	"procura/identity"
	"procura/templates"
)

// Session keys of a FranceConnect identification in progress. The flow
// (state, nonce) stays server-side, bound to this browser's session.
const (
	keyFCFlow    = "fc_flow"
	keyFCPurpose = "fc_purpose"
	keyFCLogout  = "fc_logout_state"
	keyFCNext    = "fc_logout_next"
)

// Purposes of an identification: where the callback continues.
const purposeUsagerSpace = "usager_space"

// handleUsagerLanding shows the usager space's door; a signed-in usager
// goes straight in.
func (s *Server) handleUsagerLanding(w http.ResponseWriter, r *http.Request) {
	if _, err := s.sessions.UsagerID(r); err == nil {
		http.Redirect(w, r, PathUsagerSpace, http.StatusSeeOther)
		return
	}
	tok, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page := &templates.UsagerLandingPage{Layout: templates.Layout{Title: "Espace usager", CSRFToken: tok}}
	if r.URL.Query().Get("fin") == "1" {
		page.Notice = "Vous êtes déconnecté de votre espace usager."
	}
	s.render(w, r, http.StatusOK, page)
}

// handleUsagerSignIn starts a FranceConnect identification for the usager
// space.
func (s *Server) handleUsagerSignIn(w http.ResponseWriter, r *http.Request) {
	s.beginIdentification(w, r, purposeUsagerSpace)
}

// beginIdentification keeps a new flow in the session and sends the browser
// to the provider.
func (s *Server) beginIdentification(w http.ResponseWriter, r *http.Request, purpose string) {
	flow, authURL, err := s.franceConnect.Begin(r.Context())
	if err != nil {
		s.identificationFailed(w, r, purpose, err)
		return
	}
	encoded, err := json.Marshal(flow)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sess.Values[keyFCFlow] = string(encoded)
	sess.Values[keyFCPurpose] = purpose
	if err := s.sessions.Save(r, w, sess); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// handleFranceConnectCallback ends an identification: the flow is taken out
// of the session first (a replayed callback finds none), then the client
// verifies everything and the usager is recorded. Whatever fails is shown
// on a clear page and audited, and nothing else is stored.
func (s *Server) handleFranceConnectCallback(w http.ResponseWriter, r *http.Request) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	var flow franceconnect.Flow
	if encoded, ok := sess.Values[keyFCFlow].(string); ok {
		json.Unmarshal([]byte(encoded), &flow) // a broken value is the zero Flow: refused below
	}
	purpose, _ := sess.Values[keyFCPurpose].(string)
	delete(sess.Values, keyFCFlow)
	delete(sess.Values, keyFCPurpose)
	if err := s.sessions.Save(r, w, sess); err != nil {
		s.serveError(w, r, err)
		return
	}
	id, evidence, err := s.franceConnect.Complete(r.Context(), flow, r.URL.Query())
	if err != nil && purpose == "" {
		// No identification of ours was under way in this session (a
		// forged, stale or replayed callback): it names no one and changes
		// nothing, so it is logged, not journaled.
		s.identificationRefused(w, r, err)
		return
	}
	if err != nil {
		s.identificationFailed(w, r, purpose, err)
		return
	}
	switch purpose {
	case purposeUsagerSpace:
		s.usagerIdentified(w, r, id, evidence)
	case purposeMandate:
		s.mandateUsagerIdentified(w, r, id, evidence)
	case purposeNotMe:
		s.notMeUsagerIdentified(w, r, id, evidence)
	default:
		s.identificationFailed(w, r, purpose, franceconnect.ErrState)
	}
}

// usagerIdentified records the usager, signs them in to their space on a
// fresh session id, and ends their FranceConnect session: the provider
// sends the browser back to /franceconnect/deconnexion, then to the space.
func (s *Server) usagerIdentified(w http.ResponseWriter, r *http.Request, id identity.Identity, ev franceconnect.Evidence) {
	if _, err := s.usagers.SignIn(r.Context(), id, s.sessions.of(w, r)); err != nil {
		s.identificationFailed(w, r, purposeUsagerSpace, err)
		return
	}
	s.endFranceConnectSession(w, r, ev.IDToken, PathUsagerSpace)
}

// notMeUsagerIdentified signs the usager in to their space, as
// usagerIdentified does, then goes on to the suspension of the mandate of
// the "Ce n'était pas moi" link, which checks that they gave it.
func (s *Server) notMeUsagerIdentified(w http.ResponseWriter, r *http.Request, id identity.Identity, ev franceconnect.Evidence) {
	if _, err := s.usagers.SignIn(r.Context(), id, s.sessions.of(w, r)); err != nil {
		s.identificationFailed(w, r, purposeNotMe, err)
		return
	}
	s.endFranceConnectSession(w, r, ev.IDToken, PathNotMeConfirm)
}

// endFranceConnectSession sends the browser to the provider's logout, which
// returns to /franceconnect/deconnexion with a state kept in the session;
// next is where that page then goes.
func (s *Server) endFranceConnectSession(w http.ResponseWriter, r *http.Request, idToken, next string) {
	state := franceconnect.NewState()
	logoutURL := s.franceConnect.LogoutURL(idToken, state)
	if logoutURL == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sess.Values[keyFCLogout] = state
	sess.Values[keyFCNext] = next
	if err := s.sessions.Save(r, w, sess); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, logoutURL, http.StatusSeeOther)
}

// handleFranceConnectLogoutReturn continues after the provider ended its
// session. The destination comes from the session, never from the URL (no
// open redirect); an unknown state just goes to the usager space's door.
func (s *Server) handleFranceConnectLogoutReturn(w http.ResponseWriter, r *http.Request) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	want, _ := sess.Values[keyFCLogout].(string)
	next, _ := sess.Values[keyFCNext].(string)
	delete(sess.Values, keyFCLogout)
	delete(sess.Values, keyFCNext)
	if err := s.sessions.Save(r, w, sess); err != nil {
		s.serveError(w, r, err)
		return
	}
	if want == "" || r.URL.Query().Get("state") != want || next == "" {
		next = PathUsagerLanding
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// identificationRefused shows why a callback for no flow of ours was
// refused, and notes it as noise (web/noise.go).
func (s *Server) identificationRefused(w http.ResponseWriter, r *http.Request, cause error) {
	s.noise.note(r, s.clientIP(r), "franceconnect_callback_without_flow", franceconnect.Reason(cause))
	view := errorViewOf(cause)
	s.render(w, r, view.status, &templates.IdentificationErrorPage{
		Layout:  templates.Layout{Title: "Identification non aboutie"},
		Message: view.message, Retry: "/usager",
	})
}

// identificationFailed audits a failed identification (reason only, no
// personal data) and shows why in French.
func (s *Server) identificationFailed(w http.ResponseWriter, r *http.Request, purpose string, cause error) {
	reason := franceconnect.Reason(cause)
	if err := s.usagers.RecordIdentificationFailure(r.Context(), reason, purpose); err != nil {
		s.serveError(w, r, errors.Join(cause, err))
		return
	}
	s.log.Warn("identification failed", "reason", reason, "err", cause, "request_id", audit.RequestID(r.Context()))
	view := errorViewOf(cause)
	retry := PathUsagerLanding
	if purpose == purposeMandate {
		retry = PathMandateNew
	}
	s.render(w, r, view.status, &templates.IdentificationErrorPage{
		Layout:  templates.Layout{Title: "Identification non aboutie"},
		Message: view.message, Retry: retry,
	})
}

// handleUsagerSignOut ends the usager's session, with its audit entry.
func (s *Server) handleUsagerSignOut(w http.ResponseWriter, r *http.Request) {
	id, err := s.sessions.UsagerID(r)
	switch {
	case errors.Is(err, ErrNotSignedIn):
		err = s.sessions.Destroy(w, r)
	case err == nil:
		err = s.usagers.EndSession(r.Context(), id, "sign_out", s.sessions.of(w, r))
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathUsagerLanding+"?fin=1", http.StatusSeeOther)
}
