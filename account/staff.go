package account

import (
	"context"
	"fmt"
	"time"
)

// What the managers' alerts (package oversight) read of every
// organisation's team, outside any manager's request: the maintenance loop
// acts for the system, so these take no Manager.

// OrganisationIDs lists every organisation's id.
func (d *Directory) OrganisationIDs(ctx context.Context) ([]string, error) {
	var ids []string
	if err := d.db.Conn(ctx).Model(&organisationRow{}).Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("account: organisations: %w", err)
	}
	return ids, nil
}

// ActiveManagers lists the organisation's managers who can sign in (active,
// invitation accepted): those the alerts are emailed to.
func (d *Directory) ActiveManagers(ctx context.Context, organisationID string) ([]Account, error) {
	team, err := d.team(ctx, organisationID, "")
	if err != nil {
		return nil, err
	}
	var out []Account
	for _, t := range team {
		if t.Has(RoleManager) && t.Active && !t.Pending {
			out = append(out, t.Account)
		}
	}
	return out, nil
}

// HabilitationEnd is an aidant's habilitation that ends, in one of their
// organisations.
type HabilitationEnd struct {
	AccountID      string
	OrganisationID string
	Until          time.Time
}

// HabilitationsEnding lists the habilitations of active aidants that end
// after from and no later than to, once per organisation where the account
// is an aidant: one query for every organisation.
func (d *Directory) HabilitationsEnding(ctx context.Context, from, to time.Time) ([]HabilitationEnd, error) {
	var out []HabilitationEnd
	err := d.db.Conn(ctx).Raw(`SELECT a.id AS account_id, m.organisation_id, a.habilitated_until AS until
		FROM accounts a JOIN memberships m ON m.account_id = a.id AND m.role = 'aidant'
		WHERE a.active AND a.habilitated_until > ? AND a.habilitated_until <= ?
		ORDER BY m.organisation_id, a.habilitated_until`, from.UTC(), to.UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("account: habilitations ending: %w", err)
	}
	return out, nil
}
