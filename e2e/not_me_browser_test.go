//go:build browser

package e2e

import (
	"testing"

	"procura/app"
)

// The "Ce n'était pas moi" journey (issue 12): from the email link in the
// dev mail catcher, through the FranceConnect sandbox, to the mandate
// suspended and the aidant's next delegated login refused.
func TestBrowserUsagerSuspendsFromTheEmailLink(t *testing.T) {
	base := procuraDev(t)
	runBrowser(t, "not_me.mjs",
		"BASE_URL="+base,
		"EMAIL="+app.DemoAidantEmail,
		"PASSWORD="+app.DemoPassword,
		"TOTP_SEED="+app.DemoAidantTOTPSeed,
	)
}
