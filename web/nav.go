package web

import (
	"net/http"
	"slices"
	"strings"

	"procura/account"
	"procura/templates"
)

// headerNav is the header navigation of a signed-in aidant or manager, by
// their roles in their current organisation: an aidant's usagers and
// mandates (and a new mandate while habilitated), the manager space. The
// sign-out button sits beside it, in the header's tools.
func (s *Server) headerNav(r *http.Request, a account.Account) ([]templates.NavLink, error) {
	ms, err := s.directory.Memberships(r.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		return nil, err
	}
	current, _ := sess.Values[keyOrganisationID].(string)
	var m account.Membership
	if i := slices.IndexFunc(ms, func(m account.Membership) bool { return m.Organisation.ID == current }); i >= 0 {
		m = ms[i]
	} else if len(ms) > 0 {
		m = ms[0] // as loadCaller does
	}
	path := r.URL.Path
	nav := []templates.NavLink{{Label: "Accueil", URL: PathAidantHome, Current: path == PathAidantHome}}
	if m.Has(account.RoleAidant) {
		mandatePage := strings.HasPrefix(path, PathMandate("")) && path != PathMandateNew && path != PathMandateRecap
		nav = append(nav, templates.NavLink{Label: "Usagers et mandats", URL: PathUsagers,
			Current: path == PathUsagers || mandatePage})
		if a.Habilitated(s.now()) {
			nav = append(nav, templates.NavLink{Label: "Nouveau mandat", URL: PathMandateNew,
				Current: path == PathMandateNew || path == PathMandateRecap})
		}
	}
	if m.Has(account.RoleManager) {
		nav = append(nav, templates.NavLink{Label: "Espace responsable", URL: PathManager,
			Current: path == PathManager || strings.HasPrefix(path, PathManager+"/")})
	}
	return nav, nil
}

// usagerNav is the header navigation of a usager signed in to their space.
func usagerNav(r *http.Request) []templates.NavLink {
	return []templates.NavLink{{Label: "Mon espace", URL: PathUsagerSpace, Current: r.URL.Path == PathUsagerSpace}}
}
