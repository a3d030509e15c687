package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// staticFiles is the static tree served under /static/, with a version per
// file: the start of the SHA-256 of its content.
//
// Pages link to files with ?v=<version> (templates' asset function), so a
// browser may keep such a URL for a year: a changed file gets a new URL.
// Files fetched without the right version (fonts and icons that the DSFR's
// CSS names) are cached for a day, then revalidated by ETag.
type staticFiles struct {
	fsys     fs.FS
	versions map[string]string
}

// loadStaticFiles hashes every file of fsys except Go sources (static.FS
// embeds its own package file, which is not for serving).
func loadStaticFiles(fsys fs.FS) (*staticFiles, error) {
	sf := &staticFiles{fsys: fsys, versions: make(map[string]string)}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(name) == ".go" {
			return nil
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		sf.versions[name] = hex.EncodeToString(sum[:8])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return sf, nil
}

// url returns the versioned URL of a static file.
func (sf *staticFiles) url(name string) (string, error) {
	v, ok := sf.versions[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return PathStatic + name + "?v=" + v, nil
}

// open returns a file for reading and seeking. embed.FS files seek, so
// serving one copies nothing; another fs.FS is read into memory.
func (sf *staticFiles) open(name string) (io.ReadSeekCloser, error) {
	f, err := sf.fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("web: static %s: %w", name, err)
	}
	if rs, ok := f.(io.ReadSeekCloser); ok {
		return rs, nil
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("web: static %s: %w", name, err)
	}
	return nopCloser{bytes.NewReader(b)}, nil
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

// Content types net/http may not know (it falls back on the system's MIME
// tables, which differ between machines).
var staticContentTypes = map[string]string{
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".webmanifest": "application/manifest+json",
}

// handleStatic serves a file of the static tree; anything else, directories
// included, is the 404 page.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, PathStatic)
	version, ok := s.static.versions[name]
	if !ok {
		s.serveError(w, r, errNotFound)
		return
	}
	content, err := s.static.open(name)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	defer content.Close()
	h := w.Header()
	h.Set("ETag", `"`+version+`"`)
	if r.URL.Query().Get("v") == version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=86400")
	}
	if ct, ok := staticContentTypes[path.Ext(name)]; ok {
		h.Set("Content-Type", ct)
	}
	// ServeContent answers If-None-Match (304), Range and HEAD.
	http.ServeContent(w, r, name, time.Time{}, content)
}
