package app

import (
	"context"
	"errors"
	"log/slog"

	"procura/account"
	"procura/authz"
	"procura/config"
	"procura/demoservice"
	"procura/procedure"
)

// The demo service of `procura dev`: a public service that signs in with
// Procura, mounted at DevDemoServicePath and registered as DevDemoClientID.
const (
	DevDemoServicePath  = "/demo-service"
	DevDemoClientID     = "demo-service"
	DevDemoClientSecret = "demo-service-dev-secret-not-secret-at-all"
)

func devDemoService(cfg config.Config, logger *slog.Logger) (*demoservice.Service, error) {
	return demoservice.New(demoservice.Config{
		Issuer: cfg.BaseURL, ClientID: DevDemoClientID, ClientSecret: DevDemoClientSecret,
		BaseURL: cfg.BaseURL + DevDemoServicePath, Procedures: []string{"social"}, Logger: logger,
	})
}

// registerDemoService registers the demo service's client unless it is
// registered already.
func (a *App) registerDemoService(ctx context.Context) error {
	if a.DemoService == nil {
		return nil
	}
	_, err := a.Clients.Client(ctx, DevDemoClientID)
	if err == nil {
		return nil
	}
	var all []string
	for _, p := range procedure.All() {
		all = append(all, p.ID)
	}
	_, _, err = a.Clients.Register(ctx, account.Operator, authz.ClientRegistration{
		ID: DevDemoClientID, Name: "Caisse d'allocations de démonstration", Secret: DevDemoClientSecret,
		RedirectURIs:              []string{a.DemoService.RedirectURI()},
		PostLogoutRedirectURIs:    []string{a.DemoService.PostLogoutRedirectURI()},
		UserinfoSignedResponseAlg: "ES256", Procedures: all,
	})
	if errors.Is(err, authz.ErrClientExists) {
		return nil // registered, then disabled by the operator: leave it so
	}
	return err
}
