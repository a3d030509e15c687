package demoservice

import (
	"crypto/subtle"
	"net/http"
	"net/url"
)

// logout ends the service's session and sends the browser to Procura's
// end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0 §2) with
// the ID token as id_token_hint, the registered post-logout redirect URI
// and a state checked on return. It is a POST: SameSite=Lax keeps the
// session cookie off a cross-site form, so no other site can log the
// usager out.
func (s *Service) logout(w http.ResponseWriter, r *http.Request) {
	sess, err := s.readSession(r)
	if err != nil || sess.User == nil {
		s.clearSession(w)
		http.Redirect(w, r, s.basePath+"/", http.StatusSeeOther)
		return
	}
	party, err := s.relyingParty(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	endpoint, err := url.Parse(party.GetEndSessionEndpoint())
	if err != nil || party.GetEndSessionEndpoint() == "" {
		// Nowhere to end Procura's session: end ours.
		s.log.Warn("demo-service: no usable end_session_endpoint; local logout only")
		s.clearSession(w)
		http.Redirect(w, r, s.basePath+"/", http.StatusSeeOther)
		return
	}
	state := randomToken()
	if err := s.writeSession(w, session{LogoutState: state}, pendingLifetime); err != nil {
		s.fail(w, r, err)
		return
	}
	q := endpoint.Query()
	q.Set("id_token_hint", sess.User.IDToken)
	q.Set("client_id", s.cfg.ClientID)
	q.Set("post_logout_redirect_uri", s.PostLogoutRedirectURI())
	q.Set("state", state)
	endpoint.RawQuery = q.Encode()
	s.log.Info("demo-service: logout started", "sub", sess.User.Subject)
	http.Redirect(w, r, endpoint.String(), http.StatusSeeOther)
}

// loggedOut is the post-logout redirect URI: Procura sends the browser back
// with the state of the logout this browser asked for.
func (s *Service) loggedOut(w http.ResponseWriter, r *http.Request) {
	sess, err := s.readSession(r)
	if err != nil || sess.LogoutState == "" {
		s.fail(w, r, wrapError(errNoLogoutInProgress, err))
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(sess.LogoutState)) != 1 {
		s.fail(w, r, errLogoutStateMismatch)
		return
	}
	s.clearSession(w)
	s.render(w, http.StatusOK, "loggedout", s.pageData("Déconnexion"))
}
