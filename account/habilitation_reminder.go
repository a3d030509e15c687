package account

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm/clause"

	"procura/outbox"
)

// Habilitation reminders (issue 12): an active aidant is told by email
// HabilitationReminderEarly and HabilitationReminderLate days before their
// habilitation ends, once per end date and threshold (a habilitation
// extended meanwhile gets reminders for its new end), whatever the number
// of instances running the job. Their managers are told by the
// structure's alerts (oversight), not here.
const (
	HabilitationReminderEarly = 30
	HabilitationReminderLate  = 7
)

// reminderRow is a reminder written (table habilitation_reminders).
type reminderRow struct {
	AccountID     string    `gorm:"primaryKey"`
	EndsAt        time.Time `gorm:"primaryKey"`
	ThresholdDays int       `gorm:"primaryKey"`
	CreatedAt     time.Time
}

func (reminderRow) TableName() string { return "habilitation_reminders" }

// HabilitationMessage composes the reminder to an aidant whose habilitation
// ends in about threshold days (notice.Notices.HabilitationEnding).
type HabilitationMessage func(a Account, threshold int) (outbox.Message, error)

// RemindHabilitationExpiries writes the reminders due now, composed by
// compose, at most limit, each in its own transaction with the row that
// records it. It returns how many it handled.
func (d *Directory) RemindHabilitationExpiries(ctx context.Context, limit int, compose HabilitationMessage) (int, error) {
	if d.mailer == nil {
		return 0, fmt.Errorf("account: habilitation reminders need a mailer (WithMailer)")
	}
	now := d.now().UTC()
	// Reminders of habilitations that ended (or were extended past them)
	// are of no use any more.
	if err := d.db.Conn(ctx).Where("ends_at <= ?", now).Delete(&reminderRow{}).Error; err != nil {
		return 0, fmt.Errorf("account: purge reminders: %w", err)
	}
	done := 0
	for _, t := range []struct {
		days     int
		from, to time.Time
	}{
		{HabilitationReminderLate, now, now.AddDate(0, 0, HabilitationReminderLate)},
		{HabilitationReminderEarly, now.AddDate(0, 0, HabilitationReminderLate), now.AddDate(0, 0, HabilitationReminderEarly)},
	} {
		var rows []accountRow
		err := d.db.Conn(ctx).Where(`active AND habilitated_until > ? AND habilitated_until <= ?
			AND id IN (SELECT account_id FROM memberships WHERE role = ?)
			AND NOT EXISTS (SELECT 1 FROM habilitation_reminders e WHERE e.account_id = CAST(accounts.id AS TEXT)
				AND e.ends_at = accounts.habilitated_until AND e.threshold_days = ?)`, t.from, t.to, string(RoleAidant), t.days).
			Order("habilitated_until, id").Limit(limit - done).Find(&rows).Error
		if err != nil {
			return done, fmt.Errorf("account: habilitations ending: %w", err)
		}
		for _, r := range rows {
			if err := d.remindHabilitation(ctx, r, t.days, now, compose); err != nil {
				return done, err
			}
			done++
		}
		if done >= limit {
			break
		}
	}
	return done, nil
}

func (d *Directory) remindHabilitation(ctx context.Context, r accountRow, threshold int, now time.Time, compose HabilitationMessage) error {
	return d.db.InTx(ctx, func(ctx context.Context) error {
		res := d.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&reminderRow{AccountID: r.ID,
			EndsAt: r.HabilitatedUntil.UTC(), ThresholdDays: threshold, CreatedAt: now})
		if res.Error != nil {
			return fmt.Errorf("account: record reminder: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // another instance wrote it
		}
		m, err := compose(r.account(), threshold)
		if err != nil {
			return err
		}
		m.Key = "habilitation-expiring:" + r.ID + ":" + r.HabilitatedUntil.UTC().Format(time.RFC3339) + ":" + strconv.Itoa(threshold)
		_, err = d.mailer.Enqueue(ctx, m)
		return err
	})
}
