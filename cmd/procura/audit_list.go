package main

import (
	"bufio"
	"context"
	"flag"

	"procura/account"
	"procura/oversight"
)

// auditList is `procura audit list`: the journal across organisations (or
// of one), with the manager journal's filters, as CSV or JSON lines.
func (c *CLI) auditList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit list", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	org := fs.String("org", "", "organisation (SIRET or id); default: all organisations")
	var f oversight.Filter
	fs.StringVar(&f.Aidant, "aidant", "", "account id of the actor")
	fs.StringVar(&f.Usager, "usager", "", "usager pseudonym")
	fs.StringVar(&f.Procedure, "procedure", "", "procedure id (papiers, social…)")
	fs.StringVar(&f.Service, "service", "", "service (client_id)")
	fs.StringVar(&f.Action, "action", "", "kind of act (delegated_login.authorised…)")
	fs.StringVar(&f.From, "from", "", "first day, Paris time (YYYY-MM-DD)")
	fs.StringVar(&f.To, "to", "", "last day, Paris time, included (YYYY-MM-DD)")
	fs.StringVar(&f.Before, "before", "", "only entries with an id below this one (the next page)")
	limit := fs.Int("limit", 0, "at most this many entries (default: all)")
	format := fs.String("format", oversight.FormatCSV, "csv (the managers' export: UTF-8 with BOM, ';') or json (one object a line)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{"audit list: unexpected argument " + fs.Arg(0)}
	}
	if *format != oversight.FormatCSV && *format != oversight.FormatJSON {
		return usageError{"audit list: --format is csv or json"}
	}
	if *limit < 0 {
		return usageError{"audit list: --limit is positive"}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	orgID := ""
	if *org != "" {
		o, err := findOrganisation(ctx, a, *org)
		if err != nil {
			return cliError(err)
		}
		orgID = o.ID
	}
	out := bufio.NewWriterSize(c.Stdout, 64<<10)
	if err := a.Oversight.OperatorList(ctx, account.Operator.ID, orgID, f, *format, *limit, out); err != nil {
		return cliError(err)
	}
	return out.Flush()
}
