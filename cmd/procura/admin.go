package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"procura/account"
	"procura/app"
	"procura/problem"
)

func (c *CLI) printJSON(v any) error {
	enc := json.NewEncoder(c.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// cliError keeps the safe message of a problem, for the operator.
func cliError(err error) error {
	var p *problem.Error
	if errors.As(err, &p) {
		return errors.New(p.Message)
	}
	return err
}

func (c *CLI) orgCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin org create", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	siret := fs.String("siret", "", "SIRET of the organisation (14 digits, required)")
	name := fs.String("name", "", "name of the organisation (required)")
	procs := fs.String("procedures", "", "comma-separated procedure ids it allows (default: all)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *siret == "" || *name == "" {
		return usageError{"admin org create: --siret and --name are required"}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var ids []string
	if *procs != "" {
		ids = strings.Split(*procs, ",")
	}
	org, err := a.Directory.CreateOrganisation(ctx, account.Operator, account.NewOrganisation{SIRET: *siret, Name: *name, Procedures: ids})
	if err != nil {
		return cliError(err)
	}
	if *asJSON {
		return c.printJSON(map[string]any{"id": org.ID, "siret": org.SIRET, "name": org.Name, "procedures": org.Procedures})
	}
	fmt.Fprintf(c.Stdout, "Organisation created: %s (SIRET %s)\nid: %s\nprocedures: %s\n", org.Name, org.SIRET, org.ID, strings.Join(org.Procedures, ", "))
	return nil
}

func (c *CLI) aidantCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin aidant create", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	orgRef := fs.String("org", "", "organisation SIRET or id (required)")
	email := fs.String("email", "", "email address, the sign-in name (required)")
	given := fs.String("given-name", "", "given name (required)")
	family := fs.String("family-name", "", "family name (required)")
	roles := fs.String("roles", "aidant", "comma-separated roles: aidant, manager")
	habilitated := fs.String("habilitated-until", "", "end of the aidant's habilitation, YYYY-MM-DD (default: not habilitated)")
	passwordStdin := fs.Bool("password-stdin", false, "read the initial password from the first line of stdin instead of generating one")
	noTOTP := fs.Bool("no-totp", false, "let the person enrol an authenticator app at first sign-in instead of printing a TOTP secret")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *orgRef == "" || *email == "" || *given == "" || *family == "" {
		return usageError{"admin aidant create: --org, --email, --given-name and --family-name are required"}
	}
	var rs []account.Role
	for _, r := range strings.Split(*roles, ",") {
		rs = append(rs, account.Role(strings.TrimSpace(r)))
	}
	var until *time.Time
	if *habilitated != "" {
		t, err := time.Parse("2006-01-02", *habilitated)
		if err != nil {
			return usageError{"admin aidant create: --habilitated-until must be YYYY-MM-DD"}
		}
		until = &t
	}
	password, generated := "", false
	if *passwordStdin {
		line, err := bufio.NewReader(c.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("admin aidant create: no password on stdin")
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password, generated = generatePassword(), true
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	org, err := findOrganisation(ctx, a, *orgRef)
	if err != nil {
		return cliError(err)
	}
	created, err := a.Directory.CreateAccount(ctx, account.Operator, account.NewAccount{
		Email: *email, GivenName: *given, FamilyName: *family, Password: password,
		OrganisationID: org.ID, Roles: rs, HabilitatedUntil: until, EnrolTOTP: !*noTOTP,
	})
	if err != nil {
		return cliError(err)
	}
	out := map[string]any{"id": created.Account.ID, "email": created.Account.Email, "organisation": org.SIRET, "roles": rs}
	if generated {
		out["password"] = password
	}
	if created.TOTPSecret != "" {
		out["totp_secret"], out["totp_uri"] = created.TOTPSecret, created.TOTPURI
	}
	if *asJSON {
		return c.printJSON(out)
	}
	fmt.Fprintf(c.Stdout, "Account created: %s <%s> in %s as %s\nid: %s\n", created.Account.Name(), created.Account.Email, org.Name, *roles, created.Account.ID)
	if generated {
		fmt.Fprintf(c.Stdout, "initial password: %s\n", password)
	}
	if created.TOTPSecret != "" {
		fmt.Fprintf(c.Stdout, "TOTP secret: %s\notpauth URI: %s\n", created.TOTPSecret, created.TOTPURI)
	} else {
		fmt.Fprintln(c.Stdout, "TOTP: to be enrolled at first sign-in")
	}
	return nil
}

func (c *CLI) aidantDeactivate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin aidant deactivate", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	email := fs.String("email", "", "email address of the account (required)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *email == "" {
		return usageError{"admin aidant deactivate: --email is required"}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	acc, err := a.Directory.AccountByEmail(ctx, *email)
	if err != nil {
		return cliError(err)
	}
	if err := a.Directory.Deactivate(ctx, account.Operator, acc.ID); err != nil {
		return cliError(err)
	}
	fmt.Fprintf(c.Stdout, "Account %s deactivated; its sessions have ended.\n", acc.Email)
	return nil
}

func findOrganisation(ctx context.Context, a *app.App, ref string) (account.Organisation, error) {
	if account.ValidSIRET(ref) {
		return a.Directory.OrganisationBySIRET(ctx, ref)
	}
	return a.Directory.Organisation(ctx, ref)
}

// generatePassword returns 26 random base32 characters (128 bits).
func generatePassword() string { return rand.Text() }

func (c *CLI) aidantHabilitate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin aidant habilitate", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	email := fs.String("email", "", "email address of the account (required)")
	until := fs.String("until", "", "end of the habilitation, YYYY-MM-DD (required)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *email == "" || *until == "" {
		return usageError{"admin aidant habilitate: --email and --until are required"}
	}
	t, err := time.Parse("2006-01-02", *until)
	if err != nil {
		return usageError{"admin aidant habilitate: --until must be YYYY-MM-DD"}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	acc, err := a.Directory.AccountByEmail(ctx, *email)
	if err != nil {
		return cliError(err)
	}
	if err := a.Directory.Habilitate(ctx, account.Operator, acc.ID, t); err != nil {
		return cliError(err)
	}
	fmt.Fprintf(c.Stdout, "Account %s habilitated until %s.\n", acc.Email, t.Format("2006-01-02"))
	return nil
}
