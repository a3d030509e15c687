package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"procura/outbox"
)

// outboxList prints the outbox's messages, newest first: what waits, what
// was sent, and what failed for good with its last error.
func (c *CLI) outboxList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin outbox list", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	status := fs.String("status", "", "pending, sent or failed (default: all)")
	limit := fs.Int("limit", 100, "how many messages, at most 500")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	switch outbox.Status(*status) {
	case "", outbox.StatusPending, outbox.StatusSent, outbox.StatusFailed:
	default:
		return usageError{"admin outbox list: --status must be pending, sent or failed"}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	recs, err := a.Outbox.List(ctx, outbox.Filter{Status: outbox.Status(*status), Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]map[string]any, len(recs))
		for i, r := range recs {
			out[i] = map[string]any{"id": r.ID, "created_at": r.CreatedAt, "kind": r.Message.Kind, "to": r.Message.To,
				"subject": r.Message.Subject, "status": r.Status, "attempts": r.Attempts, "next_attempt_at": r.NextAt,
				"last_error": r.LastError, "sent_at": r.SentAt}
		}
		return c.printJSON(out)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tKIND\tTO\tSTATUS\tATTEMPTS\tLAST_ERROR")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.CreatedAt.UTC().Format(time.RFC3339), r.Message.Kind,
			r.Message.To, r.Status, r.Attempts, strings.ReplaceAll(r.LastError, "\t", " "))
	}
	return tw.Flush()
}

// outboxRetry puts a failed message back in the queue.
func (c *CLI) outboxRetry(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin outbox retry", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	id := fs.String("id", "", "id of the failed message (required)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *id == "" {
		return usageError{"admin outbox retry: --id is required"}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Outbox.Retry(ctx, *id); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "Message %s queued again.\n", *id)
	return nil
}
