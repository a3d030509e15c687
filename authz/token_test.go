package authz

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/problem"
)

func TestDelegatedLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		del := op.delegation
		rp := op.newRP(t, ClientRegistration{})
		op.procedure = "famille"

		tok, idt, _ := rp.login(t)
		if tok.AccessToken == "" || tok.RefreshToken == "" {
			t.Fatalf("tokens: got %+v, want an access and a refresh token", tok)
		}
		c := claimsOf(t, idt)
		if want := op.p.UsagerSubject(rp.client.ID, del.UsagerID); c.Sub != want || c.Sub == del.UsagerID {
			t.Errorf("sub: got %q, want the pairwise %q", c.Sub, want)
		}
		if c.Aud != rp.client.ID || c.ACR != "eidas1" || !slices.Equal(c.AMR, []string{"pwd", "otp", "mfa"}) {
			t.Errorf("aud, acr, amr: got %q %q %v", c.Aud, c.ACR, c.AMR)
		}
		if got, want := c.AuthTime, op.authTime.Unix(); got != want {
			t.Errorf("auth_time: got %d, want %d", got, want)
		}
		if !slices.Equal(c.RepScope, []string{"Famille-Scolarité"}) {
			t.Errorf("rep_scope: got %v", c.RepScope)
		}
		if want := op.p.AidantSubject(rp.client.ID, del.AidantID); c.Act["sub"] != want || c.Act["org"] != del.OrganisationSIRET {
			t.Errorf("act: got %v, want sub %q org %q", c.Act, want, del.OrganisationSIRET)
		}
		if c.SID != del.SessionID {
			t.Errorf("sid: got %q, want %q", c.SID, del.SessionID)
		}

		// UserInfo, in JSON: the claims of openid profile email.
		info, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("UserInfo: %v", err)
		}
		var claims map[string]any
		if err := info.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims["sub"] != c.Sub || claims["given_name"] != "Angela Claire Louise" || claims["family_name"] != "DUBOIS" ||
			claims["email"] != "angela.dubois@example.fr" || claims["birthdate"] != "1962-08-24" || claims["gender"] != "female" {
			t.Errorf("userinfo: got %v", claims)
		}
		if _, ok := claims["birthplace"]; ok {
			t.Errorf("userinfo: birthplace released without the birth scope: %v", claims)
		}

		// Another service sees other pseudonyms for the same people.
		rp2 := op.newRP(t, ClientRegistration{TokenEndpointAuthMethod: AuthMethodSecretPost})
		_, idt2, _ := rp2.login(t)
		c2 := claimsOf(t, idt2)
		if c2.Sub == c.Sub || c2.Act["sub"] == c.Act["sub"] || c2.Act["sub"] == "" {
			t.Errorf("pairwise: client 2 got sub %q act %v, client 1 sub %q act %v", c2.Sub, c2.Act, c.Sub, c.Act)
		}

		// One entry per act, each with the delegation.
		for action, want := range map[audit.Action]int{
			audit.ActionDelegatedLoginAuthorised: 2, audit.ActionTokenIssued: 2, audit.ActionUserinfoRead: 1,
		} {
			es := op.entries(t, del.OrganisationID, action)
			if len(es) != want {
				t.Errorf("%s: got %d entries, want %d", action, len(es), want)
				continue
			}
			e := es[0]
			if e.PermissionID != del.PermissionID || e.UsagerID != del.UsagerID || e.MandateID != del.MandateID ||
				e.Procedure != "famille" || e.ClientID != rp.client.ID {
				t.Errorf("%s entry: got %+v", action, e)
			}
		}
		if e := op.entries(t, del.OrganisationID, audit.ActionDelegatedLoginAuthorised)[0]; e.ActorKind != audit.ActorAidant || e.ActorID != del.AidantID {
			t.Errorf("authorised: actor %s %s, want the aidant", e.ActorKind, e.ActorID)
		}
		if e := op.entries(t, del.OrganisationID, audit.ActionTokenIssued)[0]; e.ActorKind != audit.ActorService || e.Details["aidant_id"] != del.AidantID {
			t.Errorf("token issued: got %+v, want the service acting, the aidant named", e)
		}
	})
}

func TestCodeReuseRevokesFirstTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		f := newFlow(t)
		code := rp.code(t, f)
		tok, err := rp.conf.Exchange(rp.ctx, code, oauth2.VerifierOption(f.verifier))
		if err != nil {
			t.Fatalf("first exchange: %v", err)
		}
		if resp := op.userinfoRaw(t, tok.AccessToken); resp.StatusCode != http.StatusOK {
			t.Fatalf("userinfo with the first token: %d", resp.StatusCode)
		}
		_, err = rp.conf.Exchange(rp.ctx, code, oauth2.VerifierOption(f.verifier))
		if retrieveError(err) != "invalid_grant" {
			t.Fatalf("second exchange: got %v, want invalid_grant", err)
		}
		if resp := op.userinfoRaw(t, tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("userinfo after code reuse: got %d, want 401", resp.StatusCode)
		}
		if _, err := rp.conf.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveError(err) != "invalid_grant" {
			t.Errorf("refresh after code reuse: got %v, want invalid_grant", err)
		}
	})
}

func TestTokenRequestRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		other := op.newRP(t, ClientRegistration{})

		for _, tc := range []struct {
			name string
			// exchange runs a token request for a fresh code.
			exchange func(code string, f flow) error
			want     string
		}{
			{"wrong verifier", func(code string, _ flow) error {
				_, err := rp.conf.Exchange(rp.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				return err
			}, "invalid_grant"},
			{"no verifier", func(code string, _ flow) error {
				_, err := rp.conf.Exchange(rp.ctx, code)
				return err
			}, "invalid_grant"},
			{"wrong redirect_uri", func(code string, f flow) error {
				conf := *rp.conf
				conf.RedirectURL = "https://attacker.example/callback"
				_, err := conf.Exchange(rp.ctx, code, oauth2.VerifierOption(f.verifier))
				return err
			}, "invalid_grant"},
			{"wrong secret", func(code string, f flow) error {
				conf := *rp.conf
				conf.ClientSecret = "not-the-secret"
				_, err := conf.Exchange(rp.ctx, code, oauth2.VerifierOption(f.verifier))
				return err
			}, "invalid_client"},
			{"secret in the body for a basic client", func(code string, f flow) error {
				conf := *rp.conf
				conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
				_, err := conf.Exchange(rp.ctx, code, oauth2.VerifierOption(f.verifier))
				return err
			}, "invalid_client"},
			{"another client's code", func(code string, f flow) error {
				_, err := other.conf.Exchange(rp.ctx, code, oauth2.VerifierOption(f.verifier))
				return err
			}, "invalid_grant"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFlow(t)
				code := rp.code(t, f)
				if got := retrieveError(tc.exchange(code, f)); got != tc.want {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
				// The failed attempt did not spend the code's PKCE: the
				// right verifier still works, no verifier still fails.
				if _, err := rp.conf.Exchange(rp.ctx, code); retrieveError(err) != "invalid_grant" {
					t.Errorf("then without verifier: got %v, want invalid_grant", err)
				}
				if _, err := rp.conf.Exchange(rp.ctx, code, oauth2.VerifierOption(f.verifier)); err != nil {
					t.Errorf("then the right request: %v", err)
				}
			})
		}

		t.Run("unsupported grant", func(t *testing.T) {
			var body struct{ Error string }
			resp := op.postForm(t, PathToken, rp.client.ID, rp.secret, url.Values{"grant_type": {"client_credentials"}}, &body)
			if resp.StatusCode != http.StatusBadRequest || body.Error != "unsupported_grant_type" {
				t.Errorf("got %d %q, want 400 unsupported_grant_type", resp.StatusCode, body.Error)
			}
		})
		t.Run("no client authentication", func(t *testing.T) {
			var body struct{ Error string }
			resp := op.postForm(t, PathToken, "", "", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, &body)
			if resp.StatusCode/100 != 4 || body.Error == "" {
				t.Errorf("got %d %q, want a 4xx error", resp.StatusCode, body.Error)
			}
		})
	})
}

func TestClientAuthenticationMethods(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		t.Run("client_secret_post", func(t *testing.T) {
			rp := op.newRP(t, ClientRegistration{TokenEndpointAuthMethod: AuthMethodSecretPost})
			rp.login(t)
			// The same secret in a Basic header is not this client's method.
			f := newFlow(t)
			conf := *rp.conf
			conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
			if _, err := conf.Exchange(rp.ctx, rp.code(t, f), oauth2.VerifierOption(f.verifier)); retrieveError(err) != "invalid_client" {
				t.Errorf("basic for a post client: got %v, want invalid_client", err)
			}
		})
		t.Run("private_key_jwt", func(t *testing.T) {
			rp := op.newRP(t, ClientRegistration{TokenEndpointAuthMethod: AuthMethodPrivateKeyJWT})
			rp.login(t)

			// Replaying an assertion (same jti) is refused.
			assertion := rp.assertion(t, randomID(t, "jti-"))
			f := newFlow(t)
			opts := append([]oauth2.AuthCodeOption{oauth2.VerifierOption(f.verifier)}, assertion...)
			if _, err := rp.conf.Exchange(rp.ctx, rp.code(t, f), opts...); err != nil {
				t.Fatalf("first use of the assertion: %v", err)
			}
			f = newFlow(t)
			opts = append([]oauth2.AuthCodeOption{oauth2.VerifierOption(f.verifier)}, assertion...)
			if _, err := rp.conf.Exchange(rp.ctx, rp.code(t, f), opts...); retrieveError(err) != "invalid_client" {
				t.Errorf("replayed assertion: got %v, want invalid_client", err)
			}
			// No assertion and no secret: refused.
			f = newFlow(t)
			if _, err := rp.conf.Exchange(rp.ctx, rp.code(t, f), oauth2.VerifierOption(f.verifier)); retrieveError(err) == "" {
				t.Errorf("without assertion: got %v, want an error", err)
			}
		})
	})
}

func TestRefreshAndPermissionRecheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		del := op.delegation
		rp := op.newRP(t, ClientRegistration{})
		tok, first, _ := rp.login(t)

		tok2, err := rp.conf.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if tok2.AccessToken == tok.AccessToken || tok2.RefreshToken == tok.RefreshToken {
			t.Fatal("refresh: got the same tokens")
		}
		// A new ID token, for the same usager, with the delegation's claims
		// (OpenID Connect Core 1.0 §12.2).
		raw, _ := tok2.Extra("id_token").(string)
		idt, err := rp.verifier.Verify(rp.ctx, raw)
		if err != nil {
			t.Fatalf("refresh: ID token %q: %v", raw, err)
		}
		var claims, firstClaims struct {
			RepScope []string       `json:"rep_scope"`
			Act      map[string]any `json:"act"`
			AuthTime int64          `json:"auth_time"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if err := first.Claims(&firstClaims); err != nil {
			t.Fatal(err)
		}
		if idt.Subject != first.Subject || len(claims.RepScope) != 1 || claims.Act["sub"] != firstClaims.Act["sub"] ||
			claims.AuthTime != firstClaims.AuthTime {
			t.Errorf("refreshed ID token: sub %s %+v, first: sub %s %+v", idt.Subject, claims, first.Subject, firstClaims)
		}
		if resp := op.userinfoRaw(t, tok2.AccessToken); resp.StatusCode != http.StatusOK {
			t.Errorf("userinfo with the refreshed token: %d", resp.StatusCode)
		}
		if n := len(op.entries(t, del.OrganisationID, audit.ActionTokenIssued)); n != 2 {
			t.Errorf("token.issued entries: got %d, want 2 (code, refresh)", n)
		}

		// The permission stops being usable (the mandate expired, say).
		op.perms.refuse(del.PermissionID, problem.New(problem.Forbidden, "Le mandat a expiré."))
		_, err = rp.conf.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token()
		if retrieveError(err) != "invalid_grant" {
			t.Errorf("refresh after the permission ended: got %v, want invalid_grant", err)
		}
		resp := op.userinfoRaw(t, tok2.AccessToken)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("userinfo after the permission ended: got %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		refusals := op.entries(t, del.OrganisationID, audit.ActionDelegatedLoginRefused)
		if len(refusals) != 2 || refusals[0].Details["step"] != "refresh_token" || refusals[1].Details["step"] != "userinfo" ||
			refusals[0].Details["reason"] != "Le mandat a expiré." {
			t.Errorf("refusals: got %+v", refusals)
		}

		// A code is refused too: Grant writes nothing and records why.
		f := newFlow(t)
		resp = op.browse(t, rp.authURL(f))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("authorize with an ended permission: got %d, want the page", resp.StatusCode)
		}
		if n := len(op.entries(t, del.OrganisationID, audit.ActionDelegatedLoginRefused)); n != 3 {
			t.Errorf("refusals after the authorization: got %d, want 3", n)
		}
	})
}

func TestRevokedPermissionEndsTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		del := op.delegation
		rp := op.newRP(t, ClientRegistration{})
		tok, _, _ := rp.login(t)

		err := d.InTx(context.Background(), func(ctx context.Context) error {
			_, err := op.store.RevokeByPermission(ctx, del.PermissionID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		resp := op.userinfoRaw(t, tok.AccessToken)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="procura", error="invalid_token"` {
			t.Errorf("userinfo: got %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if _, err := rp.conf.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveError(err) != "invalid_grant" {
			t.Errorf("refresh: got %v, want invalid_grant", err)
		}
	})
}

func TestExpiredAccessToken(t *testing.T) {
	d := dbtest.SQLite(t)
	op := newTestOP(t, d)
	op.p.accessLifespan = time.Second // through fosite's config too
	op.p.fosite.Config.(*fositeConfig).AccessTokenLifespan = time.Second
	rp := op.newRP(t, ClientRegistration{})
	tok, _, _ := rp.login(t)
	time.Sleep(1600 * time.Millisecond) // fosite rounds expiries to the second
	if resp := op.userinfoRaw(t, tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo with an expired token: got %d, want 401", resp.StatusCode)
	}
}
