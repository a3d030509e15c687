package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"net"
	"time"

	"procura/account"
	"procura/app"
	"procura/config"
	"procura/devtools/mailcatcher"
)

// devMasterKey is the fixed master key of `procura dev`: its secrets protect
// nothing but demo data on a loopback server.
var devMasterKey = base64.StdEncoding.EncodeToString([]byte("procura-dev-master-key-not-secret"[:32]))

// dev runs Procura with zero setup: embedded SQLite (unless
// PROCURA_DATABASE_URL is set), migrations applied, demo data seeded, and
// what to open printed. It refuses a base URL that is not loopback.
func (c *CLI) dev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	defaults := map[string]string{
		"PROCURA_DATABASE_URL": "sqlite:procura-dev.db",
		"PROCURA_BASE_URL":     "http://localhost:8080",
		"PROCURA_LISTEN_ADDR":  "127.0.0.1:8080",
		"PROCURA_MASTER_KEY":   devMasterKey,
		"PROCURA_LOG_LEVEL":    "warn",
	}
	getenv := func(name string) string {
		if v := c.Getenv(name); v != "" {
			return v
		}
		return defaults[name]
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	cfg.Dev = true
	if cfg.FranceConnect.Issuer == "" {
		cfg.FranceConnect = app.DevFranceConnect(cfg.BaseURL)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if _, err := app.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	logger := c.newLogger(cfg.LogLevel)
	a, err := app.New(ctx, cfg, logger, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	demo, err := a.SeedDemo(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return err
	}
	code, _ := account.TOTPCode(app.DemoAidantTOTPSeed, time.Now())
	fmt.Fprintf(c.Stdout, `Procura (développement) écoute sur %s
Base de données : %s

Aidants et responsables : %s/connexion
Espace responsable      : %s/responsable
Espace usager           : %s/usager  (FranceConnect : bac à sable %s)
Service en ligne        : %s/demo-service  (Caisse d'allocations de démonstration, se connecte avec Procura)
Courriels               : %s%s  (rien n'est envoyé en développement)

Organisation : %s (SIRET %s)
Aidant       : %s / mot de passe %s / graine TOTP %s
Responsable  : %s / mot de passe %s / graine TOTP %s

Ajoutez la graine TOTP à une application d'authentification (ou utilisez
oathtool --totp -b <graine>). Code actuel de l'aidant : %s.
Arrêt : Ctrl+C.
`, ln.Addr(), cfg.DatabaseURL, cfg.BaseURL, cfg.BaseURL, cfg.BaseURL, cfg.FranceConnect.Issuer, cfg.BaseURL, cfg.BaseURL, mailcatcher.Path, demo.Organisation.Name, demo.Organisation.SIRET,
		demo.Aidant.Email, app.DemoPassword, app.DemoAidantTOTPSeed,
		demo.Manager.Email, app.DemoPassword, app.DemoManagerTOTPSeed, code)
	return a.Serve(ctx, ln)
}
