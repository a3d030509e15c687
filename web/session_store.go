package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"procura/account"
	"procura/db"
)

// SessionStore keeps web sessions in the web_sessions table; it is a
// gorilla/sessions Store.
//
// Contract:
//   - The cookie holds only a random 32-byte id (base64url); the table holds
//     its SHA-256, so reading the table gives no usable cookie.
//   - A session ends when unused for the idle timeout (last_seen_at + idle)
//     or at its absolute end (created_at + max age). When an ended session
//     is next presented, the request gets a new, empty one, and its row's
//     data is erased (PurgeExpired erases it too, later, for sessions
//     nobody presents): the bare row (id hash, account id, times) stays for
//     endedKeep, so that the sign-in page can say why the session ended and
//     a form posted after the end can be kept for the same account
//     (endedSession).
//   - A deleted row is a signed-out session: EndAccountSessions deletes an
//     account's rows, which signs it out on its next request, and Save never
//     brings a deleted row back.
//   - A row is written only when a session has something to store, so
//     anonymous visits (static files, public pages) write nothing.
//   - last_seen_at is written at most once per touchInterval, so a signed-in
//     person's requests do not each cost a write; the idle timeout is thus
//     exact to within that interval.
//   - Times come from the injected clock.
type SessionStore struct {
	db     *db.DB
	now    func() time.Time
	idle   time.Duration
	maxAge time.Duration
	secure bool
	name   string
}

var (
	_ sessions.Store   = (*SessionStore)(nil)
	_ account.Sessions = (*SessionStore)(nil)
)

const touchInterval = time.Minute

// endedKeep is how long the bare row of an ended session is kept (its data
// erased) before PurgeExpired deletes it: long enough for a person back
// the next morning to be told why they must sign in again.
const endedKeep = 24 * time.Hour

// erasedData is the data of an ended session's row.
var erasedData = []byte("{}")

// Why a session presented by the browser has ended, as the sign-in page's
// "fin" parameter says it.
const (
	endIdle     = "inactivite" // unused for the idle timeout
	endAbsolute = "duree"      // reached its absolute end
	endClosed   = "fermee"     // its row was deleted: signed out, or ended by the account package (deactivation, new password or card)
)

// endedSession is what the store knows of a session the browser presented
// but that has ended: why, and whose it was (for an account's session
// ended by a timeout; "" otherwise).
type endedSession struct {
	reason    string
	accountID string
}

// Session cookie names. The __Host- prefix makes browsers refuse the cookie
// unless it is Secure, has Path=/ and no Domain: no subdomain or plain-http
// page can set or shadow it.
const (
	secureCookieName   = "__Host-procura"
	insecureCookieName = "procura_session"
)

// NewSessionStore returns the store of the web_sessions table of d.
func NewSessionStore(d *db.DB, now func() time.Time, st Settings) *SessionStore {
	name := insecureCookieName
	if st.SecureCookies {
		name = secureCookieName
	}
	return &SessionStore{db: d, now: now, idle: st.SessionIdleTimeout, maxAge: st.SessionMaxAge,
		secure: st.SecureCookies, name: name}
}

// Name is the session cookie's name.
func (st *SessionStore) Name() string { return st.name }

// sessionRow is a row of web_sessions.
type sessionRow struct {
	IDHash     []byte `gorm:"primaryKey"`
	AccountID  *string
	Data       []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

func (sessionRow) TableName() string { return "web_sessions" }

// Get returns the request's session, loading it once per request (the
// middleware caches it in the request's context).
func (st *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	c, ok := r.Context().Value(sessionCacheKey{}).(*sessionCache)
	if !ok {
		return st.New(r, name)
	}
	if !c.loaded {
		c.session, c.err = st.New(r, name)
		c.loaded = true
	}
	return c.session, c.err
}

// New loads the session named by the request's cookie, or returns a new
// empty one (IsNew) when there is no cookie, no such row, or the session
// has ended. As the Store interface asks, the session is never nil, even
// with an error.
func (st *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	s := st.newSession(name)
	if name != st.name {
		return s, fmt.Errorf("web: session store serves cookie %q, not %q", st.name, name)
	}
	cookie, err := r.Cookie(name)
	if err != nil {
		return s, nil
	}
	hash, ok := hashSessionID(cookie.Value)
	if !ok {
		return s, nil // not an id we made
	}
	ctx := r.Context()
	var row sessionRow
	res := st.db.Conn(ctx).Raw("SELECT data, account_id, created_at, last_seen_at FROM web_sessions WHERE id_hash = ?", hash).Find(&row)
	if res.Error != nil {
		return s, fmt.Errorf("web: load session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		noteEnded(r, endedSession{reason: endClosed})
		return s, nil
	}
	now := st.now()
	if !now.Before(st.expiresAt(row.CreatedAt, row.LastSeenAt)) {
		if !bytes.Equal(row.Data, erasedData) {
			if err := st.db.Conn(ctx).Exec("UPDATE web_sessions SET data = ? WHERE id_hash = ?", erasedData, hash).Error; err != nil {
				return s, fmt.Errorf("web: erase ended session: %w", err)
			}
		}
		ended := endedSession{reason: endIdle}
		if !now.Before(row.CreatedAt.Add(st.maxAge)) {
			ended.reason = endAbsolute
		}
		if row.AccountID != nil {
			ended.accountID = *row.AccountID
		}
		noteEnded(r, ended)
		return s, nil
	}
	values, err := decodeValues(row.Data)
	if err != nil {
		return s, fmt.Errorf("web: session data: %w", err)
	}
	if now.Sub(row.LastSeenAt) >= touchInterval {
		err := st.db.Conn(ctx).Exec("UPDATE web_sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?",
			now.UTC(), st.expiresAt(row.CreatedAt, now).UTC(), hash).Error
		if err != nil {
			return s, fmt.Errorf("web: touch session: %w", err)
		}
	}
	s.ID = cookie.Value
	s.Values = values
	s.IsNew = false
	return s, nil
}

// Save writes the session: a new row (and the cookie) for a new session
// with values, the values of an existing one, or, when Options.MaxAge < 0,
// deletes it and expires the cookie. A new session without values is not
// written. Saving a session whose row was deleted meanwhile fails with
// ErrSessionEnded rather than bring it back.
func (st *SessionStore) Save(r *http.Request, w http.ResponseWriter, s *sessions.Session) error {
	ctx := r.Context()
	if s.Options != nil && s.Options.MaxAge < 0 {
		if hash, ok := hashSessionID(s.ID); ok {
			if err := st.deleteRow(ctx, hash); err != nil {
				return err
			}
		}
		http.SetCookie(w, st.cookie("", -1))
		s.ID, s.Values, s.IsNew = "", map[any]any{}, true
		return nil
	}
	data, err := encodeValues(s.Values)
	if err != nil {
		return err
	}
	if s.ID == "" {
		if len(s.Values) == 0 {
			return nil
		}
		id, err := st.insertRow(ctx, s.Values, data)
		if err != nil {
			return err
		}
		s.ID, s.IsNew = id, false
		http.SetCookie(w, st.cookie(id, 0))
		return nil
	}
	hash, ok := hashSessionID(s.ID)
	if !ok {
		return fmt.Errorf("web: session id %q was not made by this store", s.ID)
	}
	res := st.db.Conn(ctx).Exec("UPDATE web_sessions SET data = ?, account_id = ? WHERE id_hash = ?",
		data, accountIDColumn(s.Values), hash)
	if res.Error != nil {
		return fmt.Errorf("web: save session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrSessionEnded
	}
	return nil
}

// insertRow writes a new row under a fresh id and returns the id. The
// session begins now: its absolute end counts from here.
func (st *SessionStore) insertRow(ctx context.Context, values map[any]any, data []byte) (string, error) {
	id, hash := newSessionID()
	now := st.now().UTC()
	row := sessionRow{IDHash: hash, AccountID: accountIDColumn(values), Data: data,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: st.expiresAt(now, now).UTC()}
	if err := st.db.Conn(ctx).Create(&row).Error; err != nil {
		return "", fmt.Errorf("web: create session: %w", err)
	}
	return id, nil
}

func (st *SessionStore) deleteRow(ctx context.Context, hash []byte) error {
	if err := st.db.Conn(ctx).Exec("DELETE FROM web_sessions WHERE id_hash = ?", hash).Error; err != nil {
		return fmt.Errorf("web: delete session: %w", err)
	}
	return nil
}

// EndAccountSessions deletes every session of accountID (in ctx's
// transaction, if any) and returns how many there were: account calls it
// when it deactivates the account (account.Sessions).
func (st *SessionStore) EndAccountSessions(ctx context.Context, accountID string) (int64, error) {
	res := st.db.Conn(ctx).Exec("DELETE FROM web_sessions WHERE account_id = ?", accountID)
	if res.Error != nil {
		return 0, fmt.Errorf("web: end sessions of an account: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// PurgeExpired erases the data of the sessions that have ended (New erases
// it when the browser presents one), deletes the rows of those that ended
// more than endedKeep ago, and returns how many rows it erased or deleted.
// Run it from time to time; several instances may run it at once.
// expires_at is kept in UTC, whose SQLite text form sorts in time order.
func (st *SessionStore) PurgeExpired(ctx context.Context) (int64, error) {
	now := st.now().UTC()
	erased := st.db.Conn(ctx).Exec("UPDATE web_sessions SET data = ? WHERE expires_at <= ? AND data <> ?", erasedData, now, erasedData)
	if erased.Error != nil {
		return 0, fmt.Errorf("web: erase ended sessions: %w", erased.Error)
	}
	deleted := st.db.Conn(ctx).Exec("DELETE FROM web_sessions WHERE expires_at <= ?", now.Add(-endedKeep))
	if deleted.Error != nil {
		return 0, fmt.Errorf("web: purge sessions: %w", deleted.Error)
	}
	return erased.RowsAffected + deleted.RowsAffected, nil
}

// expiresAt is when a session created and last seen at these times ends:
// the earlier of its idle end and its absolute end.
func (st *SessionStore) expiresAt(created, lastSeen time.Time) time.Time {
	idleEnd, absoluteEnd := lastSeen.Add(st.idle), created.Add(st.maxAge)
	if idleEnd.Before(absoluteEnd) {
		return idleEnd
	}
	return absoluteEnd
}

func (st *SessionStore) newSession(name string) *sessions.Session {
	s := sessions.NewSession(st, name)
	s.IsNew = true
	s.Options = &sessions.Options{Path: "/", Secure: st.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	return s
}

// cookie is the session cookie carrying id. It has no Max-Age (maxAge 0):
// it ends with the browser, and the server enforces both timeouts anyway.
// maxAge < 0 deletes it.
func (st *SessionStore) cookie(id string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: st.name, Value: id, Path: "/", MaxAge: maxAge,
		Secure: st.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// newSessionID returns a fresh id (the cookie value) and its hash (the key
// of its row).
func newSessionID() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(b), sum[:]
}

// hashSessionID returns the row key of a cookie value, or false for a value
// that is not a 32-byte id.
func hashSessionID(id string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != 32 {
		return nil, false
	}
	sum := sha256.Sum256(b)
	return sum[:], true
}

// accountIDColumn is the account_id of a row: the signed-in account, or
// NULL.
func accountIDColumn(values map[any]any) *string {
	if id, ok := values[keyAccountID].(string); ok && id != "" {
		return &id
	}
	return nil
}
