package sandbox_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"procura/franceconnect/sandbox"
)

func validConfig() sandbox.Config {
	return sandbox.Config{
		Issuer:  "http://localhost:8080/fc-sandbox/api/v2",
		Clients: []sandbox.Client{{ID: "procura", Secret: "s", RedirectURIs: []string{"http://localhost:8080/cb"}}},
	}
}

func TestNewChecksConfig(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*sandbox.Config)
		want   string
	}{
		{"issuer without /api/v2", func(c *sandbox.Config) { c.Issuer = "http://localhost:8080/fc-sandbox" }, "must end with /api/v2"},
		{"issuer with trailing slash", func(c *sandbox.Config) { c.Issuer += "/" }, "must end with /api/v2"},
		{"relative issuer", func(c *sandbox.Config) { c.Issuer = "/fc-sandbox/api/v2" }, "absolute"},
		{"issuer with query", func(c *sandbox.Config) { c.Issuer += "?x=1" }, "no query"},
		{"ftp issuer", func(c *sandbox.Config) { c.Issuer = "ftp://localhost/api/v2" }, "absolute http(s)"},
		{"no client", func(c *sandbox.Config) { c.Clients = nil }, "at least one client"},
		{"client without secret", func(c *sandbox.Config) { c.Clients[0].Secret = "" }, "id and secret"},
		{"client twice", func(c *sandbox.Config) { c.Clients = append(c.Clients, c.Clients[0]) }, "twice"},
		{"client without redirect", func(c *sandbox.Config) { c.Clients[0].RedirectURIs = nil }, "at least one redirect"},
		{"relative redirect", func(c *sandbox.Config) { c.Clients[0].RedirectURIs = []string{"/cb"} }, "absolute URL"},
		{"redirect with fragment", func(c *sandbox.Config) { c.Clients[0].RedirectURIs = []string{"http://x/cb#f"} }, "without fragment"},
		{"relative logout redirect", func(c *sandbox.Config) { c.Clients[0].PostLogoutRedirectURIs = []string{"bye"} }, "absolute URL"},
		{"P-384 key", func(c *sandbox.Config) { c.SigningKey = p384 }, "P-256"},
		{"empty identity list", func(c *sandbox.Config) { c.Identities = []sandbox.Identity{} }, "no identities"},
		{"identity without id", func(c *sandbox.Config) { c.Identities = []sandbox.Identity{{GivenName: "A"}} }, "no id"},
		{"identity twice", func(c *sandbox.Config) { c.Identities = []sandbox.Identity{{ID: "a"}, {ID: "a"}} }, "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.change(&cfg)
			_, err := sandbox.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: error %v, want one saying %q", err, tc.want)
			}
		})
	}
	p, err := sandbox.New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer() != "http://localhost:8080/fc-sandbox/api/v2" || p.MountPath() != "/fc-sandbox" {
		t.Errorf("Issuer %q, MountPath %q", p.Issuer(), p.MountPath())
	}
}

// Two sandboxes sharing a key (a persistent dev key, two issuers): a hint
// from one is refused by the other for its issuer, not only its signature.
func TestEndSessionChecksTheHintIssuer(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	withKey := setup{config: func(c *sandbox.Config) { c.SigningKey = key }}
	a, b := newRP(t, withKey), newRP(t, withKey)
	tok, err := a.exchange(a.login("elodie-lefevre"))
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {postLogoutURI}, "state": {"s"}}
	res := b.get(b.discoveryString("end_session_endpoint") + "?" + q.Encode())
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "autre fournisseur") {
		t.Errorf("status %d; want 400 saying the hint comes from another provider", res.StatusCode)
	}
	// The same key gives the same kid on both.
	var ka, kb struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := decodeJSON(a.get(a.discoveryString("jwks_uri")).body, &ka); err != nil {
		t.Fatal(err)
	}
	if err := decodeJSON(b.get(b.discoveryString("jwks_uri")).body, &kb); err != nil {
		t.Fatal(err)
	}
	if ka.Keys[0].Kid != kb.Keys[0].Kid {
		t.Errorf("kid %q and %q differ for one key", ka.Keys[0].Kid, kb.Keys[0].Kid)
	}
}
