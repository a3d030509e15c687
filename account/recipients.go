package account

import (
	"context"
	"fmt"
)

// ManagersOf returns the active managers of an organisation, by name: who
// is told by email of what concerns the structure (a mandate its usager
// suspended).
func (d *Directory) ManagersOf(ctx context.Context, organisationID string) ([]Account, error) {
	var rows []accountRow
	err := d.db.Conn(ctx).Where("active AND id IN (?)",
		d.db.Conn(ctx).Model(&membershipRow{}).Select("account_id").Where("organisation_id = ? AND role = ?", organisationID, string(RoleManager))).
		Order("family_name, given_name, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("account: managers: %w", err)
	}
	out := make([]Account, len(rows))
	for i, r := range rows {
		out[i] = r.account()
	}
	return out, nil
}
