package demoservice

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// cookieName names the one cookie of the service.
const cookieName = "demo_service_session"

// maxCookieSize is what browsers keep of one cookie (RFC 6265 §6.1 asks for
// at least 4096 bytes, name and attributes included).
const maxCookieSize = 3800

// Lifetimes of what the cookie holds.
const (
	pendingLifetime  = 10 * time.Minute // a login or a logout in progress
	signedInLifetime = 8 * time.Hour
)

// session is everything the service remembers of one browser. At most one
// of its parts is set at a time.
type session struct {
	Expires int64 `json:"exp"`
	// Login is the login in progress, from /connexion to /callback.
	Login *pendingLogin `json:"login,omitempty"`
	// User is what Procura sent, once signed in.
	User *signedIn `json:"user,omitempty"`
	// LogoutState is the state sent to end_session_endpoint, checked on
	// return at /deconnecte.
	LogoutState string `json:"logout_state,omitempty"`
}

// pendingLogin binds the callback to the browser that started the login
// (OpenID Connect Core 1.0 §3.1.2.1 state and nonce; RFC 7636 verifier).
type pendingLogin struct {
	State        string `json:"state"`
	Nonce        string `json:"nonce"`
	CodeVerifier string `json:"code_verifier"`
}

var errNoSession = errors.New("demoservice: no valid session cookie")

// sessionCodec seals sessions in an AES-256-GCM cookie: confidential (the
// claims are personal data) and authenticated (nobody can forge a state or
// a signed-in usager).
type sessionCodec struct {
	aead cipher.AEAD
	now  func() time.Time
}

func newSessionCodec(key []byte, now func() time.Time) (*sessionCodec, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("demoservice: CookieKey has %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sessionCodec{aead: aead, now: now}, nil
}

func (c *sessionCodec) seal(sess session) (string, error) {
	plain, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, c.aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := c.aead.Seal(nonce, nonce, plain, []byte(cookieName))
	value := base64.RawURLEncoding.EncodeToString(sealed)
	if len(value)+len(cookieName) > maxCookieSize {
		return "", fmt.Errorf("demoservice: session cookie of %d bytes, over %d", len(value), maxCookieSize)
	}
	return value, nil
}

func (c *sessionCodec) open(value string) (session, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(sealed) < c.aead.NonceSize() {
		return session{}, errNoSession
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, sealed[:n], sealed[n:], []byte(cookieName))
	if err != nil {
		return session{}, errNoSession
	}
	var sess session
	if err := json.Unmarshal(plain, &sess); err != nil {
		return session{}, errNoSession
	}
	if c.now().Unix() >= sess.Expires {
		return session{}, errNoSession
	}
	return sess, nil
}

// readSession returns the browser's session, or errNoSession.
func (s *Service) readSession(r *http.Request) (session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return session{}, errNoSession
	}
	return s.cookies.open(c.Value)
}

// writeSession replaces the browser's session with sess, valid for
// lifetime.
func (s *Service) writeSession(w http.ResponseWriter, sess session, lifetime time.Duration) error {
	sess.Expires = s.cfg.Now().Add(lifetime).Unix()
	value, err := s.cookies.seal(sess)
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(value, 0))
	return nil
}

func (s *Service) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie("", -1))
}

// cookie is scoped to the service's mount path. SameSite=Lax still sends it
// on the top-level GET by which Procura redirects the browser back.
func (s *Service) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    value,
		Path:     s.basePath + "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// randomToken returns 32 random bytes, base64url: 43 characters, above the
// 22 FranceConnect requires of state and nonce.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
