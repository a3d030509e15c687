package authz

import (
	"context"

	"procura/mandate"
	"procura/usager"
)

// MandatePermissions checks a delegation against the mandate rules: the
// permission is usable now, in the aidant's organisation, for this usager
// and procedure, and the aidant may act (mandate.Registry.CheckUse).
type MandatePermissions struct{ Mandates *mandate.Registry }

// CheckPermission implements PermissionChecker.
func (m MandatePermissions) CheckPermission(ctx context.Context, d Delegation) error {
	return m.Mandates.CheckUse(ctx, mandate.Use{PermissionID: d.PermissionID, AidantID: d.AidantID,
		OrganisationID: d.OrganisationID, UsagerID: d.UsagerID, Procedure: d.Procedure})
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
	// identity.Claims has Identity's fields in Identity's order: one
	// converts into the other.
	return Identity(x.Claims), nil
}

var (
	_ PermissionChecker = MandatePermissions{}
	_ UsagerClaims      = UsagerIdentities{}
)
