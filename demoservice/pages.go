package demoservice

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

//go:embed pages/*.html pages/style.css
var pageFiles embed.FS

// pages are the service's own HTML pages: self-contained (one inline style
// sheet, allowed by its hash), no script, no outside asset, so they work
// under any mount prefix.
type pages struct {
	tmpl *template.Template
	csp  string
}

func parsePages() (*pages, error) {
	css, err := pageFiles.ReadFile("pages/style.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(css)
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"style":    func() template.CSS { return template.CSS(css) },
		"gender":   describeGender,
		"authTime": describeAuthTime,
	}).ParseFS(pageFiles, "pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("demoservice: pages: %w", err)
	}
	// No form-action: the logout form is answered by a redirect to Procura,
	// which form-action would block in some browsers.
	csp := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; frame-ancestors 'none'"
	return &pages{tmpl: tmpl, csp: csp}, nil
}

// pageData is what every page needs: its title and the service's mount
// path, which prefixes every link.
type pageData struct {
	Title string
	Base  string
}

type homePage struct {
	pageData
	Procedures []string
	SignedIn   bool
}

type accountPage struct {
	pageData
	User *signedIn
}

type errorPage struct {
	pageData
	Error *pageError
}

func (s *Service) pageData(title string) pageData {
	return pageData{Title: title, Base: s.basePath}
}

// render writes a whole page or, if the template fails, a plain error: it
// renders to a buffer first so that a failure never sends half a page.
func (s *Service) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("demo-service: rendering page", "page", name, "err", err.Error())
		http.Error(w, "Erreur interne", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", s.pages.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// The callback URL carries the authorization code: never send it on.
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func describeGender(g string) string {
	switch g {
	case "female":
		return "féminin"
	case "male":
		return "masculin"
	case "":
		return "—"
	default:
		return g
	}
}

func describeAuthTime(unix int64) string {
	if unix == 0 {
		return "— (auth_time absent)"
	}
	return time.Unix(unix, 0).UTC().Format("02/01/2006 à 15:04:05 UTC")
}
