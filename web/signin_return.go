package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// When a page needs a signed-in aidant or manager and nobody is signed in,
// the browser goes to the sign-in page with two parameters:
//   - fin: why the session the browser presented has ended (endIdle,
//     endAbsolute, endClosed; "1" is a sign-out), so that the page says so;
//   - retour: the page asked for, where the sign-in continues. Only a path
//     of this site is accepted (safeReturnPath): anything else is ignored,
//     so that the parameter cannot send anyone to another site (open
//     redirect, OWASP ASVS V5.1.5).
//
// formulaire=1 says that a form posted after the end was kept
// (form_saved.go) and will be shown again.
const (
	paramEnd      = "fin"
	paramReturn   = "retour"
	paramFormKept = "formulaire"
	// fieldReturn carries retour through the sign-in form.
	fieldReturn = "retour"
)

// maxReturnPath bounds a return path: a page's path and its query.
const maxReturnPath = 1024

// safeReturnPath reports whether p may be where a sign-in continues: a
// path of this site, with its query, and nothing a browser could read as
// another site. It must begin with a single "/" (not "//", which is
// another host), contain no "\" (which browsers read as "/") and no
// control character, space or tab (which browsers strip, so that "/\t/x"
// would become "//x"), and have no scheme, host or user. The sign-in and
// sign-out pages themselves are refused.
func safeReturnPath(p string) bool {
	if p == "" || len(p) > maxReturnPath || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	// The path as the server routes it, once %2F and the like are decoded:
	// still one leading slash.
	if strings.HasPrefix(u.Path, "//") || strings.ContainsRune(u.Path, '\\') {
		return false
	}
	for _, refused := range []string{PathSignIn, PathSignOut, PathEnrol} {
		if u.Path == refused || strings.HasPrefix(u.Path, refused+"/") {
			return false
		}
	}
	return true
}

// returnPathOf is the page a sign-in should continue to for the request r
// that found nobody signed in: the page itself for a GET, else the page
// the form was on (the Referer, sent for our own pages only:
// Referrer-Policy same-origin), else the form's path if it is a page too,
// else "".
func (s *Server) returnPathOf(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if p := r.URL.RequestURI(); safeReturnPath(p) {
			return p
		}
		return ""
	}
	if ref, err := url.Parse(r.Header.Get("Referer")); err == nil && ref.Host == r.Host {
		if p := ref.RequestURI(); safeReturnPath(p) {
			return p
		}
	}
	// No Referer (some browsers' privacy settings): the form's own path,
	// when it is also a page.
	if get, err := http.NewRequest(http.MethodGet, r.URL.Path, nil); err == nil && safeReturnPath(r.URL.Path) {
		if _, pattern := s.pages.Handler(get); pattern != "" {
			return r.URL.Path
		}
	}
	return ""
}

// signInURL is the sign-in page saying why the session ended (reason, ""
// for none), continuing to returnTo if safe, and announcing a kept form.
func signInURL(reason, returnTo string, formKept bool) string {
	q := url.Values{}
	if reason != "" {
		q.Set(paramEnd, reason)
	}
	if safeReturnPath(returnTo) {
		q.Set(paramReturn, returnTo)
	}
	if formKept {
		q.Set(paramFormKept, "1")
	}
	if len(q) == 0 {
		return PathSignIn
	}
	return PathSignIn + "?" + q.Encode()
}

// redirectToSignIn sends a request that found nobody signed in to the
// sign-in page, which will say why the session ended and continue to the
// page asked for.
func (s *Server) redirectToSignIn(w http.ResponseWriter, r *http.Request) {
	ended, _ := s.sessions.Ended(r)
	http.Redirect(w, r, signInURL(ended.reason, s.returnPathOf(r), false), http.StatusSeeOther)
}

// endNotice is what the sign-in page says for its fin parameter ("" for an
// unknown one), and, when a form was kept, that it will be shown again.
func (s *Server) endNotice(reason string, formKept bool) string {
	var notice string
	switch reason {
	case "1":
		return noticeSignedOut
	case endIdle:
		notice = fmt.Sprintf("Votre session a pris fin après %s sans activité, pour protéger les données des usagers.",
			frenchDuration(s.settings.SessionIdleTimeout))
	case endAbsolute:
		notice = fmt.Sprintf("Votre session a pris fin : une session dure au plus %s, même en activité.",
			frenchDuration(s.settings.SessionMaxAge))
	case endClosed:
		notice = "Votre session a été fermée (déconnexion, changement de mot de passe ou de carte, " +
			"ou décision de votre responsable de structure), ou elle avait pris fin depuis longtemps."
	default:
		if !formKept {
			return ""
		}
	}
	notice = strings.TrimSpace(notice + " Connectez-vous à nouveau pour continuer.")
	if formKept {
		notice += " Le formulaire que vous avez envoyé n'a pas été enregistré : il vous sera présenté de nouveau, " +
			"rempli avec ce que vous aviez saisi (sauf les mots de passe et les codes), pour que vous le vérifiiez et l'envoyiez."
	}
	return notice
}
