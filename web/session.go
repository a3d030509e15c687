package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"

	"github.com/gorilla/sessions"

	"procura/account"
	"procura/usager"
)

// Keys of the values the web package keeps in a session. Handlers may add
// their own (string keys; string, bool or int64 values).
const (
	keyAccountID = "account_id"
	keyUsagerID  = "usager_id"
	keyCSRF      = "csrf_token"
)

type sessionCacheKey struct{}

// sessionCache holds the session of one request, loaded at most once.
type sessionCache struct {
	loaded  bool
	session *sessions.Session
	err     error
	// anonymousCSRF is the anonymous token set in this request's response.
	anonymousCSRF string
	// ended is set when the browser presented a session that has ended.
	ended *endedSession
}

// noteEnded remembers, for the rest of the request, that the session the
// browser presented has ended, and why.
func noteEnded(r *http.Request, e endedSession) {
	if c, ok := r.Context().Value(sessionCacheKey{}).(*sessionCache); ok {
		c.ended = &e
	}
}

// Ended reports whether the browser presented a session that has ended
// (loading the request's session if not done yet), and why.
func (st *SessionStore) Ended(r *http.Request) (endedSession, bool) {
	if _, err := st.Session(r); err != nil {
		return endedSession{}, false
	}
	c, ok := r.Context().Value(sessionCacheKey{}).(*sessionCache)
	if !ok || c.ended == nil {
		return endedSession{}, false
	}
	return *c.ended, true
}

// cachePerRequest gives each request a place for its session, so that the
// CSRF check, the handler and the layout share one load. Nothing is read
// from the database until someone asks for the session.
func (st *SessionStore) cachePerRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), sessionCacheKey{}, &sessionCache{})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Session returns the request's session (new and empty for an anonymous
// visitor). Change its Values, then call Save(r, w, s) before writing the
// response.
func (st *SessionStore) Session(r *http.Request) (*sessions.Session, error) {
	return st.Get(r, st.name)
}

// AccountID returns the id of the signed-in account, or ErrNotSignedIn.
func (st *SessionStore) AccountID(r *http.Request) (string, error) {
	s, err := st.Session(r)
	if err != nil {
		return "", err
	}
	if id, ok := s.Values[keyAccountID].(string); ok && id != "" {
		return id, nil
	}
	return "", ErrNotSignedIn
}

// Rotate moves the session to a fresh id and signs accountID in: the old
// row is deleted and a new one written in one transaction (joining the
// caller's, if r's context carries one), the values are kept, the CSRF token
// is renewed, and the absolute timeout starts again. Call it at sign-in,
// once the credentials are checked, so that an id planted or seen before
// sign-in (session fixation) is worthless after it. The new cookie is sent
// once the rows are written; inside a caller's transaction that is before
// its commit.
func (st *SessionStore) Rotate(w http.ResponseWriter, r *http.Request, accountID string) error {
	if accountID == "" {
		return fmt.Errorf("web: Rotate needs an account id")
	}
	return st.rotate(w, r, keyAccountID, accountID)
}

// RotateUsager is Rotate for a usager signing in to their space: the
// session moves to a fresh id and carries the usager's pseudonym.
func (st *SessionStore) RotateUsager(w http.ResponseWriter, r *http.Request, usagerID string) error {
	if usagerID == "" {
		return fmt.Errorf("web: RotateUsager needs a usager id")
	}
	return st.rotate(w, r, keyUsagerID, usagerID)
}

// UsagerID returns the pseudonym of the usager signed in to their space,
// or ErrNotSignedIn.
func (st *SessionStore) UsagerID(r *http.Request) (string, error) {
	s, err := st.Session(r)
	if err != nil {
		return "", err
	}
	if id, ok := s.Values[keyUsagerID].(string); ok && id != "" {
		return id, nil
	}
	return "", ErrNotSignedIn
}

func (st *SessionStore) rotate(w http.ResponseWriter, r *http.Request, key, id string) error {
	s, err := st.Session(r)
	if err != nil {
		return err
	}
	values := maps.Clone(s.Values)
	values[key] = id
	values[keyCSRF] = newCSRFToken()
	data, err := encodeValues(values)
	if err != nil {
		return err
	}
	oldHash, hadRow := hashSessionID(s.ID)
	var newID string
	err = st.db.InTx(r.Context(), func(ctx context.Context) error {
		if hadRow {
			if err := st.deleteRow(ctx, oldHash); err != nil {
				return err
			}
		}
		newID, err = st.insertRow(ctx, values, data)
		return err
	})
	if err != nil {
		return err
	}
	s.ID, s.Values, s.IsNew = newID, values, false
	http.SetCookie(w, st.cookie(newID, 0))
	return nil
}

// requestSession is one request's session as the domain packages see it
// (account.Session, usager.Session): they begin or end it inside the
// transaction of the act that they record.
type requestSession struct {
	st *SessionStore
	w  http.ResponseWriter
	r  *http.Request
}

var (
	_ account.Session = requestSession{}
	_ usager.Session  = requestSession{}
)

// of is the session of the request r, answered on w.
func (st *SessionStore) of(w http.ResponseWriter, r *http.Request) requestSession {
	return requestSession{st: st, w: w, r: r}
}

// BeginAccount signs an account in on a fresh session id (Rotate), in its
// organisation, forgetting a pending enrolment.
func (rs requestSession) BeginAccount(ctx context.Context, in account.SignedIn) error {
	s, err := rs.st.Session(rs.r)
	if err != nil {
		return err
	}
	for _, k := range []string{keyPendingAccount, keyPendingSince, keyPendingTOTP, keyOrganisationID} {
		delete(s.Values, k)
	}
	if in.OrganisationID != "" {
		s.Values[keyOrganisationID] = in.OrganisationID
	}
	s.Values[keyAuthTime] = in.AuthTime.Unix()
	return rs.st.Rotate(rs.w, rs.r.WithContext(ctx), in.AccountID)
}

// SwitchOrganisation makes organisationID the signed-in account's current
// organisation.
func (rs requestSession) SwitchOrganisation(ctx context.Context, organisationID string) error {
	s, err := rs.st.Session(rs.r)
	if err != nil {
		return err
	}
	s.Values[keyOrganisationID] = organisationID
	return rs.st.Save(rs.r.WithContext(ctx), rs.w, s)
}

// BeginUsager signs a usager in to their space on a fresh session id.
func (rs requestSession) BeginUsager(ctx context.Context, usagerID string) error {
	return rs.st.RotateUsager(rs.w, rs.r.WithContext(ctx), usagerID)
}

// End deletes the session (Destroy).
func (rs requestSession) End(ctx context.Context) error {
	return rs.st.Destroy(rs.w, rs.r.WithContext(ctx))
}

// Destroy ends the session: its row is deleted (in the transaction of r's
// context, if any), its cookie expired, and the request continues with an
// empty session. Call it at sign-out.
func (st *SessionStore) Destroy(w http.ResponseWriter, r *http.Request) error {
	s, err := st.Session(r)
	if err != nil {
		return err
	}
	s.Options.MaxAge = -1
	err = st.Save(r, w, s)
	s.Options.MaxAge = 0
	return err
}

// CSRFToken returns the CSRF token for the page's forms. Handlers of pages
// with a form put it in the page's Layout.CSRFToken.
//
// A session that keeps something (signed in, or a journey under way) holds
// its token in its row (synchronizer token), created if needed. An
// anonymous visitor with nothing kept gets no row: the token lives in a
// cookie of its own that the form must repeat (double-submit; the cookie is
// __Host- over https, so no other site or subdomain can set it, and
// http.CrossOriginProtection refuses cross-origin posts anyway). So anonymous
// page views write nothing to the database.
func (st *SessionStore) CSRFToken(w http.ResponseWriter, r *http.Request) (string, error) {
	s, err := st.Session(r)
	if err != nil {
		return "", err
	}
	if tok, ok := s.Values[keyCSRF].(string); ok && tok != "" {
		return tok, nil
	}
	if s.ID == "" && len(s.Values) == 0 {
		return st.anonymousCSRFToken(w, r), nil
	}
	tok := newCSRFToken()
	s.Values[keyCSRF] = tok
	if err := st.Save(r, w, s); err != nil {
		delete(s.Values, keyCSRF)
		return "", err
	}
	return tok, nil
}

// existingCSRFToken returns the session's CSRF token if it has one, else
// the anonymous one, without creating anything; "" otherwise (also when the
// session cannot be read).
func (st *SessionStore) existingCSRFToken(r *http.Request) string {
	s, err := st.Session(r)
	if err != nil {
		return ""
	}
	if tok, _ := s.Values[keyCSRF].(string); tok != "" {
		return tok
	}
	return st.anonymousCSRFCookie(r)
}

// Anonymous CSRF tokens (CSRFToken): a cookie holding a random token.
const (
	secureCSRFCookie   = "__Host-procura-csrf"
	insecureCSRFCookie = "procura_csrf"
)

func (st *SessionStore) csrfCookieName() string {
	if st.secure {
		return secureCSRFCookie
	}
	return insecureCSRFCookie
}

// anonymousCSRFToken returns the request's anonymous token, setting its
// cookie if the browser has none.
func (st *SessionStore) anonymousCSRFToken(w http.ResponseWriter, r *http.Request) string {
	if tok := st.anonymousCSRFCookie(r); tok != "" {
		return tok
	}
	c, _ := r.Context().Value(sessionCacheKey{}).(*sessionCache)
	if c != nil && c.anonymousCSRF != "" {
		return c.anonymousCSRF
	}
	tok := newCSRFToken()
	if c != nil {
		c.anonymousCSRF = tok
	}
	http.SetCookie(w, &http.Cookie{Name: st.csrfCookieName(), Value: tok, Path: "/", Secure: st.secure, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
	return tok
}

// anonymousCSRFCookie returns the anonymous token the browser sent, if well
// formed.
func (st *SessionStore) anonymousCSRFCookie(r *http.Request) string {
	c, err := r.Cookie(st.csrfCookieName())
	if err != nil {
		return ""
	}
	if b, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil || len(b) != 32 {
		return ""
	}
	return c.Value
}

func newCSRFToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
