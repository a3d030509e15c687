package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestCodeReplayIsInvalidGrantAndRevokes(t *testing.T) {
	r := newRP(t, setup{})
	code := r.login("jean-luc-darcy")
	tok, err := r.exchange(code)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.exchange(code)
	if got := tokenErrorCode(t, err); got != "invalid_grant" {
		t.Errorf("replay: error %q, want invalid_grant", got)
	}
	// RFC 6749 §4.1.2: the tokens first issued with the code are revoked.
	if res := r.userinfoResponse(tok.AccessToken); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo after replay: status %d, want 401", res.StatusCode)
	}
}

func TestConcurrentRedeemHasOneWinner(t *testing.T) {
	r := newRP(t, setup{})
	code := r.login("noel-lecoeur")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.exchange(code); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d exchanges of one code succeeded, want 1", wins)
	}
}

func TestExpiredCode(t *testing.T) {
	r := newRP(t, setup{})
	code := r.login("elodie-lefevre")
	r.clock.Advance(29 * time.Second)
	if _, err := r.exchange(code); err != nil {
		t.Fatalf("code at 29 s: %v", err)
	}
	code = r.login("elodie-lefevre")
	r.clock.Advance(30 * time.Second)
	_, err := r.exchange(code)
	if got := tokenErrorCode(t, err); got != "invalid_grant" {
		t.Errorf("code at 30 s: error %q, want invalid_grant", got)
	}
}

func TestTokenRefusals(t *testing.T) {
	tests := []struct {
		name       string
		change     func(form url.Values, h http.Header)
		wantStatus int
		wantError  string
	}{
		{"wrong secret", func(f url.Values, _ http.Header) { f.Set("client_secret", "devine") }, 401, "invalid_client"},
		{"no secret", func(f url.Values, _ http.Header) { f.Del("client_secret") }, 401, "invalid_client"},
		{"unknown client", func(f url.Values, _ http.Header) { f.Set("client_id", "inconnu") }, 401, "invalid_client"},
		{"secret of another client", func(f url.Values, _ http.Header) { f.Set("client_id", otherClientID) }, 401, "invalid_client"},
		{"client_secret_basic", func(f url.Values, h http.Header) {
			f.Del("client_id")
			f.Del("client_secret")
			h.Set("Authorization", "Basic "+basic(clientID, clientSecret))
		}, 401, "invalid_client"},
		{"wrong redirect_uri", func(f url.Values, _ http.Header) {
			f.Set("redirect_uri", "https://service.example/franceconnect/callback")
		}, 400, "invalid_grant"},
		{"no redirect_uri", func(f url.Values, _ http.Header) { f.Del("redirect_uri") }, 400, "invalid_grant"},
		{"unknown code", func(f url.Values, _ http.Header) { f.Set("code", "inventé") }, 400, "invalid_grant"},
		{"no code", func(f url.Values, _ http.Header) { f.Del("code") }, 400, "invalid_request"},
		{"refresh grant", func(f url.Values, _ http.Header) { f.Set("grant_type", "refresh_token") }, 400, "unsupported_grant_type"},
		{"repeated code", func(f url.Values, _ http.Header) { f.Add("code", "x") }, 400, "invalid_request"},
		{"JSON body", func(_ url.Values, h http.Header) { h.Set("Content-Type", "application/json") }, 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRP(t, setup{})
			code := r.login("camille-nguyen")
			form := url.Values{
				"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
				"client_id": {clientID}, "client_secret": {clientSecret},
			}
			header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			tc.change(form, header)
			req, err := http.NewRequest(http.MethodPost, r.discoveryString("token_endpoint"), strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = header
			res := r.do(req)
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal([]byte(res.body), &body); err != nil {
				t.Fatalf("body %q: %v", res.body, err)
			}
			if res.StatusCode != tc.wantStatus || body.Error != tc.wantError || body.Description == "" {
				t.Errorf("status %d, error %q (%s); want %d, %s", res.StatusCode, body.Error, body.Description, tc.wantStatus, tc.wantError)
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Error("token error is cacheable")
			}
			// A refused client leaves the code usable (it authenticates first).
			if tc.wantError == "invalid_client" {
				if _, err := r.exchange(code); err != nil {
					t.Errorf("code after a refused client: %v", err)
				}
			}
		})
	}
}

// x/oauth2 in auto-detect mode tries client_secret_basic then falls back to
// client_secret_post: it must end up working.
func TestAutoDetectingClientFallsBackToPost(t *testing.T) {
	r := newRP(t, setup{})
	r.oauth.Endpoint.AuthStyle = oauth2.AuthStyleAutoDetect
	if _, err := r.exchange(r.login("aissatou-diop")); err != nil {
		t.Fatal(err)
	}
}

func TestCodeOfAnotherClient(t *testing.T) {
	r := newRP(t, setup{})
	code := r.login("oceane-payet")
	r.oauth.ClientID, r.oauth.ClientSecret, r.oauth.RedirectURL = otherClientID, otherSecret, otherRedirect
	_, err := r.exchange(code)
	if got := tokenErrorCode(t, err); got != "invalid_grant" {
		t.Errorf("error %q, want invalid_grant", got)
	}
}

func TestUserinfoRefusals(t *testing.T) {
	r := newRP(t, setup{})
	tok, err := r.exchange(r.login("marie-therese-le-goff"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, authorization, wantChallenge string
	}{
		{"no token", "", `Bearer realm="fc-sandbox"`},
		{"wrong scheme", "Basic " + basic(clientID, clientSecret), `Bearer realm="fc-sandbox"`},
		{"bad token", "Bearer pas-un-jeton", `Bearer realm="fc-sandbox", error="invalid_token"`},
		{"id_token instead", "Bearer " + tok.Extra("id_token").(string), `Bearer realm="fc-sandbox", error="invalid_token"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, r.discoveryString("userinfo_endpoint"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			res := r.do(req)
			if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") != tc.wantChallenge {
				t.Errorf("status %d, WWW-Authenticate %q; want 401, %q", res.StatusCode, res.Header.Get("WWW-Authenticate"), tc.wantChallenge)
			}
		})
	}
	r.userinfo(tok.AccessToken) // still good
	r.clock.Advance(60 * time.Second)
	if res := r.userinfoResponse(tok.AccessToken); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired access token: status %d, want 401", res.StatusCode)
	}
}

func basic(user, pass string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}
