package account

import (
	"context"
	"fmt"

	"procura/audit"
)

// Enrolment is a TOTP seed offered to an account that has none. The secret
// travels only sealed (Sealed, bound to the account) until confirmed.
type Enrolment struct {
	Secret string
	URI    string
	Sealed []byte
}

// ErrEnrolmentCode refuses a confirmation code that does not match the seed.
var ErrEnrolmentCode = invalid("Le code saisi ne correspond pas. Vérifiez l'heure de votre téléphone et saisissez le code affiché.")

// BeginEnrolment generates a seed for an account without TOTP.
func (d *Directory) BeginEnrolment(ctx context.Context, accountID string) (Enrolment, error) {
	a, err := d.Account(ctx, accountID)
	if err != nil {
		return Enrolment{}, err
	}
	if a.HasTOTP {
		return Enrolment{}, conflict("Ce compte a déjà une application d'authentification.")
	}
	key, err := NewTOTPKey(a.Email, "")
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URI: key.URL(), Sealed: d.totpSeal.Seal([]byte(key.Secret()), pendingContext(accountID))}, nil
}

func pendingContext(accountID string) []byte { return []byte("pending:" + accountID) }

func (d *Directory) pendingSecret(accountID string, sealed []byte) (string, error) {
	secret, err := d.totpSeal.Open(sealed, pendingContext(accountID))
	if err != nil {
		return "", ErrEnrolmentCode
	}
	return string(secret), nil
}

// ReopenEnrolment gives back the enrolment begun with BeginEnrolment from its
// sealed seed, to show the same QR code again.
func (d *Directory) ReopenEnrolment(ctx context.Context, accountID string, sealed []byte) (Enrolment, error) {
	secret, err := d.pendingSecret(accountID, sealed)
	if err != nil {
		return Enrolment{}, err
	}
	a, err := d.Account(ctx, accountID)
	if err != nil {
		return Enrolment{}, err
	}
	key, err := NewTOTPKey(a.Email, secret)
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, URI: key.URL(), Sealed: sealed}, nil
}

// CompleteEnrolment stores the seed once the person proves their app shows
// its codes; it signs them in to s (the code is used up) and audits both
// acts, in one transaction.
func (d *Directory) CompleteEnrolment(ctx context.Context, accountID string, sealed []byte, code string, s Session) (Account, error) {
	secret, err := d.pendingSecret(accountID, sealed)
	if err != nil {
		return Account{}, err
	}
	step, ok := matchTOTP(secret, code, d.now())
	if !ok {
		return Account{}, ErrEnrolmentCode
	}
	ms, err := d.Memberships(ctx, accountID)
	if err != nil {
		return Account{}, err
	}
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		res := d.db.Conn(ctx).Model(&accountRow{}).Where("id = ? AND totp_secret IS NULL AND active", accountID).
			Updates(map[string]any{
				"totp_secret":    d.totpSeal.Seal([]byte(secret), []byte(accountID)),
				"totp_last_step": step,
				"updated_at":     d.now().UTC(),
			})
		if res.Error != nil {
			return fmt.Errorf("account: enrol TOTP: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return conflict("Ce compte a déjà une application d'authentification, ou il est désactivé.")
		}
		actor := Actor{Kind: actorKind(ms, firstOrganisation(ms)), ID: accountID}
		if err := d.record(ctx, actor, audit.ActionTOTPEnrolled, accountID, "", map[string]string{"device": "app"}); err != nil {
			return err
		}
		return d.beginSession(ctx, accountID, ms, "password+totp_enrolment", s)
	})
	if err != nil {
		return Account{}, err
	}
	return d.Account(ctx, accountID)
}
