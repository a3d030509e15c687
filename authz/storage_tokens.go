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
	ok, err := s.deactivate(ctx, kindAuthorizeCode, signature)
	if err != nil {
		return fmt.Errorf("authz: invalidate code: %w", err)
	}
	if !ok {
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
