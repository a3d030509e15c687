package notice

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"procura/db"
	"procura/outbox"
)

// batchUsagers bounds the usagers one Batch handles; the rest wait for the
// next round.
const batchUsagers = 200

// Batch turns pending notices into messages: for each usager with pending
// notices and no notice in the last Every, one message listing them all,
// written to the outbox with the notices marked in one transaction.
func (n *Notices) Batch(ctx context.Context) error {
	var ids []string
	err := n.db.Conn(ctx).Model(&noticeRow{}).Distinct("usager_id").Where("message_id IS NULL").
		Limit(batchUsagers).Pluck("usager_id", &ids).Error
	if err != nil {
		return fmt.Errorf("notice: pending usagers: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if err := n.batchOne(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (n *Notices) batchOne(ctx context.Context, usagerID string) error {
	return n.db.InTx(ctx, func(ctx context.Context) error {
		conn := n.db.Conn(ctx)
		if n.db.Dialect == db.Postgres {
			// One batcher per usager at a time, whichever the instance:
			// two would each find no recent notice and send two.
			if err := conn.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 12))", "usager-notices:"+usagerID).Error; err != nil {
				return fmt.Errorf("notice: lock: %w", err)
			}
		}
		var pending []noticeRow
		if err := conn.Where("usager_id = ? AND message_id IS NULL", usagerID).Order("occurred_at, id").Limit(500).Find(&pending).Error; err != nil {
			return fmt.Errorf("notice: pending: %w", err)
		}
		if len(pending) == 0 {
			return nil
		}
		if recent, err := n.sentWithin(ctx, usagerID); err != nil || recent {
			return err
		}
		u, to, ok, err := n.usagerRecipient(ctx, usagerID)
		if err != nil {
			return err
		}
		ids := make([]int64, len(pending))
		for i, p := range pending {
			ids[i] = p.ID
		}
		if !ok {
			// Nobody to write to any more: the notices are dropped.
			return conn.Where("id IN ?", ids).Delete(&noticeRow{}).Error
		}
		m, err := n.loginMessage(ctx, u, to, pending)
		if err != nil {
			return err
		}
		m.Key = "usager-logins:" + usagerID + ":" + strconv.FormatInt(pending[0].ID, 10)
		msgID, err := n.outbox.Enqueue(ctx, m)
		if errors.Is(err, outbox.ErrInvalid) {
			// An address the outbox refuses cannot become valid by waiting.
			return conn.Where("id IN ?", ids).Delete(&noticeRow{}).Error
		}
		if err != nil {
			return err
		}
		return conn.Model(&noticeRow{}).Where("id IN ?", ids).Update("message_id", msgID).Error
	})
}

// sentWithin reports whether a notice was written to the usager less than
// Every ago.
func (n *Notices) sentWithin(ctx context.Context, usagerID string) (bool, error) {
	var count int64
	err := n.db.Conn(ctx).Table("usager_notices AS n").Joins("JOIN outbox_messages o ON o.id = n.message_id").
		Where("n.usager_id = ? AND o.created_at > ?", usagerID, n.now().UTC().Add(-n.Every)).Count(&count).Error
	if err != nil {
		return false, fmt.Errorf("notice: last message: %w", err)
	}
	return count > 0, nil
}
