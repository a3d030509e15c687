package mandate

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"procura/account"
	"procura/problem"
	"procura/usager"
)

// Why a permission cannot be used for a delegated login.
var (
	ErrPermissionUnusable = problem.New(problem.Forbidden, "Ce mandat ne permet pas cette démarche : il a été révoqué, remplacé ou a expiré.")
	ErrOtherOrganisation  = problem.New(problem.NotFound, "Autorisation introuvable dans votre organisation.")
)

// Use is a delegated login to check: an aidant, in their current
// organisation, for a usager, under one permission, for one procedure.
type Use struct {
	PermissionID   string
	AidantID       string
	OrganisationID string
	UsagerID       string
	Procedure      string
}

// CheckUse says whether the permission is usable now for this use: it
// exists in the aidant's current organisation for this usager and
// procedure, is neither ended nor expired, and the aidant is active,
// habilitated and holds a TOTP. It is checked when the code is issued and
// again at token, refresh and userinfo time; two primary-key lookups.
func (r *Registry) CheckUse(ctx context.Context, u Use) error {
	if _, err := uuid.Parse(u.PermissionID); err != nil {
		return ErrOtherOrganisation
	}
	now := r.now()
	// One round trip: the permission and the aidant's facts.
	var row struct {
		OrganisationID      string
		UsagerID            string
		Procedure           string
		ExpiresAt           time.Time
		EndedAt             *time.Time
		account.AidantFacts `gorm:"embedded"`
	}
	res := r.db.Conn(ctx).Raw(`SELECT p.organisation_id, p.usager_id, p.procedure, p.expires_at, p.ended_at, `+account.AidantFactsColumns+`
		FROM permissions p JOIN accounts a ON a.id = ? WHERE p.id = ?`, u.OrganisationID, u.AidantID, u.PermissionID).Scan(&row)
	if res.Error != nil {
		return fmt.Errorf("mandate: check permission: %w", res.Error)
	}
	p := Permission{ExpiresAt: row.ExpiresAt, EndedAt: row.EndedAt}
	switch {
	case res.RowsAffected == 0:
		// No such permission, or no such aidant: look again to tell which.
		if err := r.directory.CheckAidant(ctx, u.AidantID, u.OrganisationID, now); err != nil {
			return err
		}
		return ErrOtherOrganisation
	case row.OrganisationID != u.OrganisationID, row.UsagerID != u.UsagerID:
		return ErrOtherOrganisation
	case row.Procedure != u.Procedure, !p.Usable(now):
		return ErrPermissionUnusable
	}
	return row.AidantFacts.Check(now)
}

// Usable is a usager the aidant may act for, with the procedures they may
// act in.
type Usable struct {
	UsagerID    string
	GivenName   string
	FamilyName  string
	Birthdate   string
	Permissions []Permission
}

// UsableIn lists the usagers of the organisation with a usable permission
// for one of procedures (ids), by family name; search filters names by
// prefix. It is what the delegated-login choice offers.
func (r *Registry) UsableIn(ctx context.Context, organisationID string, procedures []string, search string) ([]Usable, error) {
	if len(procedures) == 0 {
		return nil, nil
	}
	now := r.now().UTC()
	type row struct {
		ID, MandateID, UsagerID, Procedure string
		ExpiresAt                          time.Time
		GivenName, FamilyName, Birthdate   string
	}
	q := r.db.Conn(ctx).Table("permissions p").
		Select("p.id, p.mandate_id, p.usager_id, p.procedure, p.expires_at, u.given_name, u.family_name, u.birthdate").
		Joins("JOIN usagers u ON u.id = p.usager_id").
		Where("p.organisation_id = ? AND p.ended_at IS NULL AND p.expires_at > ? AND p.procedure IN ?", organisationID, now, procedures)
	if search != "" {
		pattern := escapeLike(usager.SearchKey(search)) + "%"
		q = q.Where("(u.search_key LIKE ? ESCAPE '\\' OR u.search_key LIKE ? ESCAPE '\\')", pattern, "% "+pattern)
	}
	var rows []row
	if err := q.Order("lower(u.family_name), lower(u.given_name), p.usager_id").Limit(500).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("mandate: usable permissions: %w", err)
	}
	var out []Usable
	for _, rw := range rows {
		if n := len(out); n == 0 || out[n-1].UsagerID != rw.UsagerID {
			out = append(out, Usable{UsagerID: rw.UsagerID, GivenName: rw.GivenName, FamilyName: rw.FamilyName, Birthdate: rw.Birthdate})
		}
		p := Permission{ID: rw.ID, MandateID: rw.MandateID, OrganisationID: organisationID, UsagerID: rw.UsagerID,
			Procedure: rw.Procedure, ExpiresAt: rw.ExpiresAt.UTC()}
		if p.Usable(now) {
			out[len(out)-1].Permissions = append(out[len(out)-1].Permissions, p)
		}
	}
	return out, nil
}

// Permission returns a permission of the organisation, with its mandate
// id; any other organisation's is not found.
func (r *Registry) Permission(ctx context.Context, organisationID, permissionID string) (Permission, error) {
	if _, err := uuid.Parse(permissionID); err != nil {
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
