package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// A form posted after its session ended fails the CSRF check: its token
// was the ended session's. Rather than a 403 that loses what was typed,
// such a post (from our own origin only) is answered with the sign-in page,
// and its fields are kept for the same account in a cookie of their own,
// sealed like the pending authorization request (pending_cookie.go): it can
// be neither read nor forged, and the database holds nothing. After
// sign-in, the page the form was on shows it again, pre-filled, for the
// person to check and send: a POST is never replayed. Not kept:
//   - secrets: passwords, TOTP codes, CSRF and other tokens (secretField);
//   - the fields of a session whose account is unknown (a usager's, one
//     closed by a sign-out, a deactivation or a new password): they would
//     be shown to whoever signs in next on the same computer;
//   - a form too large for a cookie, or older than savedFormTTL.
const (
	secureSavedFormCookie   = "__Host-procura-form"
	insecureSavedFormCookie = "procura_form"
	savedFormSealContext    = "form posted after its session ended"
	savedFormTTL            = 15 * time.Minute
)

// savedForm is what the cookie holds.
type savedForm struct {
	// AccountID is the account whose session ended: only it gets the
	// fields back.
	AccountID string `json:"a"`
	// Action is the path the form was posted to.
	Action  string     `json:"p"`
	Fields  url.Values `json:"f"`
	SavedAt time.Time  `json:"t"`
}

// secretField reports whether a field must never be kept: passwords, TOTP
// codes, tokens, secrets.
func secretField(name string) bool {
	n := strings.ToLower(name)
	for _, part := range []string{"password", "passe", "confirm", "code", "totp", "otp", "token", "jeton", "secret", csrfField} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

func (s *Server) savedFormCookieName() string {
	if s.settings.SecureCookies {
		return secureSavedFormCookie
	}
	return insecureSavedFormCookie
}

// postAfterSessionEnd answers a POST refused by the CSRF check (err) when
// the browser presented a session that has ended: the usager's space door
// for a usager's page, else the sign-in page saying why, continuing to the
// page the form was on, with the form's fields kept when the account is
// known. It reports false, answering nothing, for any other refusal (a
// cross-origin post above all).
func (s *Server) postAfterSessionEnd(w http.ResponseWriter, r *http.Request, err error) bool {
	if r.Method != http.MethodPost || !errors.Is(err, ErrCSRF) || s.cop.Check(r) != nil {
		return false
	}
	ended, ok := s.sessions.Ended(r)
	if !ok {
		return false
	}
	if strings.HasPrefix(r.URL.Path, "/usager/") {
		http.Redirect(w, r, PathUsagerLanding, http.StatusSeeOther)
		return true
	}
	returnTo := s.returnPathOf(r)
	kept := ended.accountID != "" && returnTo != "" && s.keepForm(w, r, ended.accountID)
	http.Redirect(w, r, signInURL(ended.reason, returnTo, kept), http.StatusSeeOther)
	return true
}

// keepForm seals the posted fields, secrets removed, in the cookie;
// false when there is nothing to keep or it would not fit.
func (s *Server) keepForm(w http.ResponseWriter, r *http.Request, accountID string) bool {
	fields := url.Values{}
	for name, values := range r.PostForm {
		if secretField(name) || !cleanText(name) {
			continue
		}
		for _, v := range values {
			if !cleanText(v) {
				return false
			}
		}
		fields[name] = values
	}
	if len(fields) == 0 {
		return false
	}
	b, err := json.Marshal(savedForm{AccountID: accountID, Action: r.URL.Path, Fields: fields, SavedAt: s.now()})
	if err != nil {
		return false
	}
	value := base64.RawURLEncoding.EncodeToString(s.pendingSealer.Seal(b, []byte(savedFormSealContext)))
	if len(value) > pendingCookieMax {
		return false
	}
	http.SetCookie(w, s.savedFormCookie(value, int(savedFormTTL/time.Second)))
	return true
}

// savedFormFor returns the fields kept for accountID's form posted to
// action, once: the cookie is then expired (also when it was kept for
// another account: someone else signed in). The page showing that form
// pre-fills it with them.
func (s *Server) savedFormFor(w http.ResponseWriter, r *http.Request, accountID, action string) (url.Values, bool) {
	c, err := r.Cookie(s.savedFormCookieName())
	if err != nil || len(c.Value) > pendingCookieMax {
		return nil, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil, false
	}
	b, err := s.pendingSealer.Open(sealed, []byte(savedFormSealContext))
	var f savedForm
	if err != nil || json.Unmarshal(b, &f) != nil {
		return nil, false
	}
	if f.Action != action && f.AccountID == accountID {
		return nil, false // kept for another page of theirs
	}
	http.SetCookie(w, s.savedFormCookie("", -1))
	if age := s.now().Sub(f.SavedAt); f.AccountID != accountID || age < 0 || age > savedFormTTL {
		return nil, false
	}
	return f.Fields, true
}

func (s *Server) savedFormCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.savedFormCookieName(), Value: value, Path: "/", MaxAge: maxAge,
		Secure: s.settings.SecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}
