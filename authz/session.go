// Package authz is Procura's OpenID Provider, built on ory/fosite: the
// storage fosite needs (on GORM, PostgreSQL or SQLite), the registered
// clients (services), and the session stored with every request.
package authz

import (
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Session is what Procura stores with every authorization code and token:
// the ID token claims and headers fosite fills in, and the delegated login it
// was issued for. Every field is an id (pseudonymous for people), never a
// name, so a stored session holds no personal data.
//
// The Procura ids are also copied to indexed columns when the request is
// stored, so that revoking a permission or a mandate revokes its tokens.
type Session struct {
	// DefaultSession carries the subject (the usager's pairwise pseudonym
	// for the client), the ID token claims and headers, and the expiry of
	// each token. Its methods are promoted; those fosite calls are
	// overridden below so that a session decoded without it cannot panic.
	*openid.DefaultSession `json:"oidc"`

	// AidantID is the aidant who acted.
	AidantID string `json:"aidant_id,omitempty"`
	// UsagerID is the usager's pseudonym (HMAC of the FranceConnect issuer
	// and subject), not the pairwise subject the client sees.
	UsagerID string `json:"usager_id,omitempty"`
	// OrganisationID and OrganisationSIRET name the aidant's organisation
	// (the SIRET goes in the act claim).
	OrganisationID    string `json:"organisation_id,omitempty"`
	OrganisationSIRET string `json:"organisation_siret,omitempty"`
	// PermissionID and MandateID name what authorises the login.
	PermissionID string `json:"permission_id,omitempty"`
	MandateID    string `json:"mandate_id,omitempty"`
	// Procedure is the procedure id chosen for this login.
	Procedure string `json:"procedure,omitempty"`
	// AuthTime is when the aidant last authenticated (OIDC auth_time).
	AuthTime time.Time `json:"auth_time"`
}

var (
	_ fosite.Session = (*Session)(nil)
	_ openid.Session = (*Session)(nil)
)

// NewSession returns an empty session with its claims and headers
// allocated (headers ready for a kid), as fosite expects of the session
// given to NewAuthorizeResponse.
func NewSession() *Session {
	s := &Session{DefaultSession: openid.NewDefaultSession()}
	s.DefaultSession.Headers = jwt.NewHeaders()
	return s
}

func (s *Session) oidc() *openid.DefaultSession {
	if s.DefaultSession == nil {
		s.DefaultSession = &openid.DefaultSession{}
	}
	return s.DefaultSession
}

// Clone returns a deep copy: fosite clones the session of a refreshed token
// before changing its expiry.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	c := *s
	if s.DefaultSession != nil {
		c.DefaultSession = s.DefaultSession.Clone().(*openid.DefaultSession)
	}
	return &c
}

func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	s.oidc().SetExpiresAt(key, exp)
}

func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time {
	if s == nil || s.DefaultSession == nil {
		return time.Time{}
	}
	return s.DefaultSession.ExpiresAt[key]
}

func (s *Session) GetUsername() string {
	if s == nil || s.DefaultSession == nil {
		return ""
	}
	return s.DefaultSession.Username
}

func (s *Session) GetSubject() string {
	if s == nil || s.DefaultSession == nil {
		return ""
	}
	return s.DefaultSession.Subject
}

func (s *Session) SetSubject(subject string) {
	s.oidc().Subject = subject
}

func (s *Session) IDTokenClaims() *jwt.IDTokenClaims {
	return s.oidc().IDTokenClaims()
}

func (s *Session) IDTokenHeaders() *jwt.Headers {
	return s.oidc().IDTokenHeaders()
}
