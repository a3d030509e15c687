package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/go-jose/go-jose/v4"

	"procura/account"
	"procura/keyring"
)

// keys runs `procura keys list|rotate|retire`.
func (c *CLI) keys(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"keys: list, rotate or retire"}
	}
	fs := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	purpose := fs.String("purpose", "oidc", "what the key signs: oidc, mandate or journal")
	alg := fs.String("alg", "ES256", "algorithm: ES256 or RS256 (oidc), ES256 or EdDSA (mandate), EdDSA (journal, the default there)")
	kid := fs.String("kid", "", "key id to retire")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	p := keyring.Purpose(*purpose)
	algorithm := jose.SignatureAlgorithm(strings.ToUpper(*alg))
	switch {
	case algorithm == "EDDSA", p == keyring.PurposeJournal && !flagSet(fs, "alg"):
		algorithm = jose.EdDSA
	}
	operator := keyring.Actor(account.Operator)
	switch args[0] {
	case "list":
		keys, err := a.Keys.Keys(ctx, p)
		if err != nil {
			return cliError(err)
		}
		tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KID\tALG\tCREATED\tRETIRED")
		for _, k := range keys {
			retired := "-"
			if k.RetiredAt != nil {
				retired = k.RetiredAt.UTC().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.KID, k.Alg, k.CreatedAt.UTC().Format("2006-01-02 15:04"), retired)
		}
		return tw.Flush()
	case "rotate":
		k, err := a.Keys.Rotate(ctx, operator, p, algorithm)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(c.Stdout, "New %s %s key %s now signs; older keys stay published and verifying until retired.\n", p, k.Alg, k.KID)
		return nil
	case "retire":
		if *kid == "" {
			return usageError{"keys retire: --kid is required"}
		}
		if err := a.Keys.Retire(ctx, operator, *kid); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(c.Stdout, "Key %s retired: no longer published nor verifying.\n", *kid)
		return nil
	}
	return usageError{fmt.Sprintf("keys: unknown subcommand %q", args[0])}
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
