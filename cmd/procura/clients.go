package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"procura/account"
	"procura/authz"
)

// listFlag collects a repeatable flag (or comma-separated values).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// clientCreate registers a service (an OIDC client) and prints its secret,
// once.
func (c *CLI) clientCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin client create", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	var reg authz.ClientRegistration
	var redirects, logouts, procs listFlag
	fs.StringVar(&reg.ID, "id", "", "client_id (default: random)")
	fs.StringVar(&reg.Name, "name", "", "name of the service (required)")
	fs.Var(&redirects, "redirect-uri", "redirect URI, exact match (repeatable, required)")
	fs.Var(&logouts, "post-logout-uri", "post-logout redirect URI (repeatable)")
	fs.Var(&procs, "procedures", "procedure ids the service serves (comma-separated, required)")
	fs.StringVar(&reg.TokenEndpointAuthMethod, "auth-method", "client_secret_basic", "client_secret_basic, client_secret_post or private_key_jwt")
	jwksFile := fs.String("jwks-file", "", "file with the client's public JWKS (private_key_jwt)")
	fs.StringVar(&reg.TokenEndpointAuthSigningAlg, "auth-signing-alg", "", "private_key_jwt assertion algorithm: ES256, RS256 or PS256 (default: from the JWKS keys)")
	fs.StringVar(&reg.JWKSURI, "jwks-uri", "", "https URL of the client's JWKS (private_key_jwt)")
	fs.StringVar(&reg.IDTokenSignedResponseAlg, "id-token-alg", "ES256", "ID token signing algorithm: ES256 or RS256")
	fs.StringVar(&reg.UserinfoSignedResponseAlg, "userinfo-alg", "", "sign UserInfo as a JWT with ES256 or RS256 (default: JSON)")
	fs.BoolVar(&reg.PKCEOptional, "pkce-optional", false, "let the client omit PKCE (a FranceConnect-like federation)")
	fs.BoolVar(&reg.FranceConnectCompat, "franceconnect-compat", false, "FranceConnect compatibility: no act claim in ID tokens")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if reg.Name == "" || len(redirects) == 0 || len(procs) == 0 {
		return usageError{"admin client create: --name, --redirect-uri and --procedures are required"}
	}
	reg.RedirectURIs, reg.PostLogoutRedirectURIs, reg.Procedures = redirects, logouts, procs
	if *jwksFile != "" {
		b, err := os.ReadFile(*jwksFile)
		if err != nil {
			return err
		}
		reg.JWKS = string(b)
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	client, secret, err := a.Clients.Register(ctx, account.Operator, reg)
	if err != nil {
		return cliError(err)
	}
	if *asJSON {
		out := map[string]any{"client_id": client.ID, "name": client.Name, "redirect_uris": client.RedirectURIs,
			"token_endpoint_auth_method": client.TokenEndpointAuthMethod, "procedures": client.Procedures}
		if secret != "" {
			out["client_secret"] = secret
		}
		return c.printJSON(out)
	}
	fmt.Fprintf(c.Stdout, "Service registered: %s\nclient_id: %s\n", client.Name, client.ID)
	if secret != "" {
		fmt.Fprintf(c.Stdout, "client_secret: %s\n(shown once: only its hash is stored)\n", secret)
	}
	return nil
}

func (c *CLI) clientList(ctx context.Context, args []string) error {
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	clients, err := a.Clients.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT_ID\tNAME\tAUTH\tPROCEDURES\tSTATE")
	for _, cl := range clients {
		state := "enabled"
		if cl.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.Name, cl.TokenEndpointAuthMethod, strings.Join(cl.Procedures, ","), state)
	}
	return tw.Flush()
}

func (c *CLI) clientDisable(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("admin client disable", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	id := fs.String("id", "", "client_id (required)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *id == "" {
		return usageError{"admin client disable: --id is required"}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Clients.Disable(ctx, account.Operator, *id); err != nil {
		return cliError(err)
	}
	fmt.Fprintf(c.Stdout, "Service %s disabled: its codes and tokens no longer work.\n", *id)
	return nil
}
