package demoservice

import (
	"errors"
	"log/slog"
	"net/http"
	"unicode/utf8"
)

// pageError is an error a person sees: a status, a safe French title and
// message, and the cause, which goes to the log only. Code and Detail carry
// an error response of Procura (OAuth 2.0 error and error_description).
type pageError struct {
	Status  int
	Title   string
	Message string
	Code    string
	Detail  string
	cause   error
}

func (e *pageError) Error() string {
	if e.cause != nil {
		return e.Title + ": " + e.cause.Error()
	}
	return e.Title
}

func (e *pageError) Unwrap() error { return e.cause }

// wrapError returns a copy of kind caused by cause.
func wrapError(kind *pageError, cause error) *pageError {
	e := *kind
	e.cause = cause
	return &e
}

var (
	errNotFound = &pageError{Status: http.StatusNotFound, Title: "Page introuvable",
		Message: "Cette adresse ne correspond à aucune page du service."}
	errProviderUnavailable = &pageError{Status: http.StatusServiceUnavailable, Title: "Procura est injoignable",
		Message: "Le service n'a pas pu contacter Procura pour préparer la connexion. Réessayez dans quelques instants."}
	errNoLoginInProgress = &pageError{Status: http.StatusBadRequest, Title: "Connexion expirée ou inconnue",
		Message: "Aucune connexion n'est en cours dans ce navigateur, ou elle a expiré. Recommencez depuis la page d'accueil."}
	errStateMismatch = &pageError{Status: http.StatusBadRequest, Title: "Réponse refusée",
		Message: "La réponse reçue ne correspond pas à la connexion commencée dans ce navigateur (paramètre state différent). Elle a été ignorée par sécurité."}
	errMissingCode = &pageError{Status: http.StatusBadRequest, Title: "Réponse incomplète",
		Message: "Procura n'a renvoyé ni code d'autorisation ni erreur."}
	errTokenRejected = &pageError{Status: http.StatusBadRequest, Title: "Connexion refusée",
		Message: "Le jeton d'identité reçu de Procura n'a pas pu être vérifié (signature, émetteur, destinataire, expiration, nonce ou niveau eIDAS). La connexion a été refusée."}
	errExchangeFailed = &pageError{Status: http.StatusBadGateway, Title: "Échange avec Procura impossible",
		Message: "Le service n'a pas pu échanger le code d'autorisation auprès de Procura. Recommencez la connexion."}
	errUserinfoFailed = &pageError{Status: http.StatusBadGateway, Title: "Identité indisponible",
		Message: "Le service n'a pas pu obtenir ou vérifier l'identité de l'usager auprès de Procura (UserInfo). La connexion a été refusée."}
	errNoLogoutInProgress = &pageError{Status: http.StatusBadRequest, Title: "Déconnexion inconnue",
		Message: "Aucune déconnexion n'est en cours dans ce navigateur, ou elle a expiré."}
	errLogoutStateMismatch = &pageError{Status: http.StatusBadRequest, Title: "Retour de déconnexion refusé",
		Message: "Le retour de Procura ne correspond pas à la déconnexion demandée dans ce navigateur (paramètre state différent)."}
	errInternal = &pageError{Status: http.StatusInternalServerError, Title: "Erreur interne",
		Message: "Une erreur inattendue est survenue. Recommencez depuis la page d'accueil."}
)

// providerError is the page for an error response of Procura's
// authorization endpoint (RFC 6749 §4.1.2.1, OpenID Connect Core 1.0
// §3.1.2.6).
func providerError(code, description string) *pageError {
	e := &pageError{Status: http.StatusBadRequest, Title: "Connexion non aboutie", Code: clip(code), Detail: clip(description)}
	switch code {
	case "access_denied":
		e.Title = "Accès refusé"
		e.Message = "La connexion a été annulée ou refusée sur Procura : aucun usager n'a été transmis au service."
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		e.Title = "Connexion requise"
		e.Message = "Procura demande que l'aidant se connecte ou fasse un choix, ce qui n'était pas permis par cette demande."
	case "invalid_request", "invalid_scope", "unauthorized_client", "unsupported_response_type", "request_not_supported":
		e.Message = "Procura a refusé la demande du service : elle est mal formée ou non autorisée pour ce service."
	case "temporarily_unavailable", "server_error":
		e.Message = "Procura n'a pas pu traiter la demande pour le moment. Réessayez dans quelques instants."
	default:
		e.Message = "Procura a renvoyé une erreur."
	}
	return e
}

// clip shortens text that came with a request, so that nobody can fill the
// page with their own prose through a crafted link.
func clip(s string) string {
	const max = 200
	if !utf8.ValidString(s) {
		return "(texte illisible)"
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// fail logs err and shows its page.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *pageError
	if !errors.As(err, &pe) {
		pe = wrapError(errInternal, err)
	}
	level := slog.LevelWarn
	switch {
	case pe.Status >= 500:
		level = slog.LevelError
	case pe.Status == http.StatusNotFound:
		level = slog.LevelInfo
	}
	s.log.Log(r.Context(), level, "demo-service: "+pe.Title, "path", r.URL.Path, "status", pe.Status, "err", err.Error())
	s.render(w, pe.Status, "error", errorPage{pageData: s.pageData(pe.Title), Error: pe})
}
