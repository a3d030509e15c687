package account

import (
	"context"
	"fmt"
	"time"

	"procura/problem"
)

// Why an aidant may not act for a usager now.
var (
	ErrNotHabilitated = problem.New(problem.Forbidden, "Vous n'êtes pas habilité comme aidant dans cette organisation : vous ne pouvez ni recueillir de mandat ni agir pour un usager.")
	ErrNoTOTP         = problem.New(problem.Forbidden, "Votre compte n'a pas de code à usage unique valide.")
)

// CheckAidant says whether the account may sign or use mandates for the
// organisation at now: active, a member of it as aidant, habilitated, and
// holding a TOTP. It is one indexed query, cheap enough for token time.
func (d *Directory) CheckAidant(ctx context.Context, accountID, organisationID string, now time.Time) error {
	var f AidantFacts
	err := d.db.Conn(ctx).Raw("SELECT "+aidantFactsColumns+" FROM accounts a WHERE a.id = ?", organisationID, accountID).Find(&f).Error
	if err != nil {
		return fmt.Errorf("account: check aidant: %w", err)
	}
	return f.Check(now)
}

// AidantFacts are what decides whether an account may act as an aidant of
// an organisation. Other packages read them, on hot paths, from the view
// aidant_facts (migration 0007): account_id, organisation_id, siret,
// organisation_name, given_name, family_name, active, habilitated_until,
// has_totp; one row per organisation where the account is an aidant. The
// view is this package's published read model: its columns change only
// with a migration that keeps them.
type AidantFacts struct {
	Active           bool
	HabilitatedUntil *time.Time
	HasTOTP          bool `gorm:"column:has_totp"`
	IsAidant         bool
}

// aidantFactsColumns selects AidantFacts from accounts a, its one parameter
// being the organisation id.
const aidantFactsColumns = `a.active, a.habilitated_until, a.totp_secret IS NOT NULL AS has_totp,
	EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = a.id AND m.organisation_id = ? AND m.role = 'aidant') AS is_aidant`

// Check applies the rules to the facts at now.
func (f AidantFacts) Check(now time.Time) error {
	switch {
	case !f.Active:
		return ErrInactive
	case !f.IsAidant || f.HabilitatedUntil == nil || !now.Before(*f.HabilitatedUntil):
		return ErrNotHabilitated
	case !f.HasTOTP:
		return ErrNoTOTP
	}
	return nil
}

// ErrConfirmationCode refuses a TOTP confirmation (mandate signature,
// renewal): wrong or already used code.
var ErrConfirmationCode = problem.New(problem.Invalid, "Le code à usage unique est incorrect ou a déjà été utilisé. Saisissez le code suivant de votre application.")

// ConfirmTOTP checks a fresh TOTP code of the signed-in account, to confirm
// an act (a mandate's signature, its renewal). The code is used up exactly
// as at sign-in. It runs in the caller's transaction, so the code is spent
// only if the act commits; it returns the confirmation time.
func (d *Directory) ConfirmTOTP(ctx context.Context, accountID, code string) (time.Time, error) {
	now := d.now()
	r, err := d.accountRow(ctx, "id = ?", accountID)
	if err != nil {
		return time.Time{}, err
	}
	if !r.Active || len(r.TOTPSecret) == 0 {
		return time.Time{}, ErrNoTOTP
	}
	secret, err := d.totpSeal.Open(r.TOTPSecret, []byte(r.ID))
	if err != nil {
		return time.Time{}, fmt.Errorf("account: open TOTP seed of %s: %w", r.ID, err)
	}
	step, ok := matchTOTP(string(secret), code, now)
	if !ok {
		return time.Time{}, ErrConfirmationCode
	}
	res := d.db.Conn(ctx).Model(&accountRow{}).Where("id = ? AND totp_last_step < ?", r.ID, step).Update("totp_last_step", step)
	if res.Error != nil {
		return time.Time{}, fmt.Errorf("account: TOTP step: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return time.Time{}, ErrConfirmationCode
	}
	return now, nil
}
