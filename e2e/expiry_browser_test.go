//go:build browser

package e2e

import (
	"testing"

	"procura/app"
)

// A form sent after the session ended is shown again after sign-in
// (issue 14): the idle timeout is one minute here, so the test waits one.
func TestBrowserFormSentAfterSessionEndIsShownAgain(t *testing.T) {
	base := procuraDev(t, "PROCURA_SESSION_IDLE_TIMEOUT=1m")
	runBrowser(t, "expiry.mjs",
		"BASE_URL="+base,
		"EMAIL="+app.DemoAidantEmail,
		"PASSWORD="+app.DemoPassword,
		"TOTP_SEED="+app.DemoAidantTOTPSeed,
	)
}
