package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"procura/db/dbtest"
)

func TestStaticFiles(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	_, page := e.get("/")
	m := regexp.MustCompile(`href="(/static/css/procura\.css\?v=([0-9a-f]{16}))"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the layout does not link a versioned procura.css: %s", page)
	}
	versioned, version := m[1], m[2]

	resp, body := e.get(versioned)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ".procura-") {
		t.Fatalf("GET %s = %d", versioned, resp.StatusCode)
	}
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("versioned Cache-Control = %q", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/css; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := resp.Header.Get("ETag"); got != `"`+version+`"` {
		t.Errorf("ETag = %q, want %q", got, version)
	}

	resp, _ = e.get("/static/css/procura.css")
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=86400" {
		t.Errorf("unversioned Cache-Control = %q", got)
	}
	resp, _ = e.do(e.client, http.MethodGet, "/static/css/procura.css", nil, http.Header{"If-None-Match": {`"` + version + `"`}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match = %d, want 304", resp.StatusCode)
	}
	resp, body = e.do(e.client, http.MethodHead, "/static/dsfr/dsfr.module.min.js", nil, nil)
	if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("HEAD js = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, _ = e.get("/static/dsfr/fonts/Marianne-Regular.woff2")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "font/woff2" {
		t.Errorf("font = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
