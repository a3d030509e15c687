package templates

import "testing"

// Each status has its colour beside its word; an unknown one stays grey.
func TestBadgeClass(t *testing.T) {
	for status, want := range map[string]string{
		"active": "fr-badge--success", "revoked": "fr-badge--error", "replaced": "fr-badge--info",
		"expired": "fr-badge--warning", "habilitated": "fr-badge--success", "expiring": "fr-badge--warning",
		"not_habilitated": "fr-badge--error", "manager": "fr-badge--info", "invited": "fr-badge--new",
		"deactivated": "", "": "", "inconnu": "",
	} {
		if got := badgeClass(status); got != want {
			t.Errorf("badgeClass(%q) = %q, want %q", status, got, want)
		}
	}
}
