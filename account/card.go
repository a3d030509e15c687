package account

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"procura/audit"
	"procura/db"
	"procura/problem"
)

// Physical TOTP cards, for aidants without a smartphone. The operator
// imports them (serial, seed); a manager links one to an aidant of their
// organisation once the aidant has typed a code shown by the card, which
// proves they hold it. A linked card's seed becomes the account's TOTP
// seed, so that sign-in and confirmations treat card and app codes alike
// (single use, one step of drift).

// CardImport is one line of a card file.
type CardImport struct {
	Serial string
	Seed   string
}

type cardRow struct {
	ID         string `gorm:"primaryKey"`
	Serial     string
	Seed       []byte
	AccountID  *string
	LastStep   int64
	ImportedAt time.Time
	LinkedAt   *time.Time
}

func (cardRow) TableName() string { return "totp_cards" }

// ErrCardNotFound answers an unknown serial, or a card linked to another
// organisation's aidant.
// It is a mistake the manager can fix (a typo), shown on the form; the
// same refusal for both, so that a serial says nothing about other
// organisations.
var ErrCardNotFound = problem.New(problem.Invalid, "Aucune carte disponible ne porte ce numéro de série : vérifiez-le au dos de la carte.")

// ParseCardsCSV reads a card file: one card a line, "serial,seed" (base32
// seed), an optional header line "serial,seed". It refuses the whole file
// at the first bad line, saying which.
func ParseCardsCSV(r io.Reader) ([]CardImport, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	cr.TrimLeadingSpace = true
	var out []CardImport
	seen := map[string]bool{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, invalid(fmt.Sprintf("Ligne %d : le fichier doit avoir deux colonnes, numéro de série et graine.", line))
		}
		serial, seed := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if line == 1 && strings.EqualFold(serial, "serial") && strings.EqualFold(seed, "seed") {
			continue
		}
		if err := checkSerial(serial); err != nil {
			return nil, invalid(fmt.Sprintf("Ligne %d : %s", line, problem.MessageOf(err)))
		}
		if _, err := NewTOTPKey("card", seed); err != nil {
			return nil, invalid(fmt.Sprintf("Ligne %d : la graine doit être en base32 et faire au moins 80 bits.", line))
		}
		if seen[serial] {
			return nil, invalid(fmt.Sprintf("Ligne %d : le numéro de série %s apparaît deux fois.", line, serial))
		}
		seen[serial] = true
		out = append(out, CardImport{Serial: serial, Seed: strings.ToUpper(strings.TrimRight(seed, "="))})
	}
	if len(out) == 0 {
		return nil, invalid("Le fichier ne contient aucune carte.")
	}
	return out, nil
}

func checkSerial(serial string) error {
	if serial == "" || len(serial) > 64 || !utf8.ValidString(serial) ||
		strings.ContainsFunc(serial, func(r rune) bool { return r <= 0x20 || r == 0x7f }) {
		return invalid("Le numéro de série est requis : 64 caractères au plus, sans espace.")
	}
	return nil
}

// ImportCards stores cards, their seeds sealed with the master key (bound
// to the card's id), in one transaction with its audit entry; a serial
// already known refuses the whole import.
func (d *Directory) ImportCards(ctx context.Context, actor Actor, cards []CardImport) (int, error) {
	if len(cards) == 0 {
		return 0, invalid("Aucune carte à importer.")
	}
	now := d.now().UTC()
	err := d.db.InTx(ctx, func(ctx context.Context) error {
		for _, c := range cards {
			if err := checkSerial(c.Serial); err != nil {
				return err
			}
			key, err := NewTOTPKey("card", c.Seed)
			if err != nil {
				return err
			}
			id := uuid.NewString()
			row := cardRow{ID: id, Serial: c.Serial, Seed: d.totpSeal.Seal([]byte(key.Secret()), cardContext(id)), ImportedAt: now}
			if err := d.db.Conn(ctx).Create(&row).Error; err != nil {
				if db.IsUniqueViolation(err) {
					return conflict(fmt.Sprintf("La carte %s est déjà importée : rien n'a été importé.", c.Serial))
				}
				return fmt.Errorf("account: import card: %w", err)
			}
		}
		return d.journal.Record(ctx, audit.Entry{Action: audit.ActionTOTPCardImported, ActorKind: actor.Kind, ActorID: actor.ID,
			Details: map[string]string{"cards": fmt.Sprint(len(cards))}})
	})
	if err != nil {
		return 0, err
	}
	return len(cards), nil
}

func cardContext(cardID string) []byte { return []byte("card:" + cardID) }

// LinkCard links the card with this serial to a member of m's
// organisation, once code (shown by the card now) proves the aidant holds
// it. The card's seed replaces the account's authenticator, if any.
func (d *Directory) LinkCard(ctx context.Context, m Manager, accountID, serial, code string) error {
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	serial = strings.TrimSpace(serial)
	if err := checkSerial(serial); err != nil {
		return err
	}
	if t.CardSerial != "" {
		return conflict("Ce compte a déjà une carte : retirez-la avant d'en associer une autre.")
	}
	var c cardRow
	if err := d.db.Conn(ctx).Where("serial = ?", serial).Take(&c).Error; err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return ErrCardNotFound
		}
		return fmt.Errorf("account: card: %w", err)
	}
	if c.AccountID != nil {
		ts, err := d.team(ctx, m.OrganisationID, *c.AccountID)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			if err := d.RecordCrossOrganisation(ctx, m, "card", c.ID); err != nil {
				return err
			}
			return ErrCardNotFound
		}
		return conflict("Cette carte est déjà associée à un autre aidant de votre organisation.")
	}
	secret, err := d.totpSeal.Open(c.Seed, cardContext(c.ID))
	if err != nil {
		return fmt.Errorf("account: open card seed %s: %w", c.ID, err)
	}
	step, ok := matchTOTP(string(secret), code, d.now())
	if !ok || step <= c.LastStep {
		return invalid("Le code saisi ne correspond pas à cette carte, ou a déjà été utilisé. Appuyez sur le bouton de la carte et saisissez le nouveau code.")
	}
	now := d.now().UTC()
	return d.db.InTx(ctx, func(ctx context.Context) error {
		conn := d.db.Conn(ctx)
		res := conn.Model(&cardRow{}).Where("id = ? AND account_id IS NULL AND last_step < ?", c.ID, step).
			Updates(map[string]any{"account_id": accountID, "last_step": step, "linked_at": now})
		if res.Error != nil {
			return fmt.Errorf("account: link card: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return conflict("Cette carte vient d'être associée, ou ce code vient d'être utilisé : recommencez avec un nouveau code.")
		}
		if err := conn.Model(&accountRow{}).Where("id = ?", accountID).Updates(map[string]any{
			"totp_secret": d.totpSeal.Seal(secret, []byte(accountID)), "totp_last_step": step, "updated_at": now,
		}).Error; err != nil {
			return fmt.Errorf("account: card seed: %w", err)
		}
		return d.record(ctx, m.actor(), audit.ActionTOTPCardLinked, accountID, m.OrganisationID, map[string]string{"card": c.ID})
	})
}

// UnlinkCard takes the card back from a member: the card can be linked
// again, and the account has no second factor until it enrols again.
func (d *Directory) UnlinkCard(ctx context.Context, m Manager, accountID string) error {
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	if t.CardSerial == "" {
		return conflict("Ce compte n'a pas de carte.")
	}
	return d.db.InTx(ctx, func(ctx context.Context) error {
		return d.dropSecondFactor(ctx, m, accountID, audit.ActionTOTPCardUnlinked)
	})
}

// ResetTOTP removes a member's authenticator (app or card): their sessions
// end, and at their next sign-in, after their password, they enrol again.
func (d *Directory) ResetTOTP(ctx context.Context, m Manager, accountID string) error {
	t, err := d.Member(ctx, m, accountID)
	if err != nil {
		return err
	}
	if !t.HasTOTP {
		return conflict("Ce compte n'a pas de code à usage unique à réinitialiser.")
	}
	return d.db.InTx(ctx, func(ctx context.Context) error {
		return d.dropSecondFactor(ctx, m, accountID, audit.ActionTOTPReset)
	})
}

// dropSecondFactor unlinks the account's card, forgets its seed and ends
// its sessions, in ctx's transaction, and records action.
func (d *Directory) dropSecondFactor(ctx context.Context, m Manager, accountID string, action audit.Action) error {
	conn := d.db.Conn(ctx)
	// The card keeps the last step its codes were used at, so that they
	// stay used once it serves another account.
	if err := conn.Exec(`UPDATE totp_cards SET account_id = NULL, linked_at = NULL,
		last_step = (SELECT totp_last_step FROM accounts WHERE id = ?) WHERE account_id = ?`, accountID, accountID).Error; err != nil {
		return fmt.Errorf("account: unlink card: %w", err)
	}
	if err := conn.Model(&accountRow{}).Where("id = ?", accountID).
		Updates(map[string]any{"totp_secret": nil, "updated_at": d.now().UTC()}).Error; err != nil {
		return fmt.Errorf("account: reset TOTP: %w", err)
	}
	ended, err := d.sessions.EndAccountSessions(ctx, accountID)
	if err != nil {
		return fmt.Errorf("account: end sessions: %w", err)
	}
	return d.record(ctx, m.actor(), action, accountID, m.OrganisationID, map[string]string{"sessions_ended": fmt.Sprint(ended)})
}

// EnrolCard is CompleteEnrolment with a TOTP card instead of an app: an
// account without a second factor (after its invitation, or a reset)
// claims an unlinked card by its serial and a code it shows now. The card
// is linked, the account signed in to s, both recorded, in one
// transaction.
func (d *Directory) EnrolCard(ctx context.Context, accountID, serial, code string, s Session) (Account, error) {
	serial = strings.TrimSpace(serial)
	if err := checkSerial(serial); err != nil {
		return Account{}, err
	}
	a, err := d.Account(ctx, accountID)
	if err != nil {
		return Account{}, err
	}
	if a.HasTOTP || !a.Active {
		return Account{}, conflict("Ce compte a déjà un code à usage unique, ou il est désactivé.")
	}
	var c cardRow
	if err := d.db.Conn(ctx).Where("serial = ? AND account_id IS NULL", serial).Take(&c).Error; err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return Account{}, ErrCardNotFound
		}
		return Account{}, fmt.Errorf("account: card: %w", err)
	}
	secret, err := d.totpSeal.Open(c.Seed, cardContext(c.ID))
	if err != nil {
		return Account{}, fmt.Errorf("account: open card seed %s: %w", c.ID, err)
	}
	step, ok := matchTOTP(string(secret), code, d.now())
	if !ok || step <= c.LastStep {
		return Account{}, ErrEnrolmentCode
	}
	ms, err := d.Memberships(ctx, accountID)
	if err != nil {
		return Account{}, err
	}
	now := d.now().UTC()
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		conn := d.db.Conn(ctx)
		res := conn.Model(&cardRow{}).Where("id = ? AND account_id IS NULL AND last_step < ?", c.ID, step).
			Updates(map[string]any{"account_id": accountID, "last_step": step, "linked_at": now})
		if res.Error != nil {
			return fmt.Errorf("account: link card: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrEnrolmentCode
		}
		res = conn.Model(&accountRow{}).Where("id = ? AND totp_secret IS NULL AND active", accountID).Updates(map[string]any{
			"totp_secret": d.totpSeal.Seal(secret, []byte(accountID)), "totp_last_step": step, "updated_at": now,
		})
		if res.Error != nil {
			return fmt.Errorf("account: card seed: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return conflict("Ce compte a déjà un code à usage unique, ou il est désactivé.")
		}
		actor := Actor{Kind: actorKind(ms, firstOrganisation(ms)), ID: accountID}
		if err := d.record(ctx, actor, audit.ActionTOTPEnrolled, accountID, "", map[string]string{"device": "card", "card": c.ID}); err != nil {
			return err
		}
		return d.beginSession(ctx, accountID, ms, "password+totp_card_enrolment", s)
	})
	if err != nil {
		return Account{}, err
	}
	return d.Account(ctx, accountID)
}
