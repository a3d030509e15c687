package mandate

import (
	"context"
	"fmt"
	"slices"

	"procura/db"
	"procura/procedure"
	"procura/usager"
)

// Scope is whose mandates a lookup may find: an organisation's (for its
// aidants) or a usager's (in their space). Every lookup is scoped, so that a
// forged id of someone else's mandate is not found.
type Scope struct {
	OrganisationID string
	UsagerID       string
}

// OfOrganisation is the scope of an organisation's aidants.
func OfOrganisation(id string) Scope { return Scope{OrganisationID: id} }

// OfUsager is the scope of a usager in their space.
func OfUsager(id string) Scope { return Scope{UsagerID: id} }

// Get returns a mandate of the organisation with its permissions. A mandate
// of another organisation is not found.
func (r *Registry) Get(ctx context.Context, organisationID, mandateID string) (Mandate, error) {
	return r.get(ctx, OfOrganisation(organisationID), mandateID)
}

func (r *Registry) get(ctx context.Context, scope Scope, mandateID string) (Mandate, error) {
	if !db.IsUUID(mandateID) || (scope.OrganisationID == "" && scope.UsagerID == "") {
		return Mandate{}, ErrNotFound
	}
	q := r.db.Conn(ctx).Where("id = ?", mandateID)
	if scope.OrganisationID != "" {
		q = q.Where("organisation_id = ?", scope.OrganisationID)
	}
	if scope.UsagerID != "" {
		q = q.Where("usager_id = ?", scope.UsagerID)
	}
	var row mandateRow
	err := q.Take(&row).Error
	if db.NotFound(err) == db.ErrNotFound {
		return Mandate{}, ErrNotFound
	}
	if err != nil {
		return Mandate{}, fmt.Errorf("mandate: get: %w", err)
	}
	ms, err := r.withPermissions(ctx, []mandateRow{row})
	if err != nil {
		return Mandate{}, err
	}
	return ms[0], nil
}

// withPermissions loads the permissions of mandates, in catalogue order.
func (r *Registry) withPermissions(ctx context.Context, rows []mandateRow) ([]Mandate, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	index := make(map[string]int, len(rows))
	out := make([]Mandate, len(rows))
	for i, row := range rows {
		ids[i], index[row.ID], out[i] = row.ID, i, row.mandate()
	}
	var perms []permissionRow
	if err := r.db.Conn(ctx).Where("mandate_id IN ?", ids).Find(&perms).Error; err != nil {
		return nil, fmt.Errorf("mandate: permissions: %w", err)
	}
	for _, p := range perms {
		i := index[p.MandateID]
		out[i].Permissions = append(out[i].Permissions, p.permission())
	}
	for i := range out {
		slices.SortFunc(out[i].Permissions, func(a, b Permission) int { return procedure.Rank(a.Procedure) - procedure.Rank(b.Procedure) })
	}
	return out, nil
}

// UsagerMandates is a usager of an organisation with their mandates there,
// newest first.
type UsagerMandates struct {
	UsagerID   string
	GivenName  string
	FamilyName string
	Birthdate  string
	Mandates   []Mandate
}

// Listing selects the usagers an aidant looks for.
type Listing struct {
	// Search matches any part of a name, any case or accent
	// (usager.SearchPattern).
	Search string
	// Status keeps usagers with at least one mandate in that status; empty
	// keeps all.
	Status Status
	Limit  int
}

// UsagersOf lists the usagers who gave the organisation a mandate, by
// family name, with their mandates there.
func (r *Registry) UsagersOf(ctx context.Context, organisationID string, l Listing) ([]UsagerMandates, error) {
	limit := l.Limit
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	// The organisation's usagers from organisation_usagers, the read model
	// the database keeps (migration 0017): one range of its primary key,
	// filtered by the search, never the whole usagers table.
	q := r.db.Conn(ctx).Table("organisation_usagers").Select("usager_id AS id, given_name, family_name, birthdate").
		Where("organisation_id = ?", organisationID)
	if pattern, ok := usager.SearchPattern(l.Search); ok {
		q = q.Where(`search_key LIKE ? ESCAPE '\'`, pattern)
	}
	var usagers []usager.Named
	if err := q.Find(&usagers).Error; err != nil {
		return nil, fmt.Errorf("mandate: list usagers: %w", err)
	}
	usager.SortNamed(usagers)
	if len(usagers) > limit {
		usagers = usagers[:limit]
	}
	if len(usagers) == 0 {
		return nil, nil
	}
	ids := make([]string, len(usagers))
	for i, u := range usagers {
		ids[i] = u.ID
	}
	var rows []mandateRow
	if err := r.db.Conn(ctx).Where("organisation_id = ? AND usager_id IN ?", organisationID, ids).
		Order("signed_at DESC, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("mandate: list mandates: %w", err)
	}
	mandates, err := r.withPermissions(ctx, rows)
	if err != nil {
		return nil, err
	}
	byUsager := map[string][]Mandate{}
	for _, m := range mandates {
		byUsager[m.UsagerID] = append(byUsager[m.UsagerID], m)
	}
	now := r.now()
	var out []UsagerMandates
	for _, u := range usagers {
		ms := byUsager[u.ID]
		if l.Status != "" && !slices.ContainsFunc(ms, func(m Mandate) bool { return m.Status(now) == l.Status }) {
			continue
		}
		out = append(out, UsagerMandates{UsagerID: u.ID, GivenName: u.GivenName, FamilyName: u.FamilyName, Birthdate: u.Birthdate, Mandates: ms})
	}
	return out, nil
}

// MandatesOfUsager returns every mandate a usager gave, to any
// organisation, newest first: what their space shows.
func (r *Registry) MandatesOfUsager(ctx context.Context, usagerID string) ([]Mandate, error) {
	var rows []mandateRow
	if err := r.db.Conn(ctx).Where("usager_id = ?", usagerID).
		Order("signed_at DESC, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("mandate: usager's mandates: %w", err)
	}
	return r.withPermissions(ctx, rows)
}
