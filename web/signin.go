package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"time"

	"github.com/pquerna/otp"

	"procura/account"
	"procura/problem"
	"procura/templates"
)

// Session keys of the sign-in journey. An account whose password was right
// but who has no TOTP yet is "pending": it may only enrol, for a short while.
const (
	keyOrganisationID = "organisation_id"
	keyPendingAccount = "pending_account_id"
	keyPendingSince   = "pending_since"
	keyPendingTOTP    = "pending_totp"
)

const pendingEnrolmentTTL = 10 * time.Minute

const noticeSignedOut = "Vous êtes déconnecté. À bientôt."

// handleSignInPage shows the sign-in form; a signed-in person goes home.
func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	// A service may ask a signed-in aidant to authenticate again
	// (prompt=login, max_age): the form is then shown anyway.
	reauth := r.URL.Query().Get("service") == "1" && s.hasPending(r)
	if _, err := s.sessions.AccountID(r); err == nil && !reauth {
		http.Redirect(w, r, s.afterSignIn(r, r.URL.Query().Get(paramReturn)), http.StatusSeeOther)
		return
	}
	tok, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	q := r.URL.Query()
	page := &templates.SignInPage{Layout: templates.Layout{Title: "Connexion", CSRFToken: tok}}
	if safeReturnPath(q.Get(paramReturn)) {
		page.Return = q.Get(paramReturn)
	}
	switch {
	case q.Has(paramEnd) || q.Get(paramFormKept) == "1":
		page.Notice = s.endNotice(q.Get(paramEnd), q.Get(paramFormKept) == "1")
	case q.Get("mdp") == "1":
		page.Notice = noticePasswordReset
	case reauth:
		page.Notice = "Un service en ligne demande une connexion par Procura : identifiez-vous pour choisir l'usager."
	}
	s.render(w, r, http.StatusOK, page)
}

// handleSignIn checks email, password and TOTP code. Success signs the
// account in on a rotated session, in its first organisation; a right
// password without TOTP leads to enrolment; anything else shows the form
// again with the refusal's message.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	creds := account.Credentials{
		Email: form.Get("email"), Password: form.Get("password"), Code: form.Get("code"), IP: s.clientIP(r),
	}
	a, err := s.directory.SignIn(r.Context(), creds, s.sessions.of(w, r))
	switch {
	case errors.Is(err, account.ErrEnrolmentNeeded):
		s.beginPendingEnrolment(w, r, a.ID)
		return
	case err != nil:
		s.signInRefused(w, r, creds.Email, form.Get(fieldReturn), err)
		return
	}
	http.Redirect(w, r, s.afterSignIn(r, form.Get(fieldReturn)), http.StatusSeeOther)
}

// afterSignIn is where a sign-in continues: the choice of a service's
// pending request, else the page asked for before (returnTo, if a safe
// path of this site), else the aidant's home.
func (s *Server) afterSignIn(r *http.Request, returnTo string) string {
	switch {
	case s.hasPending(r):
		return PathChoice
	case safeReturnPath(returnTo):
		return returnTo
	}
	return PathAidantHome
}

// signInRefused shows the form again with the refusal's safe message; the
// status says why (401, 403, 429), so that scripts see it too.
func (s *Server) signInRefused(w http.ResponseWriter, r *http.Request, email, returnTo string, err error) {
	status := http.StatusUnauthorized
	switch problem.CodeOf(err) {
	case problem.Unauthorized:
	case problem.Forbidden:
		status = http.StatusForbidden
	case problem.TooMany:
		status = http.StatusTooManyRequests
	default:
		s.serveError(w, r, err)
		return
	}
	if errors.Is(err, account.ErrNotJournaled) {
		// An unknown email, or an attempt during a lockout: logged only.
		s.noise.note(r, s.clientIP(r), "sign_in_refused", string(problem.CodeOf(err)))
	}
	tok, terr := s.sessions.CSRFToken(w, r)
	if terr != nil {
		s.serveError(w, r, terr)
		return
	}
	page := &templates.SignInPage{
		Layout: templates.Layout{Title: "Connexion", CSRFToken: tok},
		Email:  email, Error: problem.MessageOf(err),
	}
	if safeReturnPath(returnTo) {
		page.Return = returnTo
	}
	s.render(w, r, status, page)
}

// beginPendingEnrolment remembers, in the not-yet-signed-in session, whose
// password was right, and sends them to enrolment.
func (s *Server) beginPendingEnrolment(w http.ResponseWriter, r *http.Request, accountID string) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sess.Values[keyPendingAccount] = accountID
	sess.Values[keyPendingSince] = s.now().Unix()
	delete(sess.Values, keyPendingTOTP)
	if err := s.sessions.Save(r, w, sess); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathEnrol, http.StatusSeeOther)
}

var errNoPendingEnrolment = problem.New(problem.Unauthorized,
	"Votre configuration de l'application a expiré. Connectez-vous à nouveau avec votre adresse et votre mot de passe.")

// pendingAccount returns the account waiting to enrol, if the wait is recent.
func (s *Server) pendingAccount(r *http.Request) (string, error) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		return "", err
	}
	id, _ := sess.Values[keyPendingAccount].(string)
	since, _ := sess.Values[keyPendingSince].(int64)
	if id == "" || s.now().Sub(time.Unix(since, 0)) > pendingEnrolmentTTL {
		return "", errNoPendingEnrolment
	}
	return id, nil
}

// handleEnrolPage shows the QR code of a fresh TOTP seed, kept sealed in the
// session until the first code confirms it.
func (s *Server) handleEnrolPage(w http.ResponseWriter, r *http.Request) {
	accountID, err := s.pendingAccount(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	e, err := s.enrolment(w, r, accountID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderEnrolPage(w, r, http.StatusOK, e, "")
}

// enrolment is the seed offered to the pending account: the one sealed in
// the session, or a fresh one, then kept there.
func (s *Server) enrolment(w http.ResponseWriter, r *http.Request, accountID string) (account.Enrolment, error) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		return account.Enrolment{}, err
	}
	encoded, _ := sess.Values[keyPendingTOTP].(string)
	sealed, _ := base64.StdEncoding.DecodeString(encoded)
	if e, err := s.directory.ReopenEnrolment(r.Context(), accountID, sealed); err == nil {
		return e, nil
	}
	// None yet, or unreadable: start a fresh one.
	e, err := s.directory.BeginEnrolment(r.Context(), accountID)
	if err != nil {
		return account.Enrolment{}, err
	}
	sess.Values[keyPendingTOTP] = base64.StdEncoding.EncodeToString(e.Sealed)
	if err := s.sessions.Save(r, w, sess); err != nil {
		return account.Enrolment{}, err
	}
	return e, nil
}

func (s *Server) renderEnrolPage(w http.ResponseWriter, r *http.Request, status int, e account.Enrolment, message string) {
	s.renderEnrolPageWith(w, r, status, e, &templates.EnrolPage{Error: message})
}

// renderEnrolPageWith fills page (its messages and typed values set) with
// the enrolment e and renders it.
func (s *Server) renderEnrolPageWith(w http.ResponseWriter, r *http.Request, status int, e account.Enrolment, page *templates.EnrolPage) {
	qr, err := qrDataURL(e.URI)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	tok, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page.Layout = templates.Layout{Title: "Configuration de votre application", CSRFToken: tok}
	page.QRCode, page.Secret = qr, e.Secret
	s.render(w, r, status, page)
}

// handleEnrol confirms the enrolment with the first code and signs in.
func (s *Server) handleEnrol(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	accountID, err := s.pendingAccount(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	encoded, _ := sess.Values[keyPendingTOTP].(string)
	sealed, _ := base64.StdEncoding.DecodeString(encoded)
	if _, err := s.directory.CompleteEnrolment(r.Context(), accountID, sealed, form.Get("code"), s.sessions.of(w, r)); err != nil {
		if !errors.Is(err, account.ErrEnrolmentCode) {
			s.serveError(w, r, err)
			return
		}
		e, rerr := s.directory.ReopenEnrolment(r.Context(), accountID, sealed)
		if rerr != nil {
			s.serveError(w, r, rerr)
			return
		}
		s.renderEnrolPage(w, r, http.StatusBadRequest, e, problem.MessageOf(err))
		return
	}
	http.Redirect(w, r, s.afterSignIn(r, ""), http.StatusSeeOther)
}

// qrDataURL renders an otpauth URI as a PNG QR code in a data: URL (the CSP
// allows data: images, and the secret never leaves the page).
func qrDataURL(uri string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", err
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	// The content is our own PNG, not user input: safe as a URL.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// handleEnrolCard enrols a TOTP card (serial and a code it shows) instead
// of an app, and signs in.
func (s *Server) handleEnrolCard(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	accountID, err := s.pendingAccount(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if _, err := s.directory.EnrolCard(r.Context(), accountID, form.Get("serial"), form.Get("code"), s.sessions.of(w, r)); err != nil {
		if problem.CodeOf(err) != problem.Invalid {
			s.serveError(w, r, err)
			return
		}
		e, eerr := s.enrolment(w, r, accountID)
		if eerr != nil {
			s.serveError(w, r, eerr)
			return
		}
		s.renderEnrolPageWith(w, r, http.StatusBadRequest, e, &templates.EnrolPage{Serial: form.Get("serial"), CardError: problem.MessageOf(err)})
		return
	}
	http.Redirect(w, r, s.afterSignIn(r, ""), http.StatusSeeOther)
}
