package authz

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ory/fosite"
)

// maxClientIDLength bounds a client_id: ours are at most a few dozen
// characters.
const maxClientIDLength = 255

// plausibleClientID reports whether id can name a client at all: valid
// UTF-8 without NUL, at most maxClientIDLength bytes. Anything else is an
// unknown client, never a query PostgreSQL refuses (a 5xx).
func plausibleClientID(id string) bool {
	return id != "" && len(id) <= maxClientIDLength && utf8.ValidString(id) && !strings.ContainsRune(id, 0)
}

// Client assertions (private_key_jwt, RFC 7523 §3) must be valid now, for
// at most maxAssertionLifetime: a long-lived assertion is a reusable
// credential. assertionLeeway absorbs the service's clock skew.
const (
	maxAssertionLifetime = time.Hour
	assertionLeeway      = time.Minute
)

// errAssertionTime refuses an assertion outside its validity (invalid_client,
// RFC 7523 §3.2), with a description that tells the service why.
func errAssertionTime(hint string) error {
	return fosite.ErrInvalidClient.WithHint("The client assertion " + hint + ".")
}

// checkAssertionTimes reads the times of the form's client assertion, if
// any, before fosite verifies its signature: exp is required, in the future
// and at most maxAssertionLifetime ahead; nbf and iat not in the future.
// fosite's own checks answer these cases with a server error.
func checkAssertionTimes(form url.Values, now time.Time) error {
	assertion := form.Get("client_assertion")
	if assertion == "" {
		return nil
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errAssertionTime("is not a compact JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errAssertionTime("is not a compact JWT")
	}
	var claims struct {
		Exp, Nbf, Iat *json.Number
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return errAssertionTime("has unreadable claims")
	}
	at := func(n *json.Number) (time.Time, bool) {
		if n == nil {
			return time.Time{}, false
		}
		f, err := n.Float64()
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(int64(f), 0), true
	}
	exp, ok := at(claims.Exp)
	switch {
	case !ok:
		return errAssertionTime("has no exp")
	case !exp.After(now.Add(-assertionLeeway)):
		return errAssertionTime("has expired")
	case exp.After(now.Add(maxAssertionLifetime + assertionLeeway)):
		return errAssertionTime("is valid for more than one hour")
	}
	if nbf, ok := at(claims.Nbf); ok && nbf.After(now.Add(assertionLeeway)) {
		return errAssertionTime("is not valid yet (nbf)")
	}
	if iat, ok := at(claims.Iat); ok && iat.After(now.Add(assertionLeeway)) {
		return errAssertionTime("is issued in the future (iat)")
	}
	return nil
}

// checkClientCredentials refuses, before any database work, the client
// credentials of r that cannot be right: an implausible client_id (form or
// Basic header) or a client assertion outside its validity.
func (p *Provider) checkClientCredentials(r *http.Request) error {
	if id, _, ok := r.BasicAuth(); ok {
		if unescaped, err := url.QueryUnescape(id); err != nil || !plausibleClientID(unescaped) {
			return fosite.ErrInvalidClient.WithHint("The client_id is not a client of this provider.")
		}
	}
	if id := r.PostForm.Get("client_id"); id != "" && !plausibleClientID(id) {
		return fosite.ErrInvalidClient.WithHint("The client_id is not a client of this provider.")
	}
	return checkAssertionTimes(r.PostForm, p.now())
}
