package keyring

import (
	"context"
	"fmt"
	"strconv"

	"github.com/go-jose/go-jose/v4"

	"procura/audit"
	"procura/db"
)

// adminLockID is the PostgreSQL advisory lock that serializes key changes
// across instances: two instances starting together create one first key,
// and two concurrent retirements cannot leave a purpose without a key.
const adminLockID = 7_301_004

// Ensure makes sure a key of purpose and alg exists, creating the first one
// (an audited act) if there is none, and returns the current one. Start-up
// calls it for every key the server signs with.
func (k *Keyring) Ensure(ctx context.Context, p Purpose, alg jose.SignatureAlgorithm) (Key, error) {
	if err := checkAlg(p, alg); err != nil {
		return Key{}, err
	}
	var out Key
	err := k.db.InTx(ctx, func(ctx context.Context) error {
		if err := k.lockAdmin(ctx); err != nil {
			return err
		}
		rows, err := k.liveRows(ctx, p)
		if err != nil {
			return err
		}
		for i := range rows {
			if rows[i].Alg == string(alg) {
				out = rows[i].describe() // newest generation first
				return nil
			}
		}
		r, err := k.newRow(p, alg)
		if err != nil {
			return err
		}
		out, err = k.insert(ctx, r, system, audit.ActionKeyCreated)
		return err
	})
	k.forget(p)
	if err != nil {
		return Key{}, err
	}
	return out, nil
}

// Rotate adds a new key of purpose and alg that signs from now on. The
// previous keys stay published and keep verifying until they are retired.
func (k *Keyring) Rotate(ctx context.Context, actor Actor, p Purpose, alg jose.SignatureAlgorithm) (Key, error) {
	if err := checkAlg(p, alg); err != nil {
		return Key{}, err
	}
	// Generated before the transaction: an RSA key takes a while.
	r, err := k.newRow(p, alg)
	if err != nil {
		return Key{}, err
	}
	var out Key
	err = k.db.InTx(ctx, func(ctx context.Context) error {
		if err := k.lockAdmin(ctx); err != nil {
			return err
		}
		out, err = k.insert(ctx, r, actor, audit.ActionKeyRotated)
		return err
	})
	k.forget(p)
	if err != nil {
		return Key{}, err
	}
	return out, nil
}

// Retire takes the key kid out of service: it no longer verifies and is no
// longer published. The key that signs now cannot be retired (rotate first),
// so a purpose and algorithm always keep one active key.
//
// Another instance may sign with a key it has not yet seen retired for up to
// RefreshInterval: retire a key some minutes after the rotation that
// replaced it, unless it is compromised.
func (k *Keyring) Retire(ctx context.Context, actor Actor, kid string) error {
	var p Purpose
	err := k.db.InTx(ctx, func(ctx context.Context) error {
		if err := k.lockAdmin(ctx); err != nil {
			return err
		}
		r, err := k.rowByKID(ctx, kid)
		if err != nil {
			return err
		}
		if r.RetiredAt != nil {
			return ErrAlreadyRetired
		}
		p = Purpose(r.Purpose)
		rows, err := k.liveRows(ctx, p)
		if err != nil {
			return err
		}
		now := k.now().UTC()
		if cur := currentRow(rows, jose.SignatureAlgorithm(r.Alg), now); cur != nil && cur.KID == kid {
			return ErrRetireCurrent
		}
		res := k.db.Conn(ctx).Model(&keyRow{}).Where("kid = ? AND retired_at IS NULL", kid).Update("retired_at", now)
		if res.Error != nil {
			return fmt.Errorf("keyring: retire %s: %w", kid, res.Error)
		}
		if res.RowsAffected != 1 {
			return ErrAlreadyRetired
		}
		r.RetiredAt = &now
		return k.record(ctx, actor, audit.ActionKeyRetired, r)
	})
	if p != "" {
		k.forget(p)
	}
	return err
}

// Keys lists every key of purpose p, retired ones included, newest first
// within each algorithm.
func (k *Keyring) Keys(ctx context.Context, p Purpose) ([]Key, error) {
	if Algorithms(p) == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPurpose, p)
	}
	var rows []keyRow
	err := k.db.Conn(ctx).Select("kid", "purpose", "alg", "generation", "created_at", "activated_at", "retired_at").
		Where("purpose = ?", string(p)).Order("alg").Order("generation DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("keyring: list %s keys: %w", p, err)
	}
	keys := make([]Key, len(rows))
	for i := range rows {
		keys[i] = rows[i].describe()
	}
	return keys, nil
}

// insert stores r, active from now, as the next generation of its purpose
// and alg, and records the act.
func (k *Keyring) insert(ctx context.Context, r *keyRow, actor Actor, action audit.Action) (Key, error) {
	var last *int
	err := k.db.Conn(ctx).Raw("SELECT MAX(generation) FROM signing_keys WHERE purpose = ? AND alg = ?", r.Purpose, r.Alg).
		Scan(&last).Error
	if err != nil {
		return Key{}, fmt.Errorf("keyring: next generation: %w", err)
	}
	r.Generation = 1
	if last != nil {
		r.Generation = *last + 1
	}
	now := k.now().UTC()
	r.CreatedAt, r.ActivatedAt = now, now
	if err := k.db.Conn(ctx).Create(r).Error; err != nil {
		return Key{}, fmt.Errorf("keyring: store key: %w", err)
	}
	if err := k.record(ctx, actor, action, r); err != nil {
		return Key{}, err
	}
	return r.describe(), nil
}

// record writes the audit entry of a key act; an error fails the act.
func (k *Keyring) record(ctx context.Context, actor Actor, action audit.Action, r *keyRow) error {
	return k.journal.Record(ctx, audit.Entry{
		Action: action, ActorKind: actor.Kind, ActorID: actor.ID,
		Details: map[string]string{
			"kid": r.KID, "purpose": r.Purpose, "alg": r.Alg, "generation": strconv.Itoa(r.Generation),
		},
	})
}

// lockAdmin serializes key changes until the transaction ends. SQLite needs
// nothing: it has one writer, and Procura one connection to it.
func (k *Keyring) lockAdmin(ctx context.Context) error {
	if k.db.Dialect != db.Postgres {
		return nil
	}
	if err := k.db.Conn(ctx).Exec("SELECT pg_advisory_xact_lock(?)", adminLockID).Error; err != nil {
		return fmt.Errorf("keyring: lock: %w", err)
	}
	return nil
}
