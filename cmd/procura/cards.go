package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"procura/account"
)

// totpCardsImport imports physical TOTP cards from a CSV file (serial,
// seed; an optional header line). Seeds are sealed with the master key;
// the whole file is imported, or nothing.
func (c *CLI) totpCardsImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin totp-cards import", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"admin totp-cards import: give one CSV file (serial,seed per line)"}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("admin totp-cards import: %w", err)
	}
	defer f.Close()
	cards, err := account.ParseCardsCSV(f)
	if err != nil {
		return cliError(err)
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.Directory.ImportCards(ctx, account.Operator, cards)
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(c.Stdout, "%d TOTP cards imported; managers link them to aidants by serial.\n", n)
	return nil
}
