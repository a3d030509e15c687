package web

import (
	"net/http"

	"procura/templates"
)

// handleHome shows the front page.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, &templates.HomePage{Layout: templates.Layout{Title: "Accueil"}})
}
