package mandate

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Expiry reminders (issue 12): a usager who asked to be told by email is
// reminded that their mandate ends ReminderLate days before it does, and
// also ReminderEarly days before when the mandate was given for at least
// twice that long (a 1-day mandate gets none, a 31-day one only the late
// one). Each reminder is written once per mandate and threshold, whatever
// the number of instances running the job.
const (
	ReminderEarly = 30
	ReminderLate  = 7
)

// reminderRow is a reminder written (table mandate_reminders).
type reminderRow struct {
	MandateID     string    `gorm:"primaryKey"`
	EndsAt        time.Time `gorm:"primaryKey"`
	ThresholdDays int       `gorm:"primaryKey"`
	CreatedAt     time.Time
}

func (reminderRow) TableName() string { return "mandate_reminders" }

// RemindExpiries writes the expiry reminders due now, at most limit of
// them, each in its own transaction with the row that records it (the
// primary key of mandate_reminders makes a second writer do nothing). It
// returns how many mandates it handled. A mandate with no permission left
// usable is marked reminded and told nothing.
func (r *Registry) RemindExpiries(ctx context.Context, limit int) (int, error) {
	now := r.now().UTC()
	// Reminders of mandates that ended are of no use any more: the table
	// holds only the mandates ending within ReminderEarly days.
	if err := r.db.Conn(ctx).Where("ends_at <= ?", now).Delete(&reminderRow{}).Error; err != nil {
		return 0, fmt.Errorf("mandate: purge reminders: %w", err)
	}
	done := 0
	for _, t := range []struct {
		days     int
		from, to time.Time
	}{
		{ReminderLate, now, now.AddDate(0, 0, ReminderLate)},
		{ReminderEarly, now.AddDate(0, 0, ReminderLate), now.AddDate(0, 0, ReminderEarly)},
	} {
		var rows []mandateRow
		err := r.db.Conn(ctx).Where(`notify_usager AND revoked_at IS NULL AND expiry_recorded_at IS NULL
			AND expires_at > ? AND expires_at <= ? AND duration_days >= ?
			AND NOT EXISTS (SELECT 1 FROM mandate_reminders e WHERE e.mandate_id = CAST(mandates.id AS TEXT)
				AND e.threshold_days = ?)`, t.from, t.to, 2*t.days, t.days).
			Order("expires_at, id").Limit(limit - done).Find(&rows).Error
		if err != nil {
			return done, fmt.Errorf("mandate: expiring mandates: %w", err)
		}
		for _, row := range rows {
			if err := r.remind(ctx, row, t.days, now); err != nil {
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

func (r *Registry) remind(ctx context.Context, row mandateRow, days int, now time.Time) error {
	return r.db.InTx(ctx, func(ctx context.Context) error {
		res := r.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&reminderRow{MandateID: row.ID,
			EndsAt: row.ExpiresAt.UTC(), ThresholdDays: days, CreatedAt: now})
		if res.Error != nil {
			return fmt.Errorf("mandate: record reminder: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // another instance wrote it
		}
		ms, err := r.withPermissions(ctx, []mandateRow{row})
		if err != nil {
			return err
		}
		var usable []string
		for _, p := range ms[0].Permissions {
			if p.Usable(now) {
				usable = append(usable, p.Procedure)
			}
		}
		if len(usable) == 0 {
			return nil
		}
		return r.notify(ctx, ChangeExpiring, ms[0], usable)
	})
}
