package keyring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"procura/db"
)

// keyRow is the signing_keys table.
type keyRow struct {
	KID         string `gorm:"column:kid;primaryKey"`
	Purpose     string
	Alg         string
	Generation  int
	PrivateKey  []byte
	PublicJWK   string `gorm:"column:public_jwk"`
	CreatedAt   time.Time
	ActivatedAt time.Time
	RetiredAt   *time.Time
}

func (keyRow) TableName() string { return "signing_keys" }

func (r *keyRow) describe() Key {
	return Key{
		KID: r.KID, Purpose: Purpose(r.Purpose), Alg: jose.SignatureAlgorithm(r.Alg), Generation: r.Generation,
		CreatedAt: r.CreatedAt, ActivatedAt: r.ActivatedAt, RetiredAt: r.RetiredAt,
	}
}

// liveRows returns the non-retired keys of p, newest generation first.
func (k *Keyring) liveRows(ctx context.Context, p Purpose) ([]keyRow, error) {
	var rows []keyRow
	err := k.db.Conn(ctx).Where("purpose = ? AND retired_at IS NULL", string(p)).
		Order("alg").Order("generation DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("keyring: read %s keys: %w", p, err)
	}
	return rows, nil
}

// rowByKID returns the key named kid, or ErrKeyNotFound.
func (k *Keyring) rowByKID(ctx context.Context, kid string) (*keyRow, error) {
	var r keyRow
	err := k.db.Conn(ctx).Where("kid = ?", kid).Take(&r).Error
	if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) {
		return nil, ErrKeyNotFound
	} else if err != nil {
		return nil, fmt.Errorf("keyring: read key: %w", err)
	}
	return &r, nil
}

// currentRow picks among rows the key that signs for alg at now: the newest
// activated one that is not retired, the later generation breaking ties.
// The choice is made here rather than in SQL so that time compares the same
// way on both engines.
func currentRow(rows []keyRow, alg jose.SignatureAlgorithm, now time.Time) *keyRow {
	var best *keyRow
	for i := range rows {
		r := &rows[i]
		if r.Alg != string(alg) || r.RetiredAt != nil || r.ActivatedAt.After(now) {
			continue
		}
		if best == nil || r.ActivatedAt.After(best.ActivatedAt) ||
			(r.ActivatedAt.Equal(best.ActivatedAt) && r.Generation > best.Generation) {
			best = r
		}
	}
	return best
}
