//go:build browser

package e2e

import (
	"testing"

	"procura/app"
)

func TestBrowserAidantSignsInAndOut(t *testing.T) {
	base := procuraDev(t)
	runBrowser(t, "signin.mjs",
		"BASE_URL="+base,
		"EMAIL="+app.DemoAidantEmail,
		"PASSWORD="+app.DemoPassword,
		"TOTP_SEED="+app.DemoAidantTOTPSeed,
	)
}

func TestBrowserUsagerSignsInWithFranceConnectSandbox(t *testing.T) {
	base := procuraDev(t)
	runBrowser(t, "usager.mjs", "BASE_URL="+base)
}

func TestBrowserAidantCreatesAndRevokesMandate(t *testing.T) {
	base := procuraDev(t)
	runBrowser(t, "mandate.mjs",
		"BASE_URL="+base,
		"EMAIL="+app.DemoAidantEmail,
		"PASSWORD="+app.DemoPassword,
		"TOTP_SEED="+app.DemoAidantTOTPSeed,
	)
}

func TestBrowserDelegatedLoginAtDemoService(t *testing.T) {
	base := procuraDev(t)
	runBrowser(t, "delegated.mjs",
		"BASE_URL="+base,
		"EMAIL="+app.DemoAidantEmail,
		"PASSWORD="+app.DemoPassword,
		"TOTP_SEED="+app.DemoAidantTOTPSeed,
	)
}

func TestBrowserManagerInvitesAnAidant(t *testing.T) {
	base := procuraDev(t)
	runBrowser(t, "manager.mjs",
		"BASE_URL="+base,
		"MANAGER_EMAIL="+app.DemoManagerEmail,
		"PASSWORD="+app.DemoPassword,
		"MANAGER_TOTP_SEED="+app.DemoManagerTOTPSeed,
	)
}

func TestBrowserManagerFiltersTheJournalAndExports(t *testing.T) {
	base := procuraDev(t)
	runBrowser(t, "journal.mjs",
		"BASE_URL="+base,
		"AIDANT_EMAIL="+app.DemoAidantEmail,
		"AIDANT_TOTP_SEED="+app.DemoAidantTOTPSeed,
		"MANAGER_EMAIL="+app.DemoManagerEmail,
		"MANAGER_TOTP_SEED="+app.DemoManagerTOTPSeed,
		"PASSWORD="+app.DemoPassword,
	)
}

func TestBrowserPublicPagesAndLegalPages(t *testing.T) {
	base := procuraDev(t)
	runBrowser(t, "pages.mjs", "BASE_URL="+base)
}
