package web

import (
	"crypto/subtle"
	"net/http"

	"procura/problem"
)

// csrfField is the hidden form field carrying the token.
const csrfField = "csrf_token"

// checkCSRF lets safe requests (GET, HEAD, OPTIONS) through and requires of
// every other one that it
//   - is not a cross-origin browser request (http.CrossOriginProtection:
//     Sec-Fetch-Site, else Origin against Host), and
//   - carries in its form the token kept in the session (synchronizer token
//     pattern, OWASP CSRF cheat sheet), or, for a session that keeps no
//     token, the anonymous token of its cookie (double-submit; see
//     SessionStore.CSRFToken), compared in constant time.
//
// A refusal is ErrCSRF: the handler does not run, so nothing is stored.
func (s *Server) checkCSRF(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if err := s.cop.Check(r); err != nil {
		return &problem.Error{Code: ErrCSRF.Code, Message: ErrCSRF.Message, Err: err}
	}
	if err := readForm(r, s.settings.MaxBodyBytes); err != nil {
		return err
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		return err
	}
	want, _ := sess.Values[keyCSRF].(string)
	if want == "" {
		want = s.sessions.anonymousCSRFCookie(r)
	}
	got := r.PostForm.Get(csrfField)
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return ErrCSRF
	}
	return nil
}
