package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"procura/authz"
	"procura/problem"
)

// A service's authorization request waits for the aidant's choice in a
// cookie of its own, sealed (AES-256-GCM, key derived from the master key)
// so that it can be neither read nor forged: the authorization step then
// writes nothing to the database, and the choice forgets it by expiring the
// cookie. The cookie holds no secret of ours (the request's parameters and
// its time); ResumeAuthorize validates it again and bounds its age.
const (
	securePendingCookie   = "__Host-procura-authz"
	insecurePendingCookie = "procura_authz"
	// pendingCookieMax bounds the cookie's value, below the 4 KiB that
	// browsers keep for a cookie with its name and attributes.
	pendingCookieMax = 3800
	// pendingSealContext binds the sealed value to its use.
	pendingSealContext = "pending authorization request"
)

var (
	errNoPendingAuthorize = problem.New(problem.Invalid,
		"Aucune demande de connexion d'un service n'est en cours, ou elle a expiré. Retournez sur le site du service et recommencez.")
	// errPendingTooLarge goes back to the service as invalid_request.
	errPendingTooLarge = problem.New(problem.Invalid, "authorization request too large")
)

func (s *Server) pendingCookieName() string {
	if s.settings.SecureCookies {
		return securePendingCookie
	}
	return insecurePendingCookie
}

// keepPending sets the cookie holding p; errPendingTooLarge when it would
// not fit in a cookie.
func (s *Server) keepPending(w http.ResponseWriter, p authz.PendingAuthorize) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	value := base64.RawURLEncoding.EncodeToString(s.pendingSealer.Seal(b, []byte(pendingSealContext)))
	if len(value) > pendingCookieMax {
		return errPendingTooLarge
	}
	http.SetCookie(w, s.pendingCookie(value, 0))
	return nil
}

// pending returns the request waiting in the browser's cookie, or
// errNoPendingAuthorize.
func (s *Server) pending(r *http.Request) (authz.PendingAuthorize, error) {
	var p authz.PendingAuthorize
	c, err := r.Cookie(s.pendingCookieName())
	if err != nil || len(c.Value) > pendingCookieMax {
		return p, errNoPendingAuthorize
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return p, errNoPendingAuthorize
	}
	b, err := s.pendingSealer.Open(sealed, []byte(pendingSealContext))
	if err != nil || json.Unmarshal(b, &p) != nil {
		return p, errNoPendingAuthorize
	}
	return p, nil
}

// hasPending reports whether a service's request waits (the sign-in then
// continues to the choice).
func (s *Server) hasPending(r *http.Request) bool {
	_, err := s.pending(r)
	return err == nil
}

// forgetPending expires the cookie.
func (s *Server) forgetPending(w http.ResponseWriter) {
	http.SetCookie(w, s.pendingCookie("", -1))
}

// pendingCookie has no Max-Age (the request's own age is bounded by
// ResumeAuthorize); maxAge < 0 deletes it.
func (s *Server) pendingCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.pendingCookieName(), Value: value, Path: "/", MaxAge: maxAge,
		Secure: s.settings.SecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}
