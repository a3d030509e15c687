package notice

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
)

// Paths of the pages the links of a usager's messages open (web serves
// them; notice does not import web).
const (
	// NotMePath: "Ce n'était pas moi", ?mandat=<id>&jeton=<token>.
	NotMePath = "/usager/pas-moi"
	// UnsubscribePath: stop the messages, ?usager=<id>&jeton=<token>.
	UnsubscribePath = "/usager/courriels/arret"
)

// Links makes and checks the links of a usager's messages. A link is bound
// to what it acts on (a mandate, a usager) by an HMAC-SHA256 under a key
// derived from the master key: it cannot be guessed nor moved to another
// mandate. It grants nothing by itself: "Ce n'était pas moi" still asks
// the usager to identify with FranceConnect, and stopping the messages is
// all the unsubscribe link can do.
type Links struct {
	key     []byte
	baseURL string
}

// NewLinks returns the links of messages leading to baseURL.
func NewLinks(masterKey []byte, baseURL string) (*Links, error) {
	if len(masterKey) != 32 {
		return nil, errors.New("notice: master key must be 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, masterKey, nil, "procura usager message links", 32)
	if err != nil {
		return nil, err
	}
	return &Links{key: key, baseURL: baseURL}, nil
}

const (
	purposeNotMe       = "not-me"
	purposeUnsubscribe = "unsubscribe"
)

func (l *Links) token(purpose, subject string) string {
	mac := hmac.New(sha256.New, l.key)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(subject))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (l *Links) check(purpose, subject, token string) bool {
	if subject == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(l.token(purpose, subject)), []byte(token))
}

// NotMe is the "Ce n'était pas moi" link of a mandate.
func (l *Links) NotMe(mandateID string) string {
	return l.baseURL + NotMePath + "?" + url.Values{"mandat": {mandateID}, "jeton": {l.token(purposeNotMe, mandateID)}}.Encode()
}

// CheckNotMe reports whether token is the "Ce n'était pas moi" link's of
// mandateID.
func (l *Links) CheckNotMe(mandateID, token string) bool {
	return l.check(purposeNotMe, mandateID, token)
}

// Unsubscribe is the link that stops a usager's messages.
func (l *Links) Unsubscribe(usagerID string) string {
	return l.baseURL + UnsubscribePath + "?" + url.Values{"usager": {usagerID}, "jeton": {l.token(purposeUnsubscribe, usagerID)}}.Encode()
}

// CheckUnsubscribe reports whether token is the unsubscribe link's of
// usagerID.
func (l *Links) CheckUnsubscribe(usagerID, token string) bool {
	return l.check(purposeUnsubscribe, usagerID, token)
}
