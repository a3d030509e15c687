package authz

import (
	"context"
	"fmt"

	"github.com/ory/fosite"
)

// Authorization codes (oauth2.AuthorizeCodeStorage). fosite passes the
// code's signature.

func (s *Store) CreateAuthorizeCodeSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.createRequest(ctx, kindAuthorizeCode, signature, r)
}

// GetAuthorizeCodeSession returns the request of a code; for a used (or
// revoked) code, the request with fosite.ErrInvalidatedAuthorizeCode, from
// which fosite revokes the tokens the code gave (RFC 6749 §4.1.2).
func (s *Store) GetAuthorizeCodeSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	r, active, err := s.getRequest(ctx, kindAuthorizeCode, signature, proto)
	if err != nil {
		return nil, err
	}
	if !active {
		return r, fosite.ErrInvalidatedAuthorizeCode
	}
	return r, nil
}

// InvalidateAuthorizeCodeSession marks a code used. It succeeds only for an
// active code, so that of two token requests racing with one code, the one
// that waits on the first's row lock fails instead of issuing tokens twice.
func (s *Store) InvalidateAuthorizeCodeSession(ctx context.Context, signature string) error {
	res := s.db.Conn(ctx).Model(&requestRow{}).
		Where("signature_hash = ? AND active", key(kindAuthorizeCode, signature)).
		Update("active", false)
	if res.Error != nil {
		return fmt.Errorf("authz: invalidate code: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fosite.ErrInvalidatedAuthorizeCode
	}
	return nil
}

// Access tokens (oauth2.AccessTokenStorage).

func (s *Store) CreateAccessTokenSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.createRequest(ctx, kindAccessToken, signature, r)
}

// GetAccessTokenSession returns the request of an access token; for a
// revoked one, the request with fosite.ErrInactiveToken.
func (s *Store) GetAccessTokenSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	return s.getToken(ctx, kindAccessToken, signature, proto)
}

func (s *Store) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.deleteRequest(ctx, kindAccessToken, signature)
}

// Refresh tokens (oauth2.RefreshTokenStorage).

// CreateRefreshTokenSession stores a refresh token. The access token issued
// with it shares its request id, which is how revocation finds both.
func (s *Store) CreateRefreshTokenSession(ctx context.Context, signature, _ string, r fosite.Requester) error {
	return s.createRequest(ctx, kindRefreshToken, signature, r)
}

// GetRefreshTokenSession returns the request of a refresh token; for a
// rotated or revoked one, the request with fosite.ErrInactiveToken, from
// which fosite detects reuse and revokes the whole grant (RFC 6819
// §5.2.2.3).
func (s *Store) GetRefreshTokenSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	return s.getToken(ctx, kindRefreshToken, signature, proto)
}

func (s *Store) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.deleteRequest(ctx, kindRefreshToken, signature)
}

func (s *Store) getToken(ctx context.Context, k kind, signature string, proto fosite.Session) (fosite.Requester, error) {
	r, active, err := s.getRequest(ctx, k, signature, proto)
	if err != nil {
		return nil, err
	}
	if !active {
		return r, fosite.ErrInactiveToken
	}
	return r, nil
}

// PKCE state of a code (pkce.PKCERequestStorage), keyed by the code's
// signature.

func (s *Store) CreatePKCERequestSession(ctx context.Context, signature string, r fosite.Requester) error {
	return s.createRequest(ctx, kindPKCE, signature, r)
}

func (s *Store) GetPKCERequestSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	r, _, err := s.getRequest(ctx, kindPKCE, signature, proto)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Store) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return s.deleteRequest(ctx, kindPKCE, signature)
}

// OpenID Connect state of a code (openid.OpenIDConnectRequestStorage).
// fosite keys it by the raw authorization code; only the code's hash is
// stored, like every other key.

func (s *Store) CreateOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) error {
	return s.createRequest(ctx, kindOIDC, code, r)
}

// GetOpenIDConnectSession returns the stored authorization request, its
// session of the same type as requester's; openid.ErrNoSessionFound (that
// is fosite.ErrNotFound) when there is none.
func (s *Store) GetOpenIDConnectSession(ctx context.Context, code string, requester fosite.Requester) (fosite.Requester, error) {
	var proto fosite.Session
	if requester != nil {
		proto = requester.GetSession()
	}
	r, _, err := s.getRequest(ctx, kindOIDC, code, proto)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Store) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return s.deleteRequest(ctx, kindOIDC, code)
}
