package authz

import (
	"context"
	"slices"

	"procura/mandate"
	"procura/notice"
	"procura/procedure"
	"procura/usager"
)

// MandatePermissions checks a delegation against the mandate rules: the
// permission is usable now, in the aidant's organisation, for this usager
// and procedure, and the aidant may act (mandate.Registry.CheckUse); it
// offers the aidant the usagers of their organisation (names from the
// usager registry).
type MandatePermissions struct {
	Mandates *mandate.Registry
	Usagers  *usager.Registry
}

// CheckPermission implements PermissionChecker.
func (m MandatePermissions) CheckPermission(ctx context.Context, d Delegation) error {
	return m.Mandates.CheckUse(ctx, mandate.Use{PermissionID: d.PermissionID, AidantID: d.AidantID,
		OrganisationID: d.OrganisationID, UsagerID: d.UsagerID, Procedure: d.Procedure})
}

// ResolvePermission implements PermissionChecker.
func (m MandatePermissions) ResolvePermission(ctx context.Context, aidantID, organisationID, permissionID string) (Delegation, error) {
	r, err := m.Mandates.Resolve(ctx, aidantID, organisationID, permissionID)
	if err != nil {
		return Delegation{}, err
	}
	p := r.Permission
	return Delegation{AidantID: aidantID, UsagerID: p.UsagerID, OrganisationID: organisationID, OrganisationSIRET: r.SIRET,
		PermissionID: p.ID, MandateID: p.MandateID, Procedure: p.Procedure, NotifyUsager: r.NotifyUsager}, nil
}

// Offer implements PermissionChecker: two reads, the aidant's situation
// with the permissions, then the usagers' names.
func (m MandatePermissions) Offer(ctx context.Context, aidantID, organisationID string, procedures []string, search string) (Offer, error) {
	s, err := m.Mandates.UsableBy(ctx, aidantID, organisationID, procedures)
	if err != nil {
		return Offer{}, err
	}
	o := Offer{OrganisationName: s.OrganisationName, Refusal: s.Refusal}
	if s.GivenName != "" {
		o.AidantName = s.GivenName + " " + s.FamilyName
	}
	byUsager := map[string][]OfferedPermission{}
	var ids []string
	for _, p := range s.Permissions {
		if _, seen := byUsager[p.UsagerID]; !seen {
			ids = append(ids, p.UsagerID)
		}
		byUsager[p.UsagerID] = append(byUsager[p.UsagerID], OfferedPermission{ID: p.ID, Procedure: p.Procedure})
	}
	named, err := m.Usagers.Names(ctx, ids, search)
	if err != nil {
		return Offer{}, err
	}
	for _, n := range named {
		perms := byUsager[n.ID]
		slices.SortFunc(perms, func(a, b OfferedPermission) int { return procedure.Rank(a.Procedure) - procedure.Rank(b.Procedure) })
		o.Usagers = append(o.Usagers, OfferedUsager{UsagerID: n.ID, GivenName: n.GivenName, FamilyName: n.FamilyName,
			Birthdate: n.Birthdate, Permissions: perms})
	}
	return o, nil
}

// UsagerIdentities gives services the identity of the usagers Procura
// recorded from FranceConnect.
type UsagerIdentities struct{ Usagers *usager.Registry }

// UsagerIdentity implements UsagerClaims.
func (u UsagerIdentities) UsagerIdentity(ctx context.Context, usagerID string) (Identity, error) {
	x, err := u.Usagers.Get(ctx, usagerID)
	if err != nil {
		return Identity{}, err
	}
	return x.Claims, nil
}

// UsagerNotices records the logins usagers asked to be told of.
type UsagerNotices struct{ Notices *notice.Notices }

// NotifyLogin implements LoginNotifier.
func (u UsagerNotices) NotifyLogin(ctx context.Context, n LoginNotice) error {
	return u.Notices.Record(ctx, notice.Login{UsagerID: n.UsagerID, OrganisationID: n.OrganisationID,
		Service: n.Service, Procedure: n.Procedure, At: n.At})
}

var (
	_ LoginNotifier     = UsagerNotices{}
	_ PermissionChecker = MandatePermissions{}
	_ UsagerClaims      = UsagerIdentities{}
)
