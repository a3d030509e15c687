package web

import (
	"errors"
	"net/http"
	"strings"

	"procura/account"
	"procura/problem"
	"procura/templates"
)

const noticePasswordReset = "Votre mot de passe est changé et vos autres sessions sont fermées. Connectez-vous avec le nouveau mot de passe et le code de votre application d'authentification."

// handlePasswordForgottenPage asks for the account's address.
func (s *Server) handlePasswordForgottenPage(w http.ResponseWriter, r *http.Request) {
	s.renderPasswordForgotten(w, r, http.StatusOK, &templates.PasswordForgottenPage{})
}

func (s *Server) renderPasswordForgotten(w http.ResponseWriter, r *http.Request, status int, page *templates.PasswordForgottenPage) {
	tok, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page.Layout = templates.Layout{Title: "Mot de passe oublié", CSRFToken: tok}
	s.render(w, r, status, page)
}

// handlePasswordForgotten sends a recovery link if the address has an
// account, and answers the same either way.
func (s *Server) handlePasswordForgotten(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	email := strings.TrimSpace(form.Get("email"))
	err = s.directory.RequestPasswordReset(r.Context(), email, s.clientIP(r))
	switch code := problem.CodeOf(err); {
	case err == nil:
		s.renderPasswordForgotten(w, r, http.StatusOK, &templates.PasswordForgottenPage{Email: email, Sent: true})
	case code == problem.Invalid:
		s.renderPasswordForgotten(w, r, http.StatusBadRequest, &templates.PasswordForgottenPage{Email: email, Error: problem.MessageOf(err)})
	case code == problem.TooMany:
		s.renderPasswordForgotten(w, r, http.StatusTooManyRequests, &templates.PasswordForgottenPage{Email: email, Error: problem.MessageOf(err)})
	default:
		s.serveError(w, r, err)
	}
}

// handlePasswordResetPage shows the new-password form of a recovery link,
// or says why the link does not open.
func (s *Server) handlePasswordResetPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("jeton")
	a, err := s.directory.OpenPasswordReset(r.Context(), token)
	s.renderPasswordReset(w, r, token, a, err, "")
}

// handlePasswordReset sets the new password, then sends to the sign-in
// form: the second factor is still needed.
func (s *Server) handlePasswordReset(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	token := form.Get("jeton")
	_, err = s.directory.ResetPassword(r.Context(), token, form.Get("password"), form.Get("confirm"))
	if problem.CodeOf(err) == problem.Invalid {
		a, oerr := s.directory.OpenPasswordReset(r.Context(), token)
		s.renderPasswordReset(w, r, token, a, oerr, problem.MessageOf(err))
		return
	}
	if err != nil {
		s.renderPasswordReset(w, r, token, account.Account{}, err, "")
		return
	}
	http.Redirect(w, r, PathSignIn+"?mdp=1", http.StatusSeeOther)
}

// renderPasswordReset shows the form for a, with message, or the refusal
// err when the link does not open.
func (s *Server) renderPasswordReset(w http.ResponseWriter, r *http.Request, token string, a account.Account, err error, message string) {
	w.Header().Set("Cache-Control", "no-store")
	page := &templates.PasswordResetPage{Layout: templates.Layout{Title: "Nouveau mot de passe"}}
	status := http.StatusOK
	switch {
	case errors.Is(err, account.ErrResetInvalid):
		page.Refused, status = problem.MessageOf(err), http.StatusNotFound
	case err != nil:
		s.serveError(w, r, err)
		return
	default:
		tok, err := s.sessions.CSRFToken(w, r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		page.CSRFToken, page.Token, page.Email, page.Error = tok, token, a.Email, message
		if message != "" {
			status = http.StatusBadRequest
		}
	}
	s.render(w, r, status, page)
}
