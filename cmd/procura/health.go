package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"procura/config"
)

// health probes a server for a container's health check (the image has
// no shell and no curl): GET /readyz of the server listening on
// PROCURA_LISTEN_ADDR's port on loopback, or the -url given (the sandbox's
// and the demo service's /healthz, from the same image). It succeeds on a
// 200 answer only.
func (c *CLI) health(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	target := fs.String("url", "", "http(s) URL to probe (default: http://127.0.0.1:<port of PROCURA_LISTEN_ADDR>/readyz)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("health: unexpected arguments %q", fs.Args())}
	}
	if *target == "" {
		cfg, err := config.FromEnv(c.Getenv)
		if err != nil {
			return err
		}
		_, port, err := net.SplitHostPort(cfg.ListenAddr)
		if err != nil {
			return fmt.Errorf("PROCURA_LISTEN_ADDR: %w", err)
		}
		*target = "http://" + net.JoinHostPort("127.0.0.1", port) + "/readyz"
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Sprintf("health: -url %q is not an http(s) URL", *target)}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %d", u.Redacted(), resp.StatusCode)
	}
	fmt.Fprintf(c.Stdout, "%s: ready\n", u.Redacted())
	return nil
}
