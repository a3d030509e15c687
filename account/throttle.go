package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// ThrottlePolicy says when repeated sign-in failures lock a key out, and for
// how long: after Threshold failures within Window, each further failure
// locks for BaseDelay doubled per failure beyond the threshold, up to MaxDelay.
//
// Two keys count failures:
//   - the email (known or not, so that a lockout tells nothing about which
//     accounts exist), at Threshold: one account's guessing is slowed from
//     anywhere;
//   - the client's address, at AddressThreshold, much higher, and reset by
//     every successful sign-in from that address: a France Services office
//     behind one address (NAT) signs many aidants in, whose ordinary
//     mistakes must never lock the office out, while credential stuffing
//     from one address (many emails, no success) is still slowed.
type ThrottlePolicy struct {
	Threshold        int
	AddressThreshold int
	BaseDelay        time.Duration
	MaxDelay         time.Duration
	Window           time.Duration
}

// DefaultThrottle is the policy of every Directory (SetThrottle changes it).
var DefaultThrottle = ThrottlePolicy{Threshold: 5, AddressThreshold: 100, BaseDelay: time.Minute, MaxDelay: time.Hour,
	Window: 24 * time.Hour}

// SetThrottle replaces the lockout policy; call it before serving (tests use
// smaller thresholds).
func (d *Directory) SetThrottle(p ThrottlePolicy) { d.throttle = p }

func emailKey(email string) string {
	sum := sha256.Sum256([]byte(email))
	return "email:" + hex.EncodeToString(sum[:16])
}

func ipKey(ip string) string { return "ip:" + ip }

type throttleRow struct {
	Key             string `gorm:"primaryKey"`
	Failures        int
	LockedUntil     int64
	LastFailureUnix int64
}

func (throttleRow) TableName() string { return "sign_in_throttle" }

// lockedUntil returns the end of the key's current lockout, or zero.
func (d *Directory) lockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var r throttleRow
	res := d.db.Conn(ctx).Where("key = ?", key).Limit(1).Find(&r)
	if res.Error != nil {
		return time.Time{}, fmt.Errorf("account: throttle: %w", res.Error)
	}
	if res.RowsAffected == 0 || r.LockedUntil <= now.Unix() {
		return time.Time{}, nil
	}
	return time.Unix(r.LockedUntil, 0), nil
}

// fail counts a failure for key and returns the lockout it starts, or zero.
// The increment is one atomic upsert so that concurrent failures all count.
func (d *Directory) fail(ctx context.Context, key string, threshold int, now time.Time) (time.Time, error) {
	p := d.throttle
	var failures int
	err := d.db.Conn(ctx).Raw(`INSERT INTO sign_in_throttle (key, failures, locked_until, last_failure_unix) VALUES (?, 1, 0, ?)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN sign_in_throttle.last_failure_unix < ? THEN 1 ELSE sign_in_throttle.failures + 1 END,
			last_failure_unix = excluded.last_failure_unix
		RETURNING failures`, key, now.Unix(), now.Add(-p.Window).Unix()).Scan(&failures).Error
	if err != nil {
		return time.Time{}, fmt.Errorf("account: throttle: %w", err)
	}
	if failures < threshold {
		return time.Time{}, nil
	}
	delay := p.BaseDelay << min(failures-threshold, 20)
	if delay > p.MaxDelay || delay <= 0 {
		delay = p.MaxDelay
	}
	until := now.Add(delay)
	if err := d.db.Conn(ctx).Exec("UPDATE sign_in_throttle SET locked_until = ? WHERE key = ?", until.Unix(), key).Error; err != nil {
		return time.Time{}, fmt.Errorf("account: throttle: %w", err)
	}
	return until, nil
}

// clearThrottle forgets the failures of key after a successful sign-in.
func (d *Directory) clearThrottle(ctx context.Context, key string) error {
	if err := d.db.Conn(ctx).Exec("DELETE FROM sign_in_throttle WHERE key = ?", key).Error; err != nil {
		return fmt.Errorf("account: throttle: %w", err)
	}
	return nil
}
