package mandate

import (
	"context"
	"errors"
	"fmt"

	"procura/audit"
	"procura/db"
)

// Find is Get for an actor of the organisation: a mandate of another
// organisation is not found, and the attempt is recorded as a
// cross-organisation one (DESIGN.md §2, Manager 4).
func (r *Registry) Find(ctx context.Context, by Actor, organisationID, mandateID string) (Mandate, error) {
	m, err := r.Get(ctx, organisationID, mandateID)
	return m, r.refusedOutside(ctx, by, OfOrganisation(organisationID), mandateID, err)
}

// refusedOutside returns err; when err is ErrNotFound for an
// organisation's scope and the mandate exists in another organisation, it
// first records the attempt, in its own transaction (the act it refused
// wrote nothing). The entry names the mandate only in its details, so that
// it is not listed among that mandate's acts.
func (r *Registry) refusedOutside(ctx context.Context, by Actor, scope Scope, mandateID string, err error) error {
	if !errors.Is(err, ErrNotFound) || scope.OrganisationID == "" {
		return err
	}
	if !db.IsUUID(mandateID) {
		return err
	}
	var n int64
	if qerr := r.db.Conn(ctx).Model(&mandateRow{}).Where("id = ? AND organisation_id <> ?", mandateID, scope.OrganisationID).
		Count(&n).Error; qerr != nil {
		return fmt.Errorf("mandate: cross-organisation check: %w", qerr)
	}
	if n == 0 {
		return err
	}
	rerr := r.db.InTx(ctx, func(ctx context.Context) error {
		return r.journal.Record(ctx, audit.Entry{Action: audit.ActionCrossOrganisationRefused, ActorKind: by.Kind, ActorID: by.ID,
			OrganisationID: scope.OrganisationID, Details: map[string]string{"attempt": "mandate", "mandate": mandateID}})
	})
	if rerr != nil {
		return rerr
	}
	return err
}
