// Command procura is the Procura server and its operator tools.
//
//	procura serve                      run the server (PostgreSQL, https base URL, master key)
//	procura migrate                    apply the database migrations
//	procura dev                        run everything locally with demo data, zero setup
//	procura admin org create …         create an organisation
//	procura admin aidant create …      create an aidant or manager account
//	procura admin aidant deactivate …  deactivate an account and end its sessions
//	procura admin client create|list|disable  manage services (OIDC clients)
//	procura admin db-roles             create the server's least-privileged database role
//	procura keys list|rotate|retire    manage signing keys
//	procura health [-url …]            exit 0 when the server is ready (container health checks)
//	procura audit key|checkpoint|integrate|verify|proof|verify-receipt  the journal as evidence
//	procura mandate verify-evidence ID re-check a mandate's FranceConnect identification
//	procura audit list …               the journal, filtered, as CSV or JSON
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // dates are shown in Europe/Paris, also on images without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cli := &CLI{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(cli.Run(ctx, os.Args[1:]))
}

// CLI is the command line, with its streams and environment injected so that
// tests run it in-process.
type CLI struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

const usage = `Usage: procura <command> [flags]

Commands:
  serve                      run the server
  migrate                    apply the database migrations
  dev                        run locally on embedded defaults with demo data
  admin org create           create an organisation
  admin aidant create        create an aidant or manager account
  admin aidant deactivate    deactivate an account (its sessions end at once)
  admin aidant habilitate    record an aidant's habilitation (bootstrap; managers do it in their space)
  admin totp-cards import FILE.csv
                             import physical TOTP cards (serial,seed per line)
  admin client create        register a service (OIDC client); prints its secret once
  admin client list          list the services
  admin client disable       disable a service (its tokens stop working)
  admin outbox list          list the email in the outbox (--status failed: what could not be sent, and why)
  admin outbox retry         queue a failed message again (--id)
  keys list|rotate|retire    signing keys (--purpose oidc|mandate, --alg, --kid)
  health [-url URL]          probe the server's /readyz (exit 0 when ready), for health checks
  admin db-roles [--role procura_app] [--password-env VAR]
                             as the schema owner: the server's role, with only SELECT
                             and INSERT on the journal (run again after each migrate)
  keys list|rotate|retire    signing keys (--purpose oidc|mandate|journal, --alg, --kid)
  audit key                  print the journal's checkpoint verifier keys (current first)
  audit checkpoint           print the journal's latest signed checkpoint
  audit integrate [--wait 10s]  integrate pending entries now (the server does it every 250 ms)
  audit verify [--json] [--key VKEY] [--checkpoint FILE]
                             recompute the journal's tree, check every checkpoint
                             (and checkpoints kept outside Procura)
  audit proof --entry N      print entry N's receipt (inclusion proof and signed checkpoint)
  audit proof --from A [--to B]  print a consistency proof between two tree sizes
  audit verify-receipt [--key VKEY] FILE  check a receipt (offline with --key)
  mandate verify-evidence ID re-check a mandate's identification: Procura's signature, and
                             FranceConnect's ID token against the key set archived then
  audit list                 the journal, newest first, of all organisations or one (--org), filtered
                             (--aidant --usager --procedure --service --action --from --to --before --limit),
                             --format csv|json

Configuration comes from PROCURA_* environment variables (see README.md).
`

// Run executes one command and returns the process exit code: 0 on success,
// 1 on failure, 2 on a usage error.
func (c *CLI) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, usage)
		return 2
	}
	var err error
	switch cmd := args[0]; {
	case cmd == "serve":
		err = c.serve(ctx, args[1:])
	case cmd == "migrate":
		err = c.migrate(ctx, args[1:])
	case cmd == "dev":
		err = c.dev(ctx, args[1:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "org" && args[2] == "create":
		err = c.orgCreate(ctx, args[3:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "aidant" && args[2] == "create":
		err = c.aidantCreate(ctx, args[3:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "aidant" && args[2] == "deactivate":
		err = c.aidantDeactivate(ctx, args[3:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "aidant" && args[2] == "habilitate":
		err = c.aidantHabilitate(ctx, args[3:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "totp-cards" && args[2] == "import":
		err = c.totpCardsImport(ctx, args[3:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "client" && args[2] == "create":
		err = c.clientCreate(ctx, args[3:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "client" && args[2] == "list":
		err = c.clientList(ctx, args[3:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "client" && args[2] == "disable":
		err = c.clientDisable(ctx, args[3:])
	case cmd == "admin" && len(args) >= 2 && args[1] == "db-roles":
		err = c.dbRoles(ctx, args[2:])
	case cmd == "audit" && len(args) >= 2 && args[1] == "list":
		err = c.auditList(ctx, args[2:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "outbox" && args[2] == "list":
		err = c.outboxList(ctx, args[3:])
	case cmd == "admin" && len(args) >= 3 && args[1] == "outbox" && args[2] == "retry":
		err = c.outboxRetry(ctx, args[3:])
	case cmd == "keys":
		err = c.keys(ctx, args[1:])
	case cmd == "health":
		err = c.health(ctx, args[1:])
	case cmd == "audit":
		err = c.auditCmd(ctx, args[1:])
	case cmd == "mandate" && len(args) >= 2 && args[1] == "verify-evidence":
		err = c.mandateVerifyEvidence(ctx, args[2:])
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(c.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(c.Stderr, "procura: unknown command %q\n\n%s", joinArgs(args), usage)
		return 2
	}
	if err != nil {
		if ue, ok := err.(usageError); ok {
			fmt.Fprintf(c.Stderr, "procura: %s\n", ue.msg)
			return 2
		}
		fmt.Fprintf(c.Stderr, "procura: %v\n", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func joinArgs(args []string) string {
	if len(args) > 3 {
		args = args[:3]
	}
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
