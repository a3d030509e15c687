package account

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"

	"procura/audit"
	"procura/db"
	"procura/outbox"
	"procura/problem"
)

// Password recovery: "Mot de passe oublié" asks for a link by email; the
// link, single-use and valid PasswordResetTTL, sets a new password (the
// second factor is still needed to sign in) and ends every session of the
// account. The answer to a request is the same whether the address is
// known or not, and requests are limited per address and per client.
const (
	PasswordResetTTL = time.Hour
	// PasswordResetPath is the page the link opens, with ?jeton=<token>.
	PasswordResetPath = "/mot-de-passe/nouveau"
	// resetsPerHour bounds the links sent to one account in an hour;
	// resetAddressThreshold the requests from one client address.
	resetsPerHour         = 3
	resetAddressThreshold = 20
)

// Why a recovery link does not open or a request is refused.
var (
	ErrResetInvalid = problem.New(problem.NotFound,
		"Ce lien de réinitialisation n'est pas valide, a déjà servi ou a expiré (il est valable une heure). Demandez-en un nouveau depuis « Mot de passe oublié ».")
	ErrResetThrottled = problem.New(problem.TooMany,
		"Trop de demandes de réinitialisation depuis ce poste. Réessayez dans quelques minutes.")
)

// Mailer writes a message in the transaction carried by ctx
// (outbox.Outbox).
type Mailer interface {
	Enqueue(ctx context.Context, m outbox.Message) (string, error)
}

// WithMailer makes d send its password recovery links through m, to pages
// under baseURL, and returns d. Call it while wiring.
func (d *Directory) WithMailer(m Mailer, baseURL string) *Directory {
	d.mailer, d.baseURL = m, baseURL
	return d
}

type passwordResetRow struct {
	ID        string `gorm:"primaryKey"`
	AccountID string
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (passwordResetRow) TableName() string { return "password_resets" }

func hashResetToken(tok string) []byte {
	h := sha256.Sum256([]byte("password reset " + tok))
	return h[:]
}

// passwordResetRequestRow is the password_reset_requests table.
type passwordResetRequestRow struct {
	ID        string `gorm:"primaryKey"`
	Email     string
	CreatedAt time.Time
}

func (passwordResetRequestRow) TableName() string { return "password_reset_requests" }

// RequestPasswordReset records a request for a recovery link to email. It
// does the same work whether or not the address has an account — the
// throttle of clientIP and one INSERT — so that neither its answer nor its
// time tell which addresses have one: the lookup and the link are the
// outbox worker's (ProcessPasswordResetRequests). Only a malformed address,
// or too many requests from clientIP, are errors.
func (d *Directory) RequestPasswordReset(ctx context.Context, email, clientIP string) error {
	if d.mailer == nil {
		return errors.New("account: password recovery needs a mailer (WithMailer)")
	}
	email, err := NormaliseEmail(email)
	if err != nil {
		return err
	}
	now := d.now().UTC()
	key := "reset:" + ipKey(clientIP)
	if until, err := d.lockedUntil(ctx, key, now); err != nil {
		return err
	} else if !until.IsZero() {
		return ErrResetThrottled
	}
	if _, err := d.fail(ctx, key, resetAddressThreshold, now); err != nil {
		return err
	}
	if err := d.db.Conn(ctx).Create(&passwordResetRequestRow{ID: uuid.NewString(), Email: email, CreatedAt: now}).Error; err != nil {
		return fmt.Errorf("account: password reset request: %w", err)
	}
	return nil
}

// ProcessPasswordResetRequests answers up to limit recorded requests, each
// in its own transaction that deletes it (a request is answered once,
// whatever the number of instances): a link is sent to the address if it
// is that of an active account with a password, unless it had
// resetsPerHour links in the last hour. It returns how many it answered.
func (d *Directory) ProcessPasswordResetRequests(ctx context.Context, limit int) (int, error) {
	var reqs []passwordResetRequestRow
	if err := d.db.Conn(ctx).Order("created_at, id").Limit(limit).Find(&reqs).Error; err != nil {
		return 0, fmt.Errorf("account: password reset requests: %w", err)
	}
	done := 0
	for _, req := range reqs {
		err := d.db.InTx(ctx, func(ctx context.Context) error {
			res := d.db.Conn(ctx).Where("id = ?", req.ID).Delete(&passwordResetRequestRow{})
			if res.Error != nil {
				return fmt.Errorf("account: password reset request: %w", res.Error)
			}
			if res.RowsAffected == 0 {
				return nil // another instance answered it
			}
			return d.sendPasswordReset(ctx, req.Email)
		})
		if err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// sendPasswordReset writes a recovery link to email, in ctx's transaction,
// if it is the address of an active account with a password that had
// fewer than resetsPerHour links in the last hour.
func (d *Directory) sendPasswordReset(ctx context.Context, email string) error {
	if d.mailer == nil {
		return errors.New("account: password recovery needs a mailer (WithMailer)")
	}
	now := d.now().UTC()
	r, err := d.accountRow(ctx, "email = ?", email)
	if errors.Is(err, ErrAccountNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !r.Active || r.PasswordHash == "" {
		return nil // deactivated, or invited and not yet arrived
	}
	ms, err := d.Memberships(ctx, r.ID)
	if err != nil {
		return err
	}
	var recent int64
	if err := d.db.Conn(ctx).Model(&passwordResetRow{}).Where("account_id = ? AND created_at > ?", r.ID, now.Add(-time.Hour)).
		Count(&recent).Error; err != nil {
		return fmt.Errorf("account: password resets: %w", err)
	}
	if recent >= resetsPerHour {
		return nil
	}
	tok, _ := newInvitationToken()
	row := passwordResetRow{ID: uuid.NewString(), AccountID: r.ID, TokenHash: hashResetToken(tok), CreatedAt: now, ExpiresAt: now.Add(PasswordResetTTL)}
	if err := d.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("account: password reset: %w", err)
	}
	if _, err := d.mailer.Enqueue(ctx, resetMessage(r.account(), row.ID, d.baseURL+PasswordResetPath+"?jeton="+url.QueryEscape(tok))); err != nil {
		return err
	}
	return d.record(ctx, Actor{Kind: actorKind(ms, ""), ID: r.ID}, audit.ActionPasswordResetRequested, r.ID, "", map[string]string{"reset": row.ID})
}

// OpenPasswordReset returns the account a recovery link is for, or
// ErrResetInvalid.
func (d *Directory) OpenPasswordReset(ctx context.Context, token string) (Account, error) {
	row, err := d.resetByToken(ctx, token)
	if err != nil {
		return Account{}, err
	}
	return d.Account(ctx, row.AccountID)
}

func (d *Directory) resetByToken(ctx context.Context, token string) (passwordResetRow, error) {
	if token == "" || len(token) > 100 {
		return passwordResetRow{}, ErrResetInvalid
	}
	var row passwordResetRow
	if err := d.db.Conn(ctx).Where("token_hash = ?", hashResetToken(token)).Take(&row).Error; err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return passwordResetRow{}, ErrResetInvalid
		}
		return passwordResetRow{}, fmt.Errorf("account: password reset: %w", err)
	}
	if row.UsedAt != nil || !d.now().Before(row.ExpiresAt) {
		return passwordResetRow{}, ErrResetInvalid
	}
	return row, nil
}

// ResetPassword sets the account's new password with a recovery link, in
// one transaction: the link is used up (with every other link of the
// account), every session of the account ends, and the act is recorded.
// The second factor is untouched: it is still needed to sign in.
func (d *Directory) ResetPassword(ctx context.Context, token, password, confirm string) (Account, error) {
	row, err := d.resetByToken(ctx, token)
	if err != nil {
		return Account{}, err
	}
	acc, hash, ms, err := d.newPassword(ctx, row.AccountID, password, confirm)
	if err != nil {
		return Account{}, err
	}
	now := d.now().UTC()
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		conn := d.db.Conn(ctx)
		res := conn.Model(&passwordResetRow{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", row.ID, now).Update("used_at", now)
		if res.Error != nil {
			return fmt.Errorf("account: use password reset: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrResetInvalid
		}
		if err := conn.Model(&passwordResetRow{}).Where("account_id = ? AND used_at IS NULL", row.AccountID).Update("used_at", now).Error; err != nil {
			return fmt.Errorf("account: end password resets: %w", err)
		}
		if err := conn.Model(&accountRow{}).Where("id = ?", row.AccountID).
			Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("account: set password: %w", err)
		}
		ended, err := d.sessions.EndAccountSessions(ctx, row.AccountID)
		if err != nil {
			return err
		}
		return d.record(ctx, Actor{Kind: actorKind(ms, ""), ID: row.AccountID}, audit.ActionPasswordReset, row.AccountID, "",
			map[string]string{"reset": row.ID, "sessions_ended": fmt.Sprint(ended)})
	})
	if err != nil {
		return Account{}, err
	}
	return acc, nil
}

// resetMessage is the recovery email to a.
func resetMessage(a Account, resetID, link string) outbox.Message {
	name := a.GivenName + " " + a.FamilyName
	return outbox.Message{Key: "password-reset:" + resetID, Kind: "password_reset", To: a.Email, ToName: name,
		Subject: "Procura : réinitialiser votre mot de passe",
		Text: "Bonjour " + name + ",\n\n" +
			"Vous recevez ce courriel parce qu'une réinitialisation du mot de passe de votre compte Procura a été demandée depuis la page « Mot de passe oublié ».\n\n" +
			"Pour choisir un nouveau mot de passe, ouvrez ce lien ; il est valable une heure et ne sert qu'une fois :\n" + link + "\n\n" +
			"Votre application d'authentification (ou votre carte TOTP) reste nécessaire pour vous connecter. Toutes vos sessions ouvertes seront fermées.\n\n" +
			"Si vous n'avez rien demandé, ignorez ce courriel : votre mot de passe ne change pas. Si cela se répète, prévenez votre responsable de structure.\n\n" +
			"Ce courriel est envoyé automatiquement : merci de ne pas y répondre.\n"}
}

// PurgePasswordResets deletes up to limit recovery links expired before
// now, used or not: a link past its hour opens nothing, and the count of an
// account's links in the last hour (resetsPerHour) only reads younger ones.
// It returns how many it deleted.
func (d *Directory) PurgePasswordResets(ctx context.Context, limit int) (int64, error) {
	res := d.db.Conn(ctx).Exec(`DELETE FROM password_resets WHERE id IN (
		SELECT id FROM password_resets WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`, d.now().UTC(), limit)
	if res.Error != nil {
		return 0, fmt.Errorf("account: purge password resets: %w", res.Error)
	}
	return res.RowsAffected, nil
}
