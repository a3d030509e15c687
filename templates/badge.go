package templates

// badgeClass is the template function "badge": the DSFR badge modifier of a
// status, so that each status has its colour and icon beside its label
// (never colour alone). It knows the statuses of mandates and permissions
// (mandate.Status) and those of the team list; any other status is the
// neutral grey badge.
//
//	<span class="fr-badge fr-badge--sm {{badge .Status}}">{{.StatusLabel}}</span>
func badgeClass(status string) string {
	switch status {
	case "active", "habilitated":
		return "fr-badge--success"
	case "revoked", "not_habilitated":
		return "fr-badge--error"
	case "replaced", "manager":
		return "fr-badge--info"
	case "expired", "expiring":
		return "fr-badge--warning"
	case "invited":
		return "fr-badge--new"
	}
	return ""
}
