// Package templates holds Procura's HTML pages (html/template, embedded in
// the binary) and the typed struct each page is rendered from.
//
// Contract: every page is parsed by Parse, at start-up, so a broken template
// stops the server before it serves anything; Render executes a page into
// memory and returns the whole document or an error, never half a page.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
)

//go:embed *.html
var files embed.FS

// layoutFile holds the document around every page: head, DSFR header,
// footer. Every other file is a page that defines "content".
const layoutFile = "layout.html"

// Page is a page struct: it names its template file and embeds Layout
// (which gives it Base).
type Page interface {
	Template() string
	Base() *Layout
}

// Layout is what the document around every page shows. Handlers set Title
// and, on pages with a form, CSRFToken; the web package fills the rest.
type Layout struct {
	// Title is the page's title, without the service name.
	Title string
	// CSRFToken goes in every form as the hidden field csrf_token
	// ({{template "csrf" .}}).
	CSRFToken string
	// SignedInName is the name of the signed-in person; empty when nobody
	// is signed in. When set, the header shows it and a sign-out button.
	SignedInName string
	// SignOutAction is where the header's sign-out button posts; empty
	// means the aidant and manager sign-out, /deconnexion.
	SignOutAction string
	// RequestID identifies the request, shown on error pages for support.
	RequestID string
	// HeaderNav is the header navigation of the signed-in person, by role; the
	// web package fills it.
	HeaderNav []NavLink
}

// NavLink is an entry of the header navigation.
type NavLink struct {
	Label string
	URL   string
	// Current marks the page being shown (aria-current="page").
	Current bool
}

// Base gives access to the layout fields of any page embedding Layout.
func (l *Layout) Base() *Layout { return l }

// Options is what the templates need from the server.
type Options struct {
	// AssetURL returns the URL of a file of the static tree (for example
	// "css/procura.css"), or an error if there is no such file.
	AssetURL func(name string) (string, error)
}

// Engine renders pages.
type Engine struct {
	pages map[string]*template.Template
}

// Parse parses the layout and every page.
func Parse(opts Options) (*Engine, error) {
	if opts.AssetURL == nil {
		return nil, fmt.Errorf("templates: Options.AssetURL is required")
	}
	funcs := template.FuncMap{"asset": opts.AssetURL, "badge": badgeClass}
	layout, err := template.New(layoutFile).Funcs(funcs).ParseFS(files, layoutFile)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	names, err := fs.Glob(files, "*.html")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	e := &Engine{pages: make(map[string]*template.Template)}
	for _, name := range names {
		if name == layoutFile {
			continue
		}
		// Each page gets its own copy of the layout, so that every page can
		// define "content" without clashing with the others.
		t, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", name, err)
		}
		if t, err = t.ParseFS(files, name); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("templates: %s does not define \"content\"", name)
		}
		e.pages[name] = t
	}
	return e, nil
}

// Render returns the whole HTML document of p, or an error and nothing.
func (e *Engine) Render(p Page) ([]byte, error) {
	t, ok := e.pages[p.Template()]
	if !ok {
		return nil, fmt.Errorf("templates: no page %q", p.Template())
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layoutFile, p); err != nil {
		return nil, fmt.Errorf("templates: render %s: %w", p.Template(), err)
	}
	return buf.Bytes(), nil
}
