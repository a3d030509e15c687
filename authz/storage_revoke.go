package authz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"

	"procura/db"
)

// Revocation (oauth2.TokenRevocationStorage, RFC 7009 §2.1). A revoked
// token stays stored, inactive, until it expires: reuse of it is then
// recognised as such instead of looking like an unknown token.

// RevokeRefreshToken marks inactive every refresh token of the request.
func (s *Store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return s.revokeRequest(ctx, requestID, kindRefreshToken)
}

// RevokeAccessToken marks inactive every access token of the request.
func (s *Store) RevokeAccessToken(ctx context.Context, requestID string) error {
	return s.revokeRequest(ctx, requestID, kindAccessToken)
}

// RevokeRefreshTokenMaybeGracePeriod is the revocation call of fosite
// versions before RotateRefreshToken. Procura grants no grace period: the
// refresh token is revoked at once, with every other of its request.
func (s *Store) RevokeRefreshTokenMaybeGracePeriod(ctx context.Context, requestID, _ string) error {
	return s.RevokeRefreshToken(ctx, requestID)
}

// RotateRefreshToken retires the refresh token being used and every token
// of its request before fosite stores their successors. The used token must
// still be active: of two refreshes racing with one token, the second waits
// for the first's row lock and then fails with fosite.ErrSerializationFailure
// instead of forking the grant.
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	res := s.db.Conn(ctx).Model(&requestRow{}).
		Where("signature_hash = ? AND active", key(kindRefreshToken, signature)).
		Update("active", false)
	if res.Error != nil {
		return fmt.Errorf("authz: rotate refresh token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fosite.ErrSerializationFailure.WithDebug("the refresh token was rotated by a concurrent request")
	}
	return s.revokeRequest(ctx, requestID, kindAccessToken, kindRefreshToken)
}

func (s *Store) revokeRequest(ctx context.Context, requestID string, kinds ...kind) error {
	forget(ctx)
	err := s.db.Conn(ctx).Model(&requestRow{}).
		Where("request_id = ? AND kind IN ? AND active", requestID, kindNames(kinds)).
		Update("active", false).Error
	if err != nil {
		return fmt.Errorf("authz: revoke %v of request: %w", kinds, err)
	}
	return nil
}

// revocable are the kinds a permission's revocation ends: its codes not yet
// exchanged and its tokens. (A code's PKCE and OpenID Connect state are
// useless without the code.)
var revocable = []kind{kindAuthorizeCode, kindAccessToken, kindRefreshToken}

// ErrNoTransaction is returned by RevokeByPermission and RevokeByMandate
// outside a transaction: the revocation of a permission, of its tokens and
// the audit entry commit together (DESIGN.md §4).
var ErrNoTransaction = errors.New("authz: revocation must run inside the transaction that revokes the permission")

// RevokeByPermission marks inactive every code and token issued under the
// permission, in the caller's transaction, and returns how many it ended.
func (s *Store) RevokeByPermission(ctx context.Context, permissionID string) (int64, error) {
	return s.revokeBy(ctx, "permission_id", permissionID)
}

// RevokeByMandate marks inactive every code and token issued under any
// permission of the mandate, in the caller's transaction.
func (s *Store) RevokeByMandate(ctx context.Context, mandateID string) (int64, error) {
	return s.revokeBy(ctx, "mandate_id", mandateID)
}

// RevokeByAidant marks inactive every code and token an aidant obtained,
// in the caller's transaction (deactivation). No index serves it: it is
// rare, and the table holds only live codes and tokens.
func (s *Store) RevokeByAidant(ctx context.Context, aidantID string) (int64, error) {
	return s.revokeBy(ctx, "aidant_id", aidantID)
}

// revokeBy revokes the rows whose column (a constant, never input) is id.
func (s *Store) revokeBy(ctx context.Context, column, id string) (int64, error) {
	if !db.InTransaction(ctx) {
		return 0, ErrNoTransaction
	}
	if id == "" { // would match every request stored without a delegation
		return 0, fmt.Errorf("authz: revoke by %s: empty id", column)
	}
	forget(ctx)
	res := s.db.Conn(ctx).Model(&requestRow{}).
		Where(column+" = ? AND kind IN ? AND active", id, kindNames(revocable)).
		Update("active", false)
	if res.Error != nil {
		return 0, fmt.Errorf("authz: revoke by %s: %w", column, res.Error)
	}
	return res.RowsAffected, nil
}

func kindNames(kinds []kind) []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return names
}

// purgeBatch bounds the rows one purge statement deletes, so that a purge
// never holds long locks on a busy table.
const purgeBatch = 5000

// PurgeExpired deletes the codes, tokens and client-assertion ids that
// expired before before, and returns how many rows it deleted. An expired
// code or token is refused by fosite anyway; this is maintenance.
func (s *Store) PurgeExpired(ctx context.Context, before time.Time) (int64, error) {
	before = before.UTC()
	var total int64
	for _, q := range []string{
		`DELETE FROM oauth_requests WHERE signature_hash IN
			(SELECT signature_hash FROM oauth_requests WHERE expires_at < ? LIMIT ?)`,
		`DELETE FROM oauth_client_assertion_jtis WHERE jti_hash IN
			(SELECT jti_hash FROM oauth_client_assertion_jtis WHERE expires_at < ? LIMIT ?)`,
	} {
		for {
			res := s.db.Conn(ctx).Exec(q, before, purgeBatch)
			if res.Error != nil {
				return total, fmt.Errorf("authz: purge expired: %w", res.Error)
			}
			total += res.RowsAffected
			if res.RowsAffected < purgeBatch {
				break
			}
		}
	}
	return total, nil
}
