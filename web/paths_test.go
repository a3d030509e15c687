package web

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"procura/db/dbtest"
)

// Templates keep their links as literal paths (html/template has no access
// to web's constants without a function per path); this test ties them to
// the route table instead: every href or action of a page names a route
// the server answers.
func TestTemplateLinksAreRoutes(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	files, err := filepath.Glob("../templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v, %d files", err, len(files))
	}
	link := regexp.MustCompile(`(?:href|action)="(/[^"]*)"`)
	expr := regexp.MustCompile(`\{\{[^}]*\}\}`)
	checked := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			path := expr.ReplaceAllString(m[1], "x")
			path, _, _ = strings.Cut(path, "?")
			path, _, _ = strings.Cut(path, "#")
			if strings.HasPrefix(path, PathJournal+"/") {
				// The journal's tiles, served by audit.TilesHandler beside
				// the pages (routes.go).
				continue
			}
			if !routed(e, path) {
				t.Errorf("%s: %q is no route of web (paths.go, routes.go)", filepath.Base(file), m[1])
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("only %d links found in the templates: is the pattern still right?", checked)
	}
}

// routed reports whether the pages' route table has a GET or POST route
// for path.
func routed(e *env, path string) bool {
	for _, method := range []string{"GET", "POST"} {
		if _, pattern := e.srv.pages.Handler(httptest.NewRequest(method, path, nil)); pattern != "" {
			return true
		}
	}
	return false
}

// The functions of paths.go give the paths the route table's patterns
// match.
func TestPathsMatchRoutes(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	for _, path := range []string{PathSignIn, PathEnrol, PathAidantHome, PathMandateNew, PathMandateRecap, PathUsagers,
		PathMandate("m1"), PathMandateRevoke("m1"), PathMandateRenew("m1"), PathMandateAttestation("m1"),
		PathRevocationAttestation("m1"), PathVerify, PathVerifyMandate("m1"), PathUsagerLanding, PathUsagerSignIn,
		PathUsagerSpace, PathUsagerSignOut, PathUsagerMandateRevoke("m1"), PathFranceConnectCallback,
		PathFranceConnectLogout, PathChoice, PathOIDCLogoutConfirm, PathSignOut, PathSwitchOrganisation, PathEnrolCard, PathInvitation("t")} {
		if !routed(e, path) {
			t.Errorf("%s is no route", path)
		}
	}
	if routed(e, "/nulle-part") {
		t.Error("routed says yes to a path nobody serves")
	}
}
