package authz

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"procura/db"
	"procura/db/dbtest"
)

func TestSignedUserinfoAndRS256(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{IDTokenSignedResponseAlg: AlgRS256, UserinfoSignedResponseAlg: AlgRS256})
		rp.conf.Scopes = []string{"openid", "identite_pivot"}
		tok, idt, _ := rp.login(t)
		raw, _ := tok.Extra("id_token").(string)
		if alg := jwsHeader(t, raw).Algorithm; alg != "RS256" {
			t.Errorf("ID token alg: got %s, want RS256", alg)
		}

		// go-oidc verifies a signed UserInfo against the JWKS.
		info, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("UserInfo: %v", err)
		}
		var claims map[string]any
		if err := info.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims["iss"] != op.srv.URL || claims["aud"] != rp.client.ID || claims["sub"] != idt.Subject {
			t.Errorf("signed userinfo iss, aud, sub: got %v", claims)
		}
		for _, c := range []string{"given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry"} {
			if claims[c] == nil {
				t.Errorf("identite_pivot: %s missing from %v", c, claims)
			}
		}
		if claims["email"] != nil {
			t.Errorf("identite_pivot: email released: %v", claims)
		}
		resp := op.userinfoRaw(t, tok.AccessToken)
		body, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "application/jwt" {
			t.Errorf("Content-Type: got %q", ct)
		}
		if h := jwsHeader(t, string(body)); h.Algorithm != "RS256" || h.KeyID == "" {
			t.Errorf("userinfo header: got alg %s kid %q", h.Algorithm, h.KeyID)
		}
	})
}

func TestUserinfoRequests(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		tok, _, _ := rp.login(t)

		t.Run("POST with a Bearer header", func(t *testing.T) {
			req, _ := http.NewRequest("POST", op.srv.URL+PathUserinfo, nil)
			req.Header.Set("Authorization", "bearer "+tok.AccessToken)
			resp, err := op.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("got %d", resp.StatusCode)
			}
		})
		t.Run("POST with the token in the form", func(t *testing.T) {
			resp := op.postForm(t, PathUserinfo, "", "", url.Values{"access_token": {tok.AccessToken}}, nil)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("got %d", resp.StatusCode)
			}
		})
		t.Run("token in the query", func(t *testing.T) {
			resp, err := op.srv.Client().Get(op.srv.URL + PathUserinfo + "?access_token=" + url.QueryEscape(tok.AccessToken))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="procura"` {
				t.Errorf("got %d %q, want 401 without error code", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
		for name, token := range map[string]string{
			"unknown token": "ory_at_nothing.nothing", "garbage": strings.Repeat("x", 5000),
			"refresh token": tok.RefreshToken,
		} {
			t.Run(name, func(t *testing.T) {
				resp := op.userinfoRaw(t, token)
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
					t.Errorf("got %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
				}
			})
		}
	})
}

func jwsHeader(t *testing.T, compact string) jose.Header {
	t.Helper()
	jws, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatalf("not a JWS: %v", err)
	}
	return jws.Signatures[0].Header
}
