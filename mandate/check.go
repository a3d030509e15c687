package mandate

import (
	"context"
	"fmt"
	"time"

	"procura/account"
	"procura/db"
	"procura/problem"
)

// Why a permission cannot be used for a delegated login.
var (
	ErrPermissionUnusable = problem.New(problem.Forbidden, "Ce mandat ne permet pas cette démarche : il a été révoqué, remplacé ou a expiré.")
	ErrOtherOrganisation  = problem.New(problem.NotFound, "Autorisation introuvable dans votre organisation.")
)

// The delegated login's reads join the account package's published view
// aidant_facts (migration 0007; account.AidantFacts), so that checking a
// permission together with the aidant who uses it is one round trip, and
// this package reads no table of another.

// Use is a delegated login to check: an aidant, in their current
// organisation, for a usager, under one permission, for one procedure.
type Use struct {
	PermissionID   string
	AidantID       string
	OrganisationID string
	UsagerID       string
	Procedure      string
}

// Resolved is a permission found usable for an aidant: what a delegated
// login under it needs.
type Resolved struct {
	Permission Permission
	// SIRET is the organisation's, sent to services in the act claim.
	SIRET string
	// NotifyUsager: the usager asked to be told by email of each login.
	NotifyUsager bool
}

// CheckUse says whether the permission is usable now for this use: it
// exists in the aidant's current organisation for this usager and
// procedure, is neither ended nor expired, and the aidant is active,
// habilitated and holds a TOTP. It is checked when the code is issued and
// again at token, refresh and userinfo time: one query.
func (r *Registry) CheckUse(ctx context.Context, u Use) error {
	res, err := r.Resolve(ctx, u.AidantID, u.OrganisationID, u.PermissionID)
	if err != nil {
		return err
	}
	switch {
	case res.Permission.UsagerID != u.UsagerID:
		return ErrOtherOrganisation
	case res.Permission.Procedure != u.Procedure:
		return ErrPermissionUnusable
	}
	return nil
}

// Resolve returns the permission permissionID of the aidant's current
// organisation if the aidant may use it now (the rules of CheckUse), with
// the organisation's SIRET: the aidant's choice at a delegated login. A
// permission of another organisation, or no permission, is
// ErrOtherOrganisation.
func (r *Registry) Resolve(ctx context.Context, aidantID, organisationID, permissionID string) (Resolved, error) {
	if !db.IsUUID(permissionID) {
		return Resolved{}, ErrOtherOrganisation
	}
	now := r.now()
	var row struct {
		ID, MandateID, OrganisationID, UsagerID, Procedure string
		ExpiresAt                                          time.Time
		EndedAt                                            *time.Time
		Siret                                              *string
		NotifyUsager                                       bool
		account.AidantFacts                                `gorm:"embedded"`
	}
	res := r.db.Conn(ctx).Raw(`SELECT p.id, p.mandate_id, p.organisation_id, p.usager_id, p.procedure, p.expires_at, p.ended_at, f.siret, f.active, f.habilitated_until, f.has_totp, f.account_id IS NOT NULL AS is_aidant, m.notify_usager
		FROM permissions p JOIN mandates m ON m.id = p.mandate_id LEFT JOIN aidant_facts f ON f.account_id = ? AND f.organisation_id = ?
		WHERE p.id = ?`, aidantID, organisationID, permissionID).Find(&row)
	if res.Error != nil {
		return Resolved{}, fmt.Errorf("mandate: check permission: %w", res.Error)
	}
	p := Permission{ID: row.ID, MandateID: row.MandateID, OrganisationID: row.OrganisationID, UsagerID: row.UsagerID,
		Procedure: row.Procedure, ExpiresAt: row.ExpiresAt.UTC(), EndedAt: row.EndedAt}
	switch {
	case res.RowsAffected == 0:
		// No such permission: say first what is wrong with the aidant, if
		// anything (an error path, one more query).
		if err := r.directory.CheckAidant(ctx, aidantID, organisationID, now); err != nil {
			return Resolved{}, err
		}
		return Resolved{}, ErrOtherOrganisation
	case p.OrganisationID != organisationID:
		return Resolved{}, ErrOtherOrganisation
	case !row.IsAidant:
		return Resolved{}, account.ErrNotHabilitated
	}
	if err := row.AidantFacts.Check(now); err != nil {
		return Resolved{}, err
	}
	if !p.Usable(now) {
		return Resolved{}, ErrPermissionUnusable
	}
	return Resolved{Permission: p, SIRET: *row.Siret, NotifyUsager: row.NotifyUsager}, nil
}

// AidantSituation is where an aidant stands in an organisation for
// delegated logins: their name and the organisation's, why they may not act
// (nil when they may), and the usable permissions offered to them.
type AidantSituation struct {
	GivenName        string
	FamilyName       string
	OrganisationName string
	// Refusal is the safe reason the aidant may not act now
	// (account.ErrNotHabilitated, ErrInactive, ErrNoTOTP), or nil.
	Refusal error
	// Permissions are the organisation's usable permissions for the
	// procedures asked, by usager; empty when Refusal is set.
	Permissions []Permission
}

// maxOffered bounds the permissions a choice lists.
const maxOffered = 500

// UsableBy returns the aidant's situation in the organisation and the
// usable permissions of the organisation for one of procedures (ids): what
// the delegated-login choice offers. One query.
func (r *Registry) UsableBy(ctx context.Context, aidantID, organisationID string, procedures []string) (AidantSituation, error) {
	now := r.now()
	type row struct {
		GivenName, FamilyName, OrganisationName string
		account.AidantFacts                     `gorm:"embedded"`
		ID, MandateID, UsagerID, Procedure      *string
		ExpiresAt                               *time.Time
	}
	if len(procedures) == 0 {
		procedures = []string{""} // IN () is not SQL; "" matches no procedure
	}
	var rows []row
	err := r.db.Conn(ctx).Raw(`SELECT f.given_name, f.family_name, f.organisation_name, f.active, f.habilitated_until, f.has_totp,
			TRUE AS is_aidant, p.id, p.mandate_id, p.usager_id, p.procedure, p.expires_at
		FROM aidant_facts f
		LEFT JOIN permissions p ON p.organisation_id = f.organisation_id AND p.ended_at IS NULL AND p.expires_at > ? AND p.procedure IN ?
		WHERE f.account_id = ? AND f.organisation_id = ?
		ORDER BY p.usager_id, p.procedure LIMIT ?`, now.UTC(), procedures, aidantID, organisationID, maxOffered).Find(&rows).Error
	if err != nil {
		return AidantSituation{}, fmt.Errorf("mandate: usable permissions: %w", err)
	}
	if len(rows) == 0 {
		// Not an aidant of this organisation (a manager only, or removed).
		return AidantSituation{Refusal: account.ErrNotHabilitated}, nil
	}
	s := AidantSituation{GivenName: rows[0].GivenName, FamilyName: rows[0].FamilyName, OrganisationName: rows[0].OrganisationName}
	if s.Refusal = rows[0].AidantFacts.Check(now); s.Refusal != nil {
		return s, nil
	}
	for _, rw := range rows {
		if rw.ID == nil {
			continue
		}
		p := Permission{ID: *rw.ID, MandateID: *rw.MandateID, OrganisationID: organisationID, UsagerID: *rw.UsagerID,
			Procedure: *rw.Procedure, ExpiresAt: rw.ExpiresAt.UTC()}
		if p.Usable(now) {
			s.Permissions = append(s.Permissions, p)
		}
	}
	return s, nil
}

// Permission returns a permission of the organisation, with its mandate
// id; any other organisation's is not found.
func (r *Registry) Permission(ctx context.Context, organisationID, permissionID string) (Permission, error) {
	if !db.IsUUID(permissionID) {
		return Permission{}, ErrPermissionFound
	}
	var p permissionRow
	res := r.db.Conn(ctx).Where("id = ? AND organisation_id = ?", permissionID, organisationID).Limit(1).Find(&p)
	if res.Error != nil {
		return Permission{}, fmt.Errorf("mandate: permission: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return Permission{}, ErrPermissionFound
	}
	return p.permission(), nil
}
