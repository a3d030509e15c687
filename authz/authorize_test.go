package authz

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"procura/db"
	"procura/db/dbtest"
)

func TestAuthorizeErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		fc := op.newRP(t, ClientRegistration{FranceConnectCompat: true, PKCEOptional: true, TokenEndpointAuthMethod: AuthMethodSecretPost})

		// Before the client and its redirect URI are trusted: a page,
		// never a redirect.
		for name, query := range map[string]func(q url.Values){
			"unknown client":            func(q url.Values) { q.Set("client_id", "nobody") },
			"unregistered redirect_uri": func(q url.Values) { q.Set("redirect_uri", "https://attacker.example/callback") },
			"redirect_uri with a suffix": func(q url.Values) {
				q.Set("redirect_uri", rp.conf.RedirectURL+"/more")
			},
			"no redirect_uri":   func(q url.Values) { q.Del("redirect_uri") },
			"two redirect_uris": func(q url.Values) { q.Add("redirect_uri", "https://attacker.example/callback") },
			"two client_ids":    func(q url.Values) { q.Add("client_id", "nobody") },
			"empty client_id":   func(q url.Values) { q.Set("client_id", "") },
		} {
			t.Run(name, func(t *testing.T) {
				f := newFlow(t)
				u, _ := url.Parse(rp.authURL(f))
				q := u.Query()
				query(q)
				u.RawQuery = q.Encode()
				resp := op.browse(t, u.String())
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.HasPrefix(string(body), "page: ") {
					t.Errorf("got %d to %q (%s), want the error page", resp.StatusCode, resp.Header.Get("Location"), body)
				}
			})
		}

		// Once trusted: a redirect to the service with the error and state.
		for _, tc := range []struct {
			name  string
			rp    *testRP
			opts  func(f flow) []oauth2.AuthCodeOption
			query func(q url.Values)
			want  string
		}{
			{name: "no PKCE", query: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, want: "invalid_request"},
			{name: "plain PKCE", query: func(q url.Values) { q.Set("code_challenge_method", "plain") }, want: "invalid_request"},
			{name: "PKCE without method", query: func(q url.Values) { q.Del("code_challenge_method") }, want: "invalid_request"},
			{name: "malformed challenge", query: func(q url.Values) { q.Set("code_challenge", "short") }, want: "invalid_request"},
			{name: "acr eidas2", query: func(q url.Values) { q.Set("acr_values", "eidas2") }, want: "invalid_request"},
			{name: "essential acr eidas3", query: func(q url.Values) {
				q.Set("claims", `{"id_token":{"acr":{"essential":true,"values":["eidas3"]}}}`)
			}, want: "invalid_request"},
			{name: "response_type token", query: func(q url.Values) { q.Set("response_type", "token") }, want: "unsupported_response_type"},
			{name: "response_type code id_token", query: func(q url.Values) { q.Set("response_type", "code id_token") }, want: "unsupported_response_type"},
			{name: "form_post", query: func(q url.Values) { q.Set("response_mode", "form_post") }, want: "unsupported_response_mode"},
			{name: "no openid scope", query: func(q url.Values) { q.Set("scope", "profile") }, want: "invalid_scope"},
			{name: "unregistered scope", query: func(q url.Values) { q.Set("scope", "openid admin") }, want: "invalid_scope"},
			{name: "hierarchic scope", query: func(q url.Values) { q.Set("scope", "openid openid.admin") }, want: "invalid_scope"},
			{name: "malformed claims", query: func(q url.Values) { q.Set("claims", `{"id_token":`) }, want: "invalid_request"},
			{name: "claims not an object", query: func(q url.Values) { q.Set("claims", `["rep_scope"]`) }, want: "invalid_request"},
			{name: "procedure not served", query: func(q url.Values) {
				q.Set("claims", `{"id_token":{"rep_scope":{"essential":true,"values":["Justice"]}}}`)
			}, want: "invalid_request"},
			{name: "unknown procedure", query: func(q url.Values) {
				q.Set("claims", `{"id_token":{"rep_scope":{"values":["Jardinage"]}}}`)
			}, want: "invalid_request"},
			{name: "prompt none and login", query: func(q url.Values) { q.Set("prompt", "none login") }, want: "invalid_request"},
			{name: "unknown prompt", query: func(q url.Values) { q.Set("prompt", "create") }, want: "invalid_request"},
			{name: "negative max_age", query: func(q url.Values) { q.Set("max_age", "-1") }, want: "invalid_request"},
			{name: "request object", query: func(q url.Values) { q.Set("request", "eyJhbGciOiJub25lIn0.e30.") }, want: "request_not_supported"},
			{name: "request_uri", query: func(q url.Values) { q.Set("request_uri", "https://attacker.example/r") }, want: "request_uri_not_supported"},
			{name: "two states", query: func(q url.Values) { q.Add("state", "another-state-value") }, want: "invalid_request"},
			{name: "short nonce", query: func(q url.Values) { q.Set("nonce", "abc") }, want: "invalid_request"},
			{name: "bad id_token_hint", query: func(q url.Values) { q.Set("id_token_hint", "not.a.jwt") }, want: "invalid_request"},
			{name: "FranceConnect client: no nonce", rp: fc, query: func(q url.Values) { q.Del("nonce") }, want: "invalid_request"},
			{name: "FranceConnect client: short nonce", rp: fc, query: func(q url.Values) { q.Set("nonce", "0123456789abcdefghij") }, want: "invalid_request"},
			{name: "no PKCE, no nonce", rp: fc, query: func(q url.Values) {
				q.Del("nonce")
				q.Del("code_challenge")
				q.Del("code_challenge_method")
			}, want: "invalid_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				client := rp
				if tc.rp != nil {
					client = tc.rp
				}
				f := newFlow(t)
				u, _ := url.Parse(client.authURL(f))
				q := u.Query()
				tc.query(q)
				u.RawQuery = q.Encode()
				got := callback(t, op.browse(t, u.String()), client.conf.RedirectURL)
				if got.Get("error") != tc.want || got.Get("state") != q.Get("state") || got.Get("code") != "" {
					t.Errorf("got %v, want error %s with the state", got, tc.want)
				}
			})
		}
	})
}

func TestAuthorizeAccepts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		for name, opts := range map[string][]oauth2.AuthCodeOption{
			"unknown parameters":     {oauth2.SetAuthURLParam("x-tracking", "abc"), oauth2.SetAuthURLParam("display", "page")},
			"acr_values with eidas1": {oauth2.SetAuthURLParam("acr_values", "eidas2 eidas1")},
			"prompt consent":         {oauth2.SetAuthURLParam("prompt", "consent select_account")},
			"huge max_age":           {oauth2.SetAuthURLParam("max_age", "99999999999999999999999")},
			"empty parameters":       {oauth2.SetAuthURLParam("prompt", ""), oauth2.SetAuthURLParam("claims", "")},
			"ui_locales":             {oauth2.SetAuthURLParam("ui_locales", "fr-FR en")},
		} {
			t.Run(name, func(t *testing.T) { rp.login(t, opts...) })
		}
		t.Run("POST", func(t *testing.T) {
			f := newFlow(t)
			u, _ := url.Parse(rp.authURL(f))
			host := op.srv.Listener.Addr().String()
			browser := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
				if req.URL.Host != host {
					return http.ErrUseLastResponse
				}
				return nil
			}}
			resp, err := browser.Post(op.srv.URL+PathAuthorize, "application/x-www-form-urlencoded", strings.NewReader(u.RawQuery))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got := callback(t, resp, rp.conf.RedirectURL)
			if _, err := rp.conf.Exchange(rp.ctx, got.Get("code"), oauth2.VerifierOption(f.verifier)); err != nil {
				t.Errorf("Exchange: %v", err)
			}
		})
		t.Run("no nonce with PKCE", func(t *testing.T) {
			f := newFlow(t)
			f.nonce = ""
			u, _ := url.Parse(rp.authURL(f))
			q := u.Query()
			q.Del("nonce")
			u.RawQuery = q.Encode()
			got := callback(t, op.browse(t, u.String()), rp.conf.RedirectURL)
			tok, err := rp.conf.Exchange(rp.ctx, got.Get("code"), oauth2.VerifierOption(f.verifier))
			if err != nil {
				t.Fatal(err)
			}
			rp.verifyIDToken(t, tok, "")
		})
	})
}

func TestPromptAndMaxAge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})

		t.Run("prompt=none without a session", func(t *testing.T) {
			op.signedIn = false
			defer func() { op.signedIn = true }()
			f := newFlow(t)
			got := callback(t, op.browse(t, rp.authURL(f, oauth2.SetAuthURLParam("prompt", "none"))), rp.conf.RedirectURL)
			if got.Get("error") != "login_required" || got.Get("state") != f.state {
				t.Errorf("got %v, want login_required with the state", got)
			}
		})
		t.Run("prompt=none with a session", func(t *testing.T) {
			f := newFlow(t)
			got := callback(t, op.browse(t, rp.authURL(f, oauth2.SetAuthURLParam("prompt", "none"))), rp.conf.RedirectURL)
			if got.Get("error") != "interaction_required" {
				t.Errorf("got %v, want interaction_required", got)
			}
		})
		for _, param := range []string{"max_age", "prompt"} {
			t.Run(param+" makes the aidant sign in again", func(t *testing.T) {
				value := map[string]string{"max_age": "60", "prompt": "login"}[param]
				op.authTime = time.Now().Add(-10 * time.Minute)
				before := time.Now().Unix()
				_, idt, _ := rp.login(t, oauth2.SetAuthURLParam(param, value))
				if c := claimsOf(t, idt); c.AuthTime < before-1 {
					t.Errorf("auth_time: got %d, want at least %d", c.AuthTime, before)
				}
			})
		}
		t.Run("max_age satisfied", func(t *testing.T) {
			op.authTime = time.Now().Add(-30 * time.Second).Truncate(time.Second)
			_, idt, _ := rp.login(t, oauth2.SetAuthURLParam("max_age", "3600"))
			if c := claimsOf(t, idt); c.AuthTime != op.authTime.Unix() {
				t.Errorf("auth_time: got %d, want %d", c.AuthTime, op.authTime.Unix())
			}
		})
		t.Run("Grant refuses a stale authentication", func(t *testing.T) {
			op.noReauth = true
			defer func() { op.noReauth = false }()
			op.authTime = time.Now().Add(-10 * time.Minute)
			resp := op.browse(t, rp.authURL(newFlow(t), oauth2.SetAuthURLParam("max_age", "60")))
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("got %d, want the page asking to sign in again", resp.StatusCode)
			}
		})
	})
}

func TestFranceConnectCompatibleClient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{FranceConnectCompat: true, PKCEOptional: true, TokenEndpointAuthMethod: AuthMethodSecretPost})
		// As a FranceConnect federation asks: no PKCE, a long nonce, the
		// procedure by its rep_scope label.
		f := newFlow(t)
		f.nonce = "0123456789abcdefghijklmnopqrstuv"
		u, _ := url.Parse(rp.conf.AuthCodeURL(f.state, oauth2.SetAuthURLParam("nonce", f.nonce),
			oauth2.SetAuthURLParam("acr_values", "eidas1"),
			oauth2.SetAuthURLParam("claims", `{"id_token":{"rep_scope":{"essential":true,"values":["Social-Santé"]}}}`)))
		got := callback(t, op.browse(t, u.String()), rp.conf.RedirectURL)
		tok, err := rp.conf.Exchange(rp.ctx, got.Get("code"))
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		c := claimsOf(t, rp.verifyIDToken(t, tok, f.nonce))
		if c.Act != nil || !slices.Equal(c.RepScope, []string{"Social-Santé"}) || c.ACR != "eidas1" {
			t.Errorf("FranceConnect-compatible ID token: got act %v rep_scope %v acr %q; want no act, Social-Santé, eidas1", c.Act, c.RepScope, c.ACR)
		}
	})
}

func TestRequestedProcedures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			query url.Values
			want  []string
		}{
			{"nothing asked", url.Values{}, []string{"famille", "social", "logement"}},
			{"scope", url.Values{"scope": {"openid procedure:logement"}}, []string{"logement"}},
			{"labels", url.Values{"claims": {`{"id_token":{"rep_scope":{"essential":true,"values":["Social-Santé","Logement"]}}}`}},
				[]string{"social", "logement"}},
			{"ids and labels", url.Values{"claims": {`{"id_token":{"rep_scope":{"values":["famille","Social - Santé","Justice"]}}}`}},
				[]string{"famille", "social"}},
			{"single value", url.Values{"claims": {`{"id_token":{"rep_scope":{"value":"Famille-Scolarité"}}}`}}, []string{"famille"}},
			{"rep_scope without values", url.Values{"claims": {`{"id_token":{"rep_scope":null}}`}}, []string{"famille", "social", "logement"}},
			{"scope and claims", url.Values{"scope": {"openid procedure:famille"},
				"claims": {`{"id_token":{"rep_scope":{"values":["Logement"]}}}`}}, []string{"famille", "logement"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFlow(t)
				u, _ := url.Parse(rp.authURL(f))
				q := u.Query()
				for k, v := range tc.query {
					q[k] = v
				}
				req, _ := http.NewRequest("GET", op.srv.URL+PathAuthorize+"?"+q.Encode(), nil)
				ar, err := op.p.ParseAuthorize(ctx, req)
				if err != nil {
					t.Fatalf("ParseAuthorize: %v", err)
				}
				if !slices.Equal(ar.RequestedProcedures, tc.want) {
					t.Errorf("got %v, want %v", ar.RequestedProcedures, tc.want)
				}
				// The pending request resumes to the same request.
				again, err := op.p.ResumeAuthorize(ctx, ar.Pending())
				if err != nil {
					t.Fatalf("ResumeAuthorize: %v", err)
				}
				if again.query != ar.query || !slices.Equal(again.RequestedProcedures, ar.RequestedProcedures) ||
					again.Nonce != ar.Nonce || again.State != ar.State || !again.RequestedAt.Equal(ar.RequestedAt) {
					t.Errorf("resumed: got %+v, want %+v", again, ar)
				}
			})
		}
		t.Run("scope of the procedure chosen", func(t *testing.T) {
			op.procedure = "logement"
			defer func() { op.procedure = "" }()
			tok, idt, _ := rp.login(t, oauth2.SetAuthURLParam("scope", "openid procedure:famille procedure:logement"))
			if got := tok.Extra("scope"); got != "openid procedure:logement" {
				t.Errorf("granted scope: got %v, want the chosen procedure's only", got)
			}
			if c := claimsOf(t, idt); !slices.Equal(c.RepScope, []string{"Logement"}) {
				t.Errorf("rep_scope: got %v", c.RepScope)
			}
		})
		t.Run("procedure not offered", func(t *testing.T) {
			op.procedure = "justice"
			defer func() { op.procedure = "" }()
			resp := op.browse(t, rp.authURL(newFlow(t)))
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("got %d, want the page", resp.StatusCode)
			}
		})
		t.Run("expired pending request", func(t *testing.T) {
			req, _ := http.NewRequest("GET", rp.authURL(newFlow(t)), nil)
			ar, err := op.p.ParseAuthorize(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			pending := ar.Pending()
			pending.RequestedAt = pending.RequestedAt.Add(-time.Hour)
			if _, err := op.p.ResumeAuthorize(ctx, pending); !errors.Is(err, ErrAuthorizeExpired) {
				t.Errorf("got %v, want ErrAuthorizeExpired", err)
			}
		})
	})
}
