package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"procura/audit"
	"procura/db"
	"procura/problem"
	"procura/templates"
)

// Errors the web layer itself raises. Domain packages raise their own
// problem.Error values; errorView maps both.
var (
	errNotFound = problem.New(problem.NotFound,
		"La page que vous cherchez n'existe pas ou a été déplacée. Si vous avez saisi l'adresse, vérifiez-la.")
	// ErrCSRF refuses an unsafe request without the session's CSRF token or
	// from another site. Nothing was done.
	ErrCSRF = problem.New(problem.Forbidden,
		"Ce formulaire a expiré ou ne provient pas de Procura : pour votre sécurité, rien n'a été enregistré. "+
			"Revenez à la page précédente, rechargez-la, puis recommencez.")
	// ErrMalformedForm refuses a form that cannot be read (bad encoding,
	// invalid UTF-8, control characters).
	ErrMalformedForm = problem.New(problem.Invalid,
		"Le formulaire envoyé contient des caractères non valides. Vérifiez votre saisie et réessayez.")
	// ErrNotSignedIn is returned by SessionStore.AccountID when nobody is
	// signed in.
	ErrNotSignedIn = problem.New(problem.Unauthorized, "Connectez-vous pour accéder à cette page.")
	// ErrSessionEnded is returned when a session was ended (sign-out
	// elsewhere, deactivation) while a request was using it.
	ErrSessionEnded = problem.New(problem.Unauthorized, "Votre session a pris fin. Connectez-vous à nouveau.")

	errMethodNotAllowed = errors.New("web: method not allowed")
	errPanic            = errors.New("web: handler panicked")
)

// errorView is what a person is shown for an error.
type errorView struct {
	status  int
	heading string
	message string
}

const (
	msgTooLarge = "Les données envoyées dépassent la taille autorisée. Rien n'a été enregistré."
	msgMethod   = "Cette adresse ne s'utilise pas de cette façon. Revenez à la page d'accueil pour continuer."
	msgInternal = "Une erreur inattendue est survenue de notre côté. Réessayez dans quelques instants ; " +
		"si elle persiste, contactez l'assistance."
	msgUnavailable = "Procura ne peut pas joindre sa base de données pour le moment. Rien n'a été enregistré : " +
		"réessayez dans quelques instants."
)

// errorViewOf is the one place that maps an error to a status and a safe
// French message. problem codes come from the domain packages; the other
// cases are what HTTP itself can go wrong with. Anything unknown is a 500
// with a generic message: an error's text never reaches the page.
func errorViewOf(err error) errorView {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errorView{http.StatusRequestEntityTooLarge, "Envoi trop volumineux", msgTooLarge}
	case errors.Is(err, errMethodNotAllowed):
		return errorView{http.StatusMethodNotAllowed, "Méthode non autorisée", msgMethod}
	case errors.Is(err, db.ErrNotFound):
		return errorView{http.StatusNotFound, "Page introuvable", errNotFound.Message}
	case db.IsUnavailable(err):
		return errorView{http.StatusServiceUnavailable, "Service momentanément indisponible", msgUnavailable}
	}
	var p *problem.Error
	if !errors.As(err, &p) {
		return errorView{http.StatusInternalServerError, "Erreur inattendue", msgInternal}
	}
	switch p.Code {
	case problem.Invalid:
		return errorView{http.StatusBadRequest, "Demande invalide", p.Message}
	case problem.Unauthorized:
		return errorView{http.StatusUnauthorized, "Connexion requise", p.Message}
	case problem.Forbidden:
		return errorView{http.StatusForbidden, "Accès refusé", p.Message}
	case problem.NotFound:
		return errorView{http.StatusNotFound, "Page introuvable", p.Message}
	case problem.Conflict:
		return errorView{http.StatusConflict, "Action impossible", p.Message}
	case problem.TooMany:
		return errorView{http.StatusTooManyRequests, "Trop de tentatives", p.Message}
	case problem.Unavailable:
		return errorView{http.StatusServiceUnavailable, "Service momentanément indisponible", p.Message}
	}
	return errorView{http.StatusInternalServerError, "Erreur inattendue", msgInternal}
}

// serveError logs err and answers with the error page that errorViewOf
// chooses. The details of err go to the log only.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	v := errorViewOf(err)
	ctx := r.Context()
	if v.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", db.RetryAfterSeconds)
	}
	attrs := []slog.Attr{
		slog.Int("status", v.status),
		slog.String("error", err.Error()),
		slog.String("request_id", audit.RequestID(ctx)),
	}
	switch {
	case errors.Is(err, context.Canceled):
		s.log.LogAttrs(ctx, slog.LevelInfo, "request canceled", attrs...)
	case v.status >= 500:
		s.log.LogAttrs(ctx, slog.LevelError, "request failed", attrs...)
	default:
		s.log.LogAttrs(ctx, slog.LevelInfo, "request refused", attrs...)
	}

	page := &templates.ErrorPage{
		Layout: templates.Layout{Title: v.heading},
		Status: v.status, Heading: v.heading, Message: v.message,
	}
	if ferr := s.fillLayout(w, r, page.Base()); ferr != nil {
		// The page still goes out, without the signed-in header.
		s.log.LogAttrs(ctx, slog.LevelWarn, "error page without layout details",
			slog.String("error", ferr.Error()), slog.String("request_id", audit.RequestID(ctx)))
		page.SignedInName, page.CSRFToken = "", ""
	}
	body, rerr := s.templates.Render(page)
	if rerr != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "error page failed to render",
			slog.String("error", rerr.Error()), slog.String("request_id", audit.RequestID(ctx)))
		http.Error(w, http.StatusText(v.status), v.status)
		return
	}
	writeHTML(w, v.status, body)
}
