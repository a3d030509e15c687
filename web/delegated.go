package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"procura/account"
	"procura/audit"
	"procura/authz"
	"procura/mandate"
	"procura/problem"
	"procura/procedure"
	"procura/templates"
)

// The delegated login: a service sends the aidant to /oidc/authorize; the
// request waits in the aidant's session while they sign in (if needed) and
// choose the usager and the procedure on /oidc/choix; Grant then sends them
// back to the service with a code.
const (
	keyPendingAuthorize = "authz_pending"
	keyAuthTime         = "auth_time"
)

// authMethods are the RFC 8176 methods of an aidant's sign-in.
var authMethods = []string{"pwd", "otp", "mfa"}

// handleAuthorize receives a service's authorization request.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ar, err := s.provider.ParseAuthorize(r.Context(), r)
	if err != nil {
		if ar != nil {
			s.provider.WriteAuthorizeError(w, r, ar, err)
			return
		}
		s.serveError(w, r, err)
		return
	}
	_, notSignedIn := s.sessions.AccountID(r)
	switch {
	case ar.PromptNone() && notSignedIn != nil:
		s.provider.LoginRequired(w, r, ar)
		return
	case ar.PromptNone():
		// The aidant must always choose the usager: nothing can be done
		// without showing a page.
		s.provider.InteractionRequired(w, r, ar)
		return
	}
	if err := s.savePendingAuthorize(w, r, ar.Pending()); err != nil {
		s.serveError(w, r, err)
		return
	}
	if notSignedIn != nil || ar.NeedsAuthentication(s.authTime(r)) {
		http.Redirect(w, r, "/connexion?service=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/oidc/choix", http.StatusSeeOther)
}

func (s *Server) savePendingAuthorize(w http.ResponseWriter, r *http.Request, p authz.PendingAuthorize) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	sess, err := s.sessions.Session(r)
	if err != nil {
		return err
	}
	sess.Values[keyPendingAuthorize] = string(b)
	return s.sessions.Save(r, w, sess)
}

var errNoPendingAuthorize = problem.New(problem.Invalid,
	"Aucune demande de connexion d'un service n'est en cours, ou elle a expiré. Retournez sur le site du service et recommencez.")

// pendingAuthorize rebuilds the request waiting in the session.
func (s *Server) pendingAuthorize(r *http.Request) (*authz.AuthorizeRequest, error) {
	sess, err := s.sessions.Session(r)
	if err != nil {
		return nil, err
	}
	encoded, _ := sess.Values[keyPendingAuthorize].(string)
	var p authz.PendingAuthorize
	if encoded == "" || json.Unmarshal([]byte(encoded), &p) != nil {
		return nil, errNoPendingAuthorize
	}
	return s.provider.ResumeAuthorize(r.Context(), p)
}

// hasPendingAuthorize reports whether a service's request waits in the
// session (the sign-in then continues to the choice).
func (s *Server) hasPendingAuthorize(r *http.Request) bool {
	sess, err := s.sessions.Session(r)
	if err != nil {
		return false
	}
	encoded, _ := sess.Values[keyPendingAuthorize].(string)
	return encoded != ""
}

func (s *Server) clearPendingAuthorize(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.sessions.Session(r)
	if err != nil {
		return err
	}
	delete(sess.Values, keyPendingAuthorize)
	return s.sessions.Save(r, w, sess)
}

// authTime is when the signed-in aidant last authenticated.
func (s *Server) authTime(r *http.Request) time.Time {
	sess, err := s.sessions.Session(r)
	if err != nil {
		return time.Time{}
	}
	t, _ := sess.Values[keyAuthTime].(int64)
	return time.Unix(t, 0)
}

// handleChoicePage lists the usagers the aidant may act for at the service.
func (s *Server) handleChoicePage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.loadCaller(w, r)
	if !ok {
		return
	}
	ar, err := s.pendingAuthorize(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderChoice(w, r, c, ar, strings.TrimSpace(form.Get("q")), http.StatusOK, "")
}

func (s *Server) renderChoice(w http.ResponseWriter, r *http.Request, c caller, ar *authz.AuthorizeRequest, search string, status int, message string) {
	page := &templates.DelegatedChoicePage{Layout: templates.Layout{Title: "Choix de l'usager", SignedInName: c.Account.Name()}, Service: ar.Client.Name,
		Organisation: c.Current.Organisation.Name, Search: search, Error: message}
	if c.Current.Has(account.RoleAidant) && c.Account.Habilitated(s.now()) {
		usable, err := s.mandates.UsableIn(r.Context(), c.Current.Organisation.ID, ar.RequestedProcedures, search)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		for _, u := range usable {
			row := templates.ChoiceUsager{Name: u.GivenName + " " + u.FamilyName, Birthdate: frenchBirthdate(u.Birthdate)}
			for _, p := range u.Permissions {
				proc, _ := procedure.ByID(p.Procedure)
				row.Procedures = append(row.Procedures, templates.ChoiceProcedure{PermissionID: p.ID, Label: proc.Label, Warning: proc.Warning})
			}
			page.Usagers = append(page.Usagers, row)
		}
	}
	if len(page.Usagers) == 0 && search == "" && status == http.StatusOK {
		// Nobody to act for: the refusal is an act.
		err := s.db.InTx(r.Context(), func(ctx context.Context) error {
			return s.journal.Record(ctx, audit.Entry{Action: audit.ActionDelegatedLoginRefused, ActorKind: audit.ActorAidant,
				ActorID: c.Account.ID, OrganisationID: c.Current.Organisation.ID, ClientID: ar.Client.ID,
				Details: map[string]string{"reason": "no_eligible_usager"}})
		})
		if err != nil {
			s.serveError(w, r, err)
			return
		}
	}
	tok, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page.CSRFToken = tok
	s.render(w, r, status, page)
}

// handleChoice grants the delegated login under the chosen permission, or
// answers access_denied when the aidant cancels.
func (s *Server) handleChoice(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	c, ok := s.loadCaller(w, r)
	if !ok {
		return
	}
	ar, err := s.pendingAuthorize(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.clearPendingAuthorize(w, r); err != nil {
		s.serveError(w, r, err)
		return
	}
	if form.Get("cancel") != "" {
		s.provider.Deny(w, r, ar, "L'aidant a annulé la connexion.")
		return
	}
	p, err := s.mandates.Permission(r.Context(), c.Current.Organisation.ID, form.Get("permission_id"))
	if errors.Is(err, mandate.ErrPermissionFound) {
		// Not a permission of the aidant's organisation: a forged or stale
		// choice, refused and audited.
		if aerr := s.db.InTx(r.Context(), func(ctx context.Context) error {
			return s.journal.Record(ctx, audit.Entry{Action: audit.ActionDelegatedLoginRefused, ActorKind: audit.ActorAidant,
				ActorID: c.Account.ID, OrganisationID: c.Current.Organisation.ID, ClientID: ar.Client.ID,
				Details: map[string]string{"reason": "permission_not_in_organisation"}})
		}); aerr != nil {
			s.serveError(w, r, aerr)
			return
		}
	}
	if err == nil && !slices.Contains(ar.RequestedProcedures, p.Procedure) {
		err = authz.ErrGrantProcedure
	}
	if err == nil {
		err = s.provider.Grant(r.Context(), w, r, ar, authz.Delegation{
			AidantID: c.Account.ID, UsagerID: p.UsagerID, OrganisationID: c.Current.Organisation.ID,
			OrganisationSIRET: c.Current.Organisation.SIRET, PermissionID: p.ID, MandateID: p.MandateID, Procedure: p.Procedure,
			AuthTime: s.authTime(r), AMR: authMethods,
		})
	}
	if err == nil {
		return // Grant answered: the redirect to the service
	}
	// Nothing was answered: the request waits again, the aidant may
	// sign in again or choose otherwise.
	if serr := s.savePendingAuthorize(w, r, ar.Pending()); serr != nil {
		s.serveError(w, r, serr)
		return
	}
	if errors.Is(err, authz.ErrAuthenticationRequired) {
		http.Redirect(w, r, "/connexion?service=1", http.StatusSeeOther)
		return
	}
	if code := problem.CodeOf(err); code == problem.Internal {
		s.serveError(w, r, err)
		return
	}
	if ar, err2 := s.pendingAuthorize(r); err2 == nil {
		s.renderChoice(w, r, c, ar, "", http.StatusBadRequest, problem.MessageOf(err))
		return
	}
	s.serveError(w, r, err)
}

// handleOIDCLogout is the end_session endpoint (RP-Initiated Logout): a
// request naming the aidant's session (id_token_hint) ends it at once;
// otherwise the aidant confirms first.
func (s *Server) handleOIDCLogout(w http.ResponseWriter, r *http.Request) {
	l, err := s.provider.ParseLogout(r.Context(), r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	accountID, notSignedIn := s.sessions.AccountID(r)
	if notSignedIn == nil && !(l.HasHint && l.ConcernsAidant(accountID)) {
		tok, err := s.sessions.CSRFToken(w, r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		page := &templates.LogoutConfirmPage{Layout: templates.Layout{Title: "Déconnexion", CSRFToken: tok}, Query: r.URL.RawQuery}
		if l.Client != nil {
			page.Service = l.Client.Name
		}
		s.render(w, r, http.StatusOK, page)
		return
	}
	s.endSessionAndReturn(w, r, l)
}

// handleOIDCLogoutConfirm ends the session after the aidant confirmed.
func (s *Server) handleOIDCLogoutConfirm(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	q, err := url.ParseQuery(form.Get("query"))
	if err != nil {
		s.serveError(w, r, ErrMalformedForm)
		return
	}
	replay := r.Clone(r.Context())
	replay.Method, replay.URL.RawQuery, replay.Body, replay.Form, replay.PostForm = http.MethodGet, q.Encode(), http.NoBody, nil, nil
	l, err := s.provider.ParseLogout(r.Context(), replay)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.endSessionAndReturn(w, r, l)
}

// endSessionAndReturn ends the aidant's session (audited) and returns to
// the service's registered URI, or to the sign-in page.
func (s *Server) endSessionAndReturn(w http.ResponseWriter, r *http.Request, l *authz.LogoutRequest) {
	if err := s.endAidantSession(w, r, "rp_logout"); err != nil {
		s.serveError(w, r, err)
		return
	}
	if l.RedirectURI != "" {
		http.Redirect(w, r, l.RedirectURI, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/connexion?fin=1", http.StatusSeeOther)
}
