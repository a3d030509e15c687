package notice

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"procura/audit"
	"procura/db"
	"procura/mandate"
	"procura/outbox"
	"procura/problem"
	"procura/usager"
)

// settingsRow is the usager_email_settings table.
type settingsRow struct {
	UsagerID       string `gorm:"primaryKey"`
	Address        string
	BouncedAddress string
	BouncedAt      *time.Time
	StoppedAt      *time.Time
	UpdatedAt      time.Time
}

func (settingsRow) TableName() string { return "usager_email_settings" }

// EmailSettings is where a usager's messages go, as their space shows it.
type EmailSettings struct {
	// Address is where Procura writes: the one given at signature, else
	// FranceConnect's ("" when none).
	Address           string
	FromFranceConnect bool
	// BouncedAt is when a mail server refused Address for good; Procura
	// no longer writes to it.
	BouncedAt *time.Time
	// StoppedAt is when the usager stopped the messages.
	StoppedAt *time.Time
}

// Writes reports whether Procura writes to the usager.
func (s EmailSettings) Writes() bool {
	return s.Address != "" && s.BouncedAt == nil && s.StoppedAt == nil
}

// ErrAddress refuses a malformed address given at signature.
var ErrAddress = problem.New(problem.Invalid,
	"L'adresse électronique de l'usager n'est pas valide : écrivez-la sous la forme prenom.nom@exemple.fr, sans espace ni nom.")

// CheckAddress returns the address typed, trimmed, or ErrAddress: one bare
// address (RFC 5322 addr-spec), with a domain holding a dot, on one line.
func CheckAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 254 || strings.ContainsAny(s, "\r\n") {
		return "", ErrAddress
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", ErrAddress
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return "", ErrAddress
	}
	return s, nil
}

// Settings returns where u's messages go.
func (n *Notices) Settings(ctx context.Context, u usager.Usager) (EmailSettings, error) {
	var r settingsRow
	err := n.db.Conn(ctx).Where("usager_id = ?", u.ID).Take(&r).Error
	if err != nil && db.NotFound(err) != db.ErrNotFound {
		return EmailSettings{}, fmt.Errorf("notice: email settings: %w", err)
	}
	s := EmailSettings{Address: r.Address, StoppedAt: r.StoppedAt}
	if s.Address == "" {
		s.Address, s.FromFranceConnect = u.Email, true
	}
	if u.ErasedAt != nil {
		s.Address = ""
	}
	if r.BouncedAt != nil && s.Address != "" && strings.EqualFold(r.BouncedAddress, s.Address) {
		s.BouncedAt = r.BouncedAt
	}
	return s, nil
}

// CheckAddress is the package's CheckAddress (mandate.UsagerAddresses).
func (n *Notices) CheckAddress(address string) (string, error) { return CheckAddress(address) }

// OptIn records, in the transaction of the signature of m (a usager who
// asks again, at a new mandate, to be told by email), the address they
// gave if any (CheckAddress first) — their messages go there from now on,
// and a bounce of a former address no longer counts — and resumes the
// messages if they had stopped them. Each change is audited with the
// aidant who recorded it, without the address (mandate.UsagerAddresses).
func (n *Notices) OptIn(ctx context.Context, m mandate.Mandate, address string) error {
	if !db.InTransaction(ctx) {
		return ErrNoTransaction
	}
	now := n.now().UTC()
	conn := n.db.Conn(ctx)
	actor := audit.Entry{ActorKind: audit.ActorAidant, ActorID: m.AidantID, OrganisationID: m.OrganisationID, UsagerID: m.UsagerID,
		MandateID: m.ID}
	if address != "" {
		address, err := CheckAddress(address)
		if err != nil {
			return err
		}
		err = conn.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "usager_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"address", "updated_at"})}).
			Create(&settingsRow{UsagerID: m.UsagerID, Address: address, UpdatedAt: now}).Error
		if err != nil {
			return fmt.Errorf("notice: set address: %w", err)
		}
		e := actor
		e.Action = audit.ActionUsagerEmailSet
		if err := n.journal.Record(ctx, e); err != nil {
			return err
		}
	}
	res := conn.Model(&settingsRow{}).Where("usager_id = ? AND stopped_at IS NOT NULL", m.UsagerID).
		Updates(map[string]any{"stopped_at": nil, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("notice: resume messages: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil
	}
	e := actor
	e.Action = audit.ActionUsagerNotificationsResumed
	return n.journal.Record(ctx, e)
}

// ErrAlreadyStopped answers Stop when the messages are already stopped.
var ErrAlreadyStopped = errors.New("notice: messages already stopped")

// Stop stops every message to the usager (their space's button or the
// link of a message, via names which), with its audit entry. Stopping
// twice changes nothing and returns ErrAlreadyStopped.
func (n *Notices) Stop(ctx context.Context, usagerID, via string) error {
	return n.db.InTx(ctx, func(ctx context.Context) error {
		now := n.now().UTC()
		conn := n.db.Conn(ctx)
		if err := conn.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&settingsRow{UsagerID: usagerID, UpdatedAt: now}).Error; err != nil {
			return fmt.Errorf("notice: stop: %w", err)
		}
		res := conn.Model(&settingsRow{}).Where("usager_id = ? AND stopped_at IS NULL", usagerID).
			Updates(map[string]any{"stopped_at": now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("notice: stop: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrAlreadyStopped
		}
		// Logins waiting to be listed will not be: nobody is written to.
		if err := conn.Where("usager_id = ? AND message_id IS NULL", usagerID).Delete(&noticeRow{}).Error; err != nil {
			return fmt.Errorf("notice: stop: %w", err)
		}
		return n.journal.Record(ctx, audit.Entry{Action: audit.ActionUsagerNotificationsStopped, ActorKind: audit.ActorUsager,
			ActorID: usagerID, UsagerID: usagerID, Details: map[string]string{"via": via}})
	})
}

// Bounced marks the address of m, a message to a usager that a mail server
// refused for good (outbox.Worker.OnRefused): Procura no longer writes to
// it, and the usager's space says so. Audited without the address.
func (n *Notices) Bounced(ctx context.Context, m outbox.Message) error {
	to, usagerID := m.To, m.UsagerID
	if usagerID == "" {
		return nil
	}
	return n.db.InTx(ctx, func(ctx context.Context) error {
		now := n.now().UTC()
		conn := n.db.Conn(ctx)
		if err := conn.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&settingsRow{UsagerID: usagerID, UpdatedAt: now}).Error; err != nil {
			return fmt.Errorf("notice: bounce: %w", err)
		}
		res := conn.Model(&settingsRow{}).Where("usager_id = ? AND (bounced_at IS NULL OR bounced_address <> ?)", usagerID, to).
			Updates(map[string]any{"bounced_address": to, "bounced_at": now, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("notice: bounce: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		return n.journal.Record(ctx, audit.Entry{Action: audit.ActionUsagerEmailBounced, ActorKind: audit.ActorSystem,
			ActorID: "outbox", UsagerID: usagerID})
	})
}

// recipient is where to write to u now, and whether to write at all.
func (n *Notices) recipient(ctx context.Context, u usager.Usager) (string, bool, error) {
	s, err := n.Settings(ctx, u)
	if err != nil {
		return "", false, err
	}
	return s.Address, s.Writes(), nil
}
