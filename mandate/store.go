package mandate

import (
	"time"
)

// mandateRow is the mandates table.
type mandateRow struct {
	ID               string `gorm:"primaryKey"`
	OrganisationID   string
	UsagerID         string
	AidantID         string
	DurationDays     int
	SignedAt         time.Time
	ExpiresAt        time.Time
	TextVersion      string
	TextSHA256       string    `gorm:"column:text_sha256"`
	FCIDToken        string    `gorm:"column:fc_id_token"`
	FCIDTokenSHA256  string    `gorm:"column:fc_id_token_sha256"`
	FCJWKSSHA256     string    `gorm:"column:fc_jwks_sha256"`
	TOTPConfirmedAt  time.Time `gorm:"column:totp_confirmed_at"`
	Renews           *string
	NotifyUsager     bool
	Signature        string
	RevokedAt        *time.Time
	RevokedByKind    string
	RevokedByID      string
	RevokedReason    string
	ExpiryRecordedAt *time.Time
	CreatedAt        time.Time
}

func (mandateRow) TableName() string { return "mandates" }

func (r mandateRow) mandate() Mandate {
	m := Mandate{ID: r.ID, OrganisationID: r.OrganisationID, UsagerID: r.UsagerID, AidantID: r.AidantID,
		DurationDays: r.DurationDays, SignedAt: r.SignedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), TextVersion: r.TextVersion,
		TextSHA256: r.TextSHA256, FCIDTokenSHA256: r.FCIDTokenSHA256, FCJWKSSHA256: r.FCJWKSSHA256, TOTPConfirmedAt: r.TOTPConfirmedAt.UTC(),
		NotifyUsager: r.NotifyUsager, Signature: r.Signature, RevokedAt: r.RevokedAt, RevokedByKind: r.RevokedByKind,
		RevokedByID: r.RevokedByID, RevokedReason: r.RevokedReason, ExpiryRecordedAt: r.ExpiryRecordedAt}
	if r.Renews != nil {
		m.Renews = *r.Renews
	}
	return m
}

// permissionRow is the permissions table.
type permissionRow struct {
	ID             string `gorm:"primaryKey"`
	MandateID      string
	OrganisationID string
	UsagerID       string
	Procedure      string
	ExpiresAt      time.Time
	EndedAt        *time.Time
	EndReason      *string
	EndedByKind    string
	EndedByID      string
}

func (permissionRow) TableName() string { return "permissions" }

func (r permissionRow) permission() Permission {
	p := Permission{ID: r.ID, MandateID: r.MandateID, OrganisationID: r.OrganisationID, UsagerID: r.UsagerID,
		Procedure: r.Procedure, ExpiresAt: r.ExpiresAt.UTC(), EndedAt: r.EndedAt, EndedByKind: r.EndedByKind, EndedByID: r.EndedByID}
	if r.EndReason != nil {
		p.EndReason = *r.EndReason
	}
	return p
}
