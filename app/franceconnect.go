package app

import (
	"log/slog"

	"procura/config"
	"procura/franceconnect/sandbox"
	"procura/web"
)

// The FranceConnect sandbox of `procura dev`: mounted at DevSandboxPath,
// with Procura registered as DevFCClientID.
const (
	DevSandboxPath    = "/fc-sandbox"
	DevFCClientID     = "procura-dev"
	DevFCClientSecret = "procura-dev-secret-not-secret"
)

// DevFranceConnect is the FranceConnect configuration of `procura dev`
// when none is given: the sandbox it mounts.
func DevFranceConnect(baseURL string) config.FranceConnect {
	return config.FranceConnect{Issuer: baseURL + DevSandboxPath + sandbox.IssuerPath, ClientID: DevFCClientID, ClientSecret: DevFCClientSecret}
}

func devSandbox(cfg config.Config, logger *slog.Logger) (*sandbox.Provider, error) {
	return sandbox.New(sandbox.Config{
		Issuer: cfg.BaseURL + DevSandboxPath + sandbox.IssuerPath,
		Clients: []sandbox.Client{{
			ID: DevFCClientID, Secret: DevFCClientSecret,
			RedirectURIs:           []string{cfg.BaseURL + web.PathFranceConnectCallback},
			PostLogoutRedirectURIs: []string{cfg.BaseURL + web.PathFranceConnectLogout},
		}},
		Logger: logger,
	})
}
