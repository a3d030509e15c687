package account

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"procura/audit"
)

// OrganisationSettings is what a manager may change of their
// organisation; its SIRET is the operator's.
type OrganisationSettings struct {
	Name       string
	Procedures []string
}

// UpdateOrganisation changes the name and the allowed procedures of m's
// organisation, recorded in one transaction. Narrowing the procedures
// leaves existing mandates as they are: new mandates can only include the
// allowed ones.
func (d *Directory) UpdateOrganisation(ctx context.Context, m Manager, in OrganisationSettings) (Organisation, error) {
	if err := d.CheckManager(ctx, m); err != nil {
		return Organisation{}, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		return Organisation{}, invalid("Le nom de l'organisation est requis (200 caractères au plus).")
	}
	if len(in.Procedures) == 0 {
		return Organisation{}, invalid("Choisissez au moins une démarche.")
	}
	procs, err := normaliseProcedures(slices.Compact(slices.Sorted(slices.Values(in.Procedures))))
	if err != nil {
		return Organisation{}, err
	}
	before, err := d.Organisation(ctx, m.OrganisationID)
	if err != nil {
		return Organisation{}, err
	}
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		conn := d.db.Conn(ctx)
		if err := conn.Model(&organisationRow{}).Where("id = ?", m.OrganisationID).Update("name", name).Error; err != nil {
			return fmt.Errorf("account: rename organisation: %w", err)
		}
		if err := conn.Where("organisation_id = ?", m.OrganisationID).Delete(&organisationProcedureRow{}).Error; err != nil {
			return fmt.Errorf("account: organisation procedures: %w", err)
		}
		for _, p := range procs {
			if err := conn.Create(&organisationProcedureRow{OrganisationID: m.OrganisationID, Procedure: p}).Error; err != nil {
				return fmt.Errorf("account: organisation procedure: %w", err)
			}
		}
		details := map[string]string{"procedures": strings.Join(procs, ","), "renamed": fmt.Sprint(name != before.Name)}
		return d.journal.Record(ctx, audit.Entry{Action: audit.ActionOrganisationUpdated, ActorKind: audit.ActorManager,
			ActorID: m.AccountID, OrganisationID: m.OrganisationID, Details: details})
	})
	if err != nil {
		return Organisation{}, err
	}
	return d.Organisation(ctx, m.OrganisationID)
}
