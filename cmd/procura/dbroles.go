package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"procura/audit"
	"procura/config"
	"procura/db"
	"procura/mandate"
)

// dbRoles runs `procura admin db-roles`: as the schema owner, create or
// update the application's least-privileged role.
func (c *CLI) dbRoles(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin db-roles", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	role := fs.String("role", "procura_app", "the role `procura serve` connects as")
	passwordEnv := fs.String("password-env", "", "name of an environment variable holding the role's password (not changed when empty)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := config.FromEnv(c.Getenv)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("PROCURA_DATABASE_URL: required (the schema owner's URL)")
	}
	password := ""
	if *passwordEnv != "" {
		if password = c.Getenv(*passwordEnv); password == "" {
			return fmt.Errorf("%s: empty", *passwordEnv)
		}
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.CheckSchema(ctx); err != nil {
		return err
	}
	appendOnly := append(audit.Tables(), mandate.EvidenceTables()...)
	if err := d.GrantAppRole(ctx, *role, password, appendOnly); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "Role %s may read and write Procura's tables, and only SELECT and INSERT on %v.\n",
		*role, appendOnly)
	return nil
}
