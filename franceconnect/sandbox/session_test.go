package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestEndSession(t *testing.T) {
	r := newRP(t, setup{})
	tok, err := r.exchange(r.login("ange-colonna"))
	if err != nil {
		t.Fatal(err)
	}
	hint := tok.Extra("id_token").(string)
	endSession := r.discoveryString("end_session_endpoint")

	// A relying party logs out long after the ID token's minute: still fine.
	r.clock.Advance(2 * time.Hour)
	q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {postLogoutURI}, "state": {"logout-state-123"}}
	back := r.callback(r.get(endSession+"?"+q.Encode()), postLogoutURI)
	if back.Get("state") != "logout-state-123" || len(back) != 1 {
		t.Errorf("logout callback %v, want just the state", back)
	}

	// A hint from another sandbox (another key, another issuer).
	other := newRP(t, setup{})
	otherTok, err := other.exchange(other.login("ange-colonna"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(hint, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))

	tests := []struct {
		name   string
		change func(url.Values)
		detail string
	}{
		{"unregistered post_logout_redirect_uri", func(q url.Values) { q.Set("post_logout_redirect_uri", "https://evil.example/") }, "post_logout_redirect_uri non enregistrée"},
		{"redirect_uri used for logout", func(q url.Values) { q.Set("post_logout_redirect_uri", redirectURI) }, "post_logout_redirect_uri non enregistrée"},
		{"no post_logout_redirect_uri", func(q url.Values) { q.Del("post_logout_redirect_uri") }, "post_logout_redirect_uri non enregistrée"},
		{"no id_token_hint", func(q url.Values) { q.Del("id_token_hint") }, "id_token_hint absent"},
		{"tampered id_token_hint", func(q url.Values) { q.Set("id_token_hint", tampered) }, "id_token_hint absent"},
		{"id_token_hint of another provider", func(q url.Values) { q.Set("id_token_hint", otherTok.Extra("id_token").(string)) }, "id_token_hint absent"},
		{"access token as hint", func(q url.Values) { q.Set("id_token_hint", tok.AccessToken) }, "id_token_hint absent"},
		{"no state", func(q url.Values) { q.Del("state") }, "state est requis"},
		{"repeated post_logout_redirect_uri", func(q url.Values) { q.Add("post_logout_redirect_uri", "https://evil.example/") }, "répété"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {postLogoutURI}, "state": {"s"}}
			tc.change(q)
			res := r.get(endSession + "?" + q.Encode())
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 400, no redirect", res.StatusCode, res.Header.Get("Location"))
			}
			if !strings.Contains(res.body, "Déconnexion impossible") || !strings.Contains(res.body, tc.detail) {
				t.Errorf("page lacks %q:\n%s", tc.detail, res.body)
			}
		})
	}
}
