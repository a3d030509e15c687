package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"procura/db/dbtest"
)

// The metrics count requests by route pattern (never by raw path) and the
// delegated login's steps.
func TestMetrics(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	_, aidant := e.orgAndAidant(true)
	svc := e.journeyService("social")
	c := e.signInAidant(aidant)
	e.createMandate(c, aidant, "jean-luc-darcy", "social")
	if _, err := svc.Login(context.Background(), e.browser(c), nil, firstPermission, nil); err != nil {
		t.Fatalf("delegated login: %v", err)
	}
	e.follow(c, PathMandate("00000000-0000-0000-0000-000000000000"))

	rec := httptest.NewRecorder()
	e.metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`procura_http_requests_total{code="303",method="GET",route="GET /oidc/authorize"} 1`,
		`procura_http_requests_total{code="404",method="GET",route="GET /aidant/mandats/{id}"} 1`,
		`procura_delegated_logins_total{outcome="authorised",step="authorize"} 1`,
		`procura_delegated_logins_total{outcome="authorised",step="authorization_code"} 1`,
		`procura_delegated_logins_total{outcome="authorised",step="userinfo"} 1`,
		`procura_http_request_duration_seconds_bucket{route="POST /oidc/token",le="+Inf"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "00000000-0000") {
		t.Error("a raw path with an id is a label")
	}
}
