package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"procura/franceconnect"
)

// mandateVerifyEvidence runs `procura mandate verify-evidence ID`: it
// re-checks, without asking FranceConnect, that the usager was identified
// when the mandate was signed.
func (c *CLI) mandateVerifyEvidence(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return usageError{"mandate verify-evidence: give one mandate ID"}
	}
	a, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	ev, err := a.Mandates.EvidenceOf(ctx, args[0])
	if err != nil {
		return cliError(err)
	}
	// 1. Procura's signature covers the ID token's hash.
	v, err := a.Mandates.Verify(ctx, ev.Signature)
	if err != nil {
		return fmt.Errorf("the mandate's signature does not verify: %w", cliError(err))
	}
	sum := sha256.Sum256([]byte(ev.IDToken))
	if got := hex.EncodeToString(sum[:]); got != ev.IDTokenSHA256 || got != v.Content.FCIDTokenSHA256 {
		return errors.New("the stored ID token is not the one the mandate's signature covers")
	}
	fmt.Fprintf(c.Stdout, "Mandate %s: Procura's signature is valid and covers the ID token (SHA-256 %s).\n", ev.MandateID, ev.IDTokenSHA256)
	// 2. FranceConnect signed that ID token, with a key it published then.
	if ev.JWKS == nil {
		return fmt.Errorf("no FranceConnect key set was archived with this mandate (signed before the archive existed, or the keys could not be kept)")
	}
	if franceconnect.JWKSSHA256(ev.JWKS) != ev.JWKSSHA256 {
		return fmt.Errorf("the archived key set does not match its name %s", ev.JWKSSHA256)
	}
	tok, err := franceconnect.VerifyArchived(ev.IDToken, ev.JWKS)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "FranceConnect's signature is valid with the key set archived then (SHA-256 %s, kid %q):\n", ev.JWKSSHA256, tok.KeyID)
	fmt.Fprintf(c.Stdout, "  issuer %s, audience %v, acr %s, issued %s", tok.Issuer, tok.Audience, tok.ACR, tok.IssuedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	if !tok.AuthTime.IsZero() {
		fmt.Fprintf(c.Stdout, ", authenticated %s", tok.AuthTime.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	fmt.Fprintln(c.Stdout, ".")
	return nil
}
