package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"procura/app"
	"procura/config"
	"procura/db"
)

func (c *CLI) newLogger(level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(c.Stderr, &slog.HandlerOptions{Level: l}))
}

// serve runs the production server: PostgreSQL, https base URL, master key,
// current schema.
func (c *CLI) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := config.FromEnv(c.Getenv)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.SMTP.Host == "" {
		// The recap and the attestations promise the usagers who ask for it
		// an email of each login in their name: a server that cannot send
		// it does not start.
		return errors.New("configuration:\nPROCURA_SMTP_HOST: required by `procura serve`: the mandates promise email notices to the usagers who ask for them")
	}
	if left := cfg.Operator.Placeholders(); len(left) > 0 {
		// The mandate text sends the usager to the legal notice for the
		// operator's details and its data protection officer's.
		return fmt.Errorf("configuration:\n%s: still the development placeholders; `procura serve` needs the operator's real details for the legal pages", strings.Join(left, ", "))
	}
	logger := c.newLogger(cfg.LogLevel)
	a, err := app.New(ctx, cfg, logger, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return err
	}
	logger.Info("procura serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL)
	return a.Serve(ctx, ln)
}

// migrate applies pending migrations; it needs only the database URL.
func (c *CLI) migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := config.FromEnv(c.Getenv)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("PROCURA_DATABASE_URL: required")
	}
	applied, err := app.Migrate(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(c.Stdout, "Schema already current.")
	}
	for _, m := range applied {
		fmt.Fprintf(c.Stdout, "Applied %04d_%s\n", m.Version, m.Name)
	}
	return nil
}

// openStore opens the configured store for an admin command: it needs the
// database URL and the master key, and a current schema.
func (c *CLI) openStore(ctx context.Context) (*app.App, error) {
	cfg, err := config.FromEnv(c.Getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.ValidateStore(); err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := d.CheckSchema(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return app.Tools(cfg, c.newLogger(cfg.LogLevel), time.Now, d)
}
