package authz

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"procura/db"
	"procura/db/dbtest"
	"procura/keyring"
)

func TestEndSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		del := op.delegation
		rp := op.newRP(t, ClientRegistration{})
		other := op.newRP(t, ClientRegistration{})
		tok, _, _ := rp.login(t)
		hint, _ := tok.Extra("id_token").(string)
		logoutURL := func(q url.Values) string { return op.srv.URL + PathLogout + "?" + q.Encode() }

		t.Run("good", func(t *testing.T) {
			resp := op.browse(t, logoutURL(url.Values{
				"id_token_hint": {hint}, "post_logout_redirect_uri": {rp.client.PostLogoutRedirectURIs[0]}, "state": {"s-123"},
			}))
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != rp.client.PostLogoutRedirectURIs[0]+"?state=s-123" {
				t.Errorf("got %d to %q", resp.StatusCode, loc)
			}
			lr := op.lastLogout
			if lr.Client.ID != rp.client.ID || !lr.HasHint || lr.SessionID != del.SessionID ||
				!lr.ConcernsAidant(del.AidantID) || lr.ConcernsAidant("another-aidant") {
				t.Errorf("logout request: got %+v", lr)
			}
		})
		t.Run("no redirect", func(t *testing.T) {
			resp := op.browse(t, logoutURL(url.Values{"id_token_hint": {hint}}))
			if resp.StatusCode != http.StatusOK {
				t.Errorf("got %d", resp.StatusCode)
			}
		})
		t.Run("client_id only", func(t *testing.T) {
			resp := op.browse(t, logoutURL(url.Values{
				"client_id": {rp.client.ID}, "post_logout_redirect_uri": {rp.client.PostLogoutRedirectURIs[0]},
			}))
			if resp.StatusCode != http.StatusSeeOther || op.lastLogout.HasHint || op.lastLogout.ConcernsAidant(del.AidantID) {
				t.Errorf("got %d, %+v", resp.StatusCode, op.lastLogout)
			}
		})

		// An expired ID token is still a good hint.
		expired := signTestJWT(t, op, map[string]any{
			"iss": op.srv.URL, "aud": rp.client.ID, "sub": "someone",
			"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix(),
		})
		t.Run("expired hint", func(t *testing.T) {
			resp := op.browse(t, logoutURL(url.Values{"id_token_hint": {expired}, "post_logout_redirect_uri": {rp.client.PostLogoutRedirectURIs[0]}}))
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("got %d", resp.StatusCode)
			}
		})

		parts := strings.Split(hint, ".")
		tampered := parts[0] + "." + parts[1] + "x." + parts[2]
		for name, q := range map[string]url.Values{
			"tampered hint": {"id_token_hint": {tampered}},
			"garbage hint":  {"id_token_hint": {"garbage"}},
			"foreign issuer": {"id_token_hint": {signTestJWT(t, op, map[string]any{
				"iss": "https://other.example", "aud": rp.client.ID, "sub": "x", "exp": time.Now().Add(time.Hour).Unix(),
			})}},
			"hint of another client":     {"id_token_hint": {hint}, "client_id": {other.client.ID}},
			"unregistered redirect":      {"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://attacker.example/"}},
			"another client's redirect":  {"id_token_hint": {hint}, "post_logout_redirect_uri": {other.client.PostLogoutRedirectURIs[0]}},
			"redirect without a client":  {"post_logout_redirect_uri": {rp.client.PostLogoutRedirectURIs[0]}},
			"unknown client":             {"client_id": {"nobody"}},
			"login redirect URI instead": {"id_token_hint": {hint}, "post_logout_redirect_uri": {rp.client.RedirectURIs[0]}},
		} {
			t.Run(name, func(t *testing.T) {
				resp := op.browse(t, logoutURL(q))
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.HasPrefix(string(body), "page: ") {
					t.Errorf("got %d to %q (%s), want the error page", resp.StatusCode, resp.Header.Get("Location"), body)
				}
			})
		}
	})
}

// signTestJWT signs claims with the provider's current ES256 key.
func signTestJWT(t *testing.T, op *testOP, claims map[string]any) string {
	t.Helper()
	token, err := op.p.signer.sign(context.Background(), AlgES256, claims)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestKeyRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		tok, _, _ := rp.login(t)
		oldToken, _ := tok.Extra("id_token").(string)
		oldKID := jwsHeader(t, oldToken).KeyID

		if _, err := op.keyring.Rotate(context.Background(), keyring.Actor{Kind: "operator", ID: "test"}, keyring.PurposeOIDC, jose.ES256); err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		tok2, _, _ := rp.login(t)
		newToken, _ := tok2.Extra("id_token").(string)
		if kid := jwsHeader(t, newToken).KeyID; kid == oldKID || kid == "" {
			t.Errorf("after rotation: kid %q, want a new one (old %q)", kid, oldKID)
		}
		// A service that fetched the key set before the rotation, and one
		// that fetches it now, verify both tokens.
		if _, err := rp.verifier.Verify(rp.ctx, newToken); err != nil {
			t.Errorf("new token with the cached key set: %v", err)
		}
		fresh := op.newRP(t, ClientRegistration{})
		fresh.verifier = fresh.provider.Verifier(&oidc.Config{ClientID: rp.client.ID})
		if _, err := fresh.verifier.Verify(fresh.ctx, oldToken); err != nil {
			t.Errorf("old token after rotation: %v", err)
		}
		// The old token is still a good id_token_hint.
		resp := op.browse(t, op.srv.URL+PathLogout+"?"+url.Values{
			"id_token_hint": {oldToken}, "post_logout_redirect_uri": {rp.client.PostLogoutRedirectURIs[0]},
		}.Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("logout with the old token: got %d", resp.StatusCode)
		}
		// And as the hint of a new authorization for the same usager.
		f := newFlow(t)
		code := rp.code(t, f, oauth2.SetAuthURLParam("id_token_hint", oldToken))
		if _, err := rp.conf.Exchange(rp.ctx, code, oauth2.VerifierOption(f.verifier)); err != nil {
			t.Errorf("authorization with the old token as hint: %v", err)
		}

		// Once retired, the old key verifies nothing.
		if err := op.keyring.Retire(context.Background(), keyring.Actor{Kind: "operator", ID: "test"}, oldKID); err != nil {
			t.Fatalf("Retire: %v", err)
		}
		if _, err := op.p.ParseLogout(context.Background(), httptestRequest(PathLogout+"?id_token_hint="+oldToken)); !errors.Is(err, ErrLogoutHint) {
			t.Errorf("hint signed by a retired key: got %v, want ErrLogoutHint", err)
		}
	})
}

func httptestRequest(target string) *http.Request {
	r, _ := http.NewRequest("GET", "http://procura.test"+target, nil)
	return r
}
