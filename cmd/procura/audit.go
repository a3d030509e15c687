package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"

	"procura/app"
	"procura/audit"
	"procura/keyring"
)

// auditCmd runs `procura audit key|checkpoint|integrate|verify|proof|verify-receipt`.
func (c *CLI) auditCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"audit: key, checkpoint, integrate, verify, proof or verify-receipt"}
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	asJSON := fs.Bool("json", false, "verify: print the report as JSON")
	var keys stringList
	fs.Var(&keys, "key", "verifier key to trust (as `procura audit key` prints it; repeatable); default: the store's journal keys")
	var held stringList
	fs.Var(&held, "checkpoint", "verify: a signed checkpoint FILE kept outside Procura, which the journal must extend (repeatable)")
	entry := fs.Int64("entry", 0, "proof: the entry whose receipt (inclusion proof) to print")
	from := fs.Uint64("from", 0, "proof: consistency proof from this tree size…")
	to := fs.Uint64("to", 0, "…to this one (default: the latest checkpoint's)")
	wait := fs.Duration("wait", 10*time.Second, "integrate: how long to wait for transactions still open (PostgreSQL)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if args[0] == "verify-receipt" {
		if fs.NArg() != 1 {
			return usageError{"audit verify-receipt: give one receipt FILE (- for standard input)"}
		}
		return c.auditVerifyReceipt(ctx, keys, fs.Arg(0))
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.Sequencer == nil {
		return errors.New("PROCURA_BASE_URL: required: it names the journal (its checkpoints' origin)")
	}
	switch args[0] {
	case "key":
		vkeys, err := c.journalKeys(ctx, a)
		if err != nil {
			return err
		}
		for _, k := range vkeys {
			fmt.Fprintln(c.Stdout, k)
		}
		return nil
	case "checkpoint":
		cp, err := a.Journal.LatestCheckpoint(ctx)
		if err != nil {
			return err
		}
		fmt.Fprint(c.Stdout, cp.Note)
		return nil
	case "integrate":
		if _, err := c.journalKeys(ctx, a); err != nil {
			return err
		}
		// On PostgreSQL a batch waits for the transactions still running in
		// the cluster (audit/doc.go): try for a few seconds.
		total := 0
		for deadline := time.Now().Add(*wait); ; time.Sleep(100 * time.Millisecond) {
			n, err := a.Sequencer.Integrate(ctx)
			if err != nil {
				return err
			}
			total += n
			pending, err := a.Journal.Pending(ctx)
			if err != nil {
				return err
			}
			if pending <= 0 || time.Now().After(deadline) {
				fmt.Fprintf(c.Stdout, "Integrated %d entries; %d waiting.\n", total, max(pending, 0))
				return nil
			}
		}
	case "verify":
		return c.auditVerify(ctx, a, keys, held, *asJSON)
	case "proof":
		return c.auditProof(ctx, a, *entry, *from, *to)
	}
	return usageError{fmt.Sprintf("audit: unknown subcommand %q", args[0])}
}

// journalKeys returns the verifier keys of the journal, creating its first
// key (an audited act) on a store where no server ran yet.
func (c *CLI) journalKeys(ctx context.Context, a *app.App) ([]string, error) {
	if _, err := a.Keys.Ensure(ctx, keyring.PurposeJournal, jose.EdDSA); err != nil {
		return nil, cliError(err)
	}
	return a.Keys.NoteVerifierKeys(ctx, a.Sequencer.Origin())
}

func (c *CLI) auditVerify(ctx context.Context, a *app.App, keys, held []string, asJSON bool) error {
	if len(keys) == 0 {
		var err error
		if keys, err = a.Keys.NoteVerifierKeys(ctx, a.Sequencer.Origin()); err != nil {
			return err
		}
	}
	verifiers, err := audit.VerifierList(keys...)
	if err != nil {
		return usageError{err.Error()}
	}
	opts := audit.VerifyOptions{Origin: a.Sequencer.Origin(), Verifiers: verifiers}
	for _, file := range held {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		cp, err := audit.ParseCheckpoint(b, opts.Origin, verifiers)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		opts.Held = append(opts.Held, cp)
	}
	if !asJSON && isTerminal(c.Stderr) {
		opts.Progress = func(done, total uint64) {
			fmt.Fprintf(c.Stderr, "\rVerifying %d / %d leaves…", done, total)
		}
	}
	rep, err := a.Journal.Verify(ctx, opts)
	if opts.Progress != nil {
		fmt.Fprintln(c.Stderr)
	}
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.Stdout, "Journal %s: %d leaves, %d checkpoints, %d entries waiting for integration.\n",
			rep.Origin, rep.TreeSize, rep.Checkpoints, rep.Pending)
		for _, f := range rep.Findings {
			fmt.Fprintf(c.Stdout, "FAIL %s\n", f)
		}
	}
	if !rep.OK() {
		return fmt.Errorf("the journal does not verify: %s", rep.Findings[0])
	}
	if !asJSON {
		fmt.Fprintf(c.Stdout, "OK: every entry, leaf and checkpoint verifies (root %s).\n", rep.RootHash)
	}
	return nil
}

func (c *CLI) auditProof(ctx context.Context, a *app.App, entry int64, from, to uint64) error {
	enc := json.NewEncoder(c.Stdout)
	enc.SetIndent("", "  ")
	if entry > 0 {
		r, err := a.Journal.Receipt(ctx, entry)
		if err != nil {
			return err
		}
		return enc.Encode(r)
	}
	if from == 0 {
		return usageError{"audit proof: --entry N, or --from SIZE [--to SIZE]"}
	}
	latest, err := a.Journal.LatestCheckpoint(ctx)
	if err != nil {
		return err
	}
	if to == 0 {
		to = latest.Size
	}
	if from > to || to > latest.Size {
		return usageError{fmt.Sprintf("audit proof: want 0 < --from <= --to <= %d", latest.Size)}
	}
	p, err := a.Journal.ConsistencyProof(ctx, from, to)
	if err != nil {
		return err
	}
	return enc.Encode(struct {
		Size1 uint64   `json:"size1"`
		Size2 uint64   `json:"size2"`
		Proof [][]byte `json:"consistency_proof"`
	}{from, to, p})
}

// auditVerifyReceipt checks a receipt offline when --key is given (the
// origin is the key's name), else against the store's journal keys.
func (c *CLI) auditVerifyReceipt(ctx context.Context, keys []string, file string) error {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(c.Stdin, 1<<20))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return err
	}
	origin := ""
	if len(keys) == 0 {
		a, err := c.openStore(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if a.Sequencer == nil {
			return errors.New("PROCURA_BASE_URL: required, or give the journal's verifier key with --key")
		}
		origin = a.Sequencer.Origin()
		if keys, err = a.Keys.NoteVerifierKeys(ctx, origin); err != nil {
			return err
		}
	}
	verifiers, err := audit.VerifierList(keys...)
	if err != nil {
		return usageError{err.Error()}
	}
	if origin == "" {
		v, _ := note.NewVerifier(strings.TrimSpace(keys[0]))
		origin = v.Name()
	}
	r, cp, err := audit.VerifyReceipt(data, origin, verifiers)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "OK: entry %d (%s, %s) is leaf %d of the journal %s, in its signed checkpoint of %d entries.\n",
		r.Entry.ID, r.Entry.Action, r.Entry.Time, r.LeafIndex, cp.Origin, cp.Size)
	return nil
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
