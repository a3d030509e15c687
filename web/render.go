package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"procura/audit"
	"procura/templates"
)

// render answers with page p and status. The page is rendered in memory
// first: if that fails, the person gets the 500 page, never half a page.
// The layout fields are filled here (see fillLayout); handlers set Title
// and what their page shows.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, p templates.Page) {
	if err := s.fillLayout(w, r, p.Base()); err != nil {
		s.serveError(w, r, err)
		return
	}
	body, err := s.templates.Render(p)
	if err != nil {
		s.serveError(w, r, fmt.Errorf("web: %w", err))
		return
	}
	writeHTML(w, status, body)
}

// fillLayout sets the request id and, when someone is signed in, their
// name, their header navigation and the CSRF token of the sign-out form. For an anonymous visitor it
// reads the session only if the browser sent a cookie, and writes nothing:
// a page with a form asks for its token with csrfToken.
func (s *Server) fillLayout(w http.ResponseWriter, r *http.Request, l *templates.Layout) error {
	l.RequestID = audit.RequestID(r.Context())
	if l.SignOutAction == PathUsagerSignOut && l.HeaderNav == nil {
		l.HeaderNav = usagerNav(r)
	}
	accountID, err := s.sessions.AccountID(r)
	if errors.Is(err, ErrNotSignedIn) {
		if l.CSRFToken == "" {
			l.CSRFToken = s.sessions.existingCSRFToken(r)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if l.CSRFToken == "" {
		if l.CSRFToken, err = s.sessions.CSRFToken(w, r); err != nil {
			return err
		}
	}
	if l.SignedInName == "" {
		a, err := s.directory.Account(r.Context(), accountID)
		if err != nil {
			return fmt.Errorf("web: signed-in account %s: %w", accountID, err)
		}
		l.SignedInName = a.Name()
		// A page that names the signed-in person itself (the delegated
		// login's choice) is a step of a journey: no navigation away.
		if l.HeaderNav == nil && l.SignOutAction == "" {
			if l.HeaderNav, err = s.headerNav(r, a); err != nil {
				return fmt.Errorf("web: navigation of %s: %w", accountID, err)
			}
		}
	}
	return nil
}

// writeHTML sends a rendered page.
func writeHTML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
