package authz

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Replay protection of private_key_jwt client assertions
// (fosite.ClientManager; RFC 7523 §3 item 7, OpenID Connect Core 1.0 §9):
// a jti is refused while the assertion that carried it could still be
// valid, and forgotten once it expired.

type jtiRow struct {
	JTIHash   []byte `gorm:"column:jti_hash;primaryKey"`
	ExpiresAt time.Time
}

func (jtiRow) TableName() string { return "oauth_client_assertion_jtis" }

func jtiHash(jti string) []byte {
	sum := sha256.Sum256([]byte(jti))
	return sum[:]
}

// ClientAssertionJWTValid returns fosite.ErrJTIKnown when jti was used by
// an assertion that has not expired yet, nil otherwise.
func (s *Store) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	var row jtiRow
	err := s.db.Conn(ctx).Where("jti_hash = ? AND expires_at > ?", jtiHash(jti), s.now().UTC()).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("authz: check jti: %w", err)
	}
	return fosite.ErrJTIKnown
}

// SetClientAssertionJWT records jti as used until exp, after deleting the
// expired ones. Recording a jti already known fails with fosite.ErrJTIKnown,
// so that two requests racing with one assertion cannot both pass. The
// insert does not fail on conflict (ON CONFLICT DO NOTHING): a PostgreSQL
// transaction around it stays usable.
func (s *Store) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	conn := s.db.Conn(ctx)
	if err := conn.Where("expires_at <= ?", s.now().UTC()).Delete(&jtiRow{}).Error; err != nil {
		return fmt.Errorf("authz: purge jtis: %w", err)
	}
	res := conn.Clauses(clause.OnConflict{DoNothing: true}).Create(&jtiRow{JTIHash: jtiHash(jti), ExpiresAt: exp.UTC()})
	if res.Error != nil {
		return fmt.Errorf("authz: record jti: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fosite.ErrJTIKnown
	}
	return nil
}
