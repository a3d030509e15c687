package authz

import (
	"context"
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"procura/db/dbtest"
)

// BenchmarkDelegatedLogin measures complete delegated logins over HTTP on
// PostgreSQL (DESIGN.md §10): authorization request, the stand-in choice
// page and Grant, code exchange with PKCE (client_secret_basic), ID token
// verification by go-oidc, and UserInfo. The permission check is the
// test's fake (the real one adds two primary-key reads to three steps).
//
//	go test ./authz -run '^$' -bench DelegatedLogin -benchtime 5s
func BenchmarkDelegatedLogin(b *testing.B) {
	op := newTestOP(b, dbtest.Postgres(b))
	rp := op.newRP(b, ClientRegistration{})
	host := op.srv.Listener.Addr().String()
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	browser := &http.Client{Transport: transport, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	ctx := oidc.ClientContext(context.Background(), &http.Client{Transport: transport})
	b.SetParallelism(8) // 16 flows at once on 2 cores: the database waits, not the CPU
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f := newFlow(b)
			resp, err := browser.Get(rp.authURL(f))
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			loc, err := resp.Location()
			if err != nil || loc.Query().Get("code") == "" {
				b.Fatalf("authorize: %d %v", resp.StatusCode, err)
			}
			tok, err := rp.conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(f.verifier))
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := tok.Extra("id_token").(string)
			if _, err := rp.verifier.Verify(ctx, raw); err != nil {
				b.Fatal(err)
			}
			if _, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
