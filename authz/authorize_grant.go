package authz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite"

	"procura/audit"
	"procura/problem"
	"procura/procedure"
)

// Errors of Grant, which then wrote nothing: the web layer shows a page.
var (
	// ErrGrantProcedure: the procedure chosen is not one the request
	// allows (RequestedProcedures).
	ErrGrantProcedure = problem.New(problem.Invalid, "Cette démarche n'a pas été demandée par le service : choisissez-en une autre.")
	// ErrAuthenticationRequired: the service asked for a recent
	// authentication (prompt=login or max_age; NeedsAuthentication) and
	// the aidant must sign in again before Grant.
	ErrAuthenticationRequired = problem.New(problem.Unauthorized, "Le service demande que vous vous identifiiez à nouveau avant de continuer.")
)

// Grant issues the authorization code of a delegation the caller resolved
// itself (tests, and tools that act without the choice page), and
// redirects to the service with it. Choose is the delegated login's use
// case; Grant is its core with CheckPermission in place of the choice's
// ResolvePermission. It returns nil once it wrote the response, an error
// when it wrote nothing (as Choose).
func (p *Provider) Grant(ctx context.Context, w http.ResponseWriter, r *http.Request, ar *AuthorizeRequest, d Delegation) error {
	if ar == nil || ar.far == nil {
		return errors.New("authz: Grant without a parsed authorization request")
	}
	if err := p.checkDelegation(ar, &d); err != nil {
		return err
	}
	if ar.NeedsAuthentication(d.AuthTime) {
		return ErrAuthenticationRequired
	}
	redirect, err := p.issueCode(ctx, ar, d, func(ctx context.Context) (Delegation, error) {
		return d, p.checkPermission(ctx, ar.Client, d)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
	return nil
}

// issueCode runs the code's one transaction: resolve gives the delegation
// and whether its permission is usable now; a refusal is recorded as
// delegated_login.refused and returned (committed: the refusal is an act);
// otherwise the code is stored (with its PKCE and OpenID Connect state:
// pairwise sub, act, rep_scope, acr, amr, auth_time, nonce) and
// delegated_login.authorised recorded. It returns where to send the
// browser: the service's redirect URI with the code, or with an OAuth error
// the service must get.
func (p *Provider) issueCode(ctx context.Context, ar *AuthorizeRequest, d Delegation,
	resolve func(ctx context.Context) (Delegation, error)) (string, error) {
	var (
		resp    fosite.AuthorizeResponder
		refused error
	)
	err := p.db.InTx(withMemo(ctx), func(ctx context.Context) error {
		resolved, err := resolve(ctx)
		if err != nil {
			if !refusal(err) {
				return err
			}
			refused = err
			kind, actor := aidantActor(d)
			return p.recordRefusal(ctx, kind, actor, d, ar.Client.ID, "authorize", err)
		}
		d = resolved
		if err := p.checkDelegation(ar, &d); err != nil {
			if errors.Is(err, ErrGrantProcedure) {
				refused = err
				kind, actor := aidantActor(d)
				return p.recordRefusal(ctx, kind, actor, d, ar.Client.ID, "authorize", err)
			}
			return err
		}
		for _, s := range ar.far.GetRequestedScopes() {
			if strings.HasPrefix(s, "procedure:") && s != ProcedureScope(d.Procedure) {
				continue // a procedure the aidant did not choose
			}
			ar.far.GrantScope(s)
		}
		if resp, err = p.fosite.NewAuthorizeResponse(ctx, ar.far, p.newDelegatedSession(ar, d)); err != nil {
			return err
		}
		kind, actor := aidantActor(d)
		if err := p.recordDelegation(ctx, audit.ActionDelegatedLoginAuthorised, kind, actor, d, ar.Client.ID, nil); err != nil {
			return err
		}
		if !d.NotifyUsager || p.notices == nil {
			return nil
		}
		// One INSERT, only for a usager who opted in.
		return p.notices.NotifyLogin(ctx, LoginNotice{UsagerID: d.UsagerID, OrganisationID: d.OrganisationID,
			Service: ar.Client.Name, Procedure: d.Procedure, At: p.now()})
	})
	if err == nil {
		p.metrics.DelegatedLogin("authorize", refused == nil)
	}
	var rfc *fosite.RFC6749Error
	switch {
	case err == nil && refused != nil:
		return "", refused
	case err != nil && errors.As(err, &rfc) && rfc.CodeField < http.StatusInternalServerError:
		return p.authorizeErrorRedirect(ctx, ar, err), nil
	case err != nil:
		return "", fmt.Errorf("authz: issue code: %w", err)
	}
	rec := &redirectRecorder{header: http.Header{}}
	p.fosite.WriteAuthorizeResponse(ctx, rec, ar.far, resp)
	if rec.header.Get("Location") == "" {
		return "", errors.New("authz: issue code: fosite wrote no redirect")
	}
	return rec.header.Get("Location"), nil
}

// checkDelegation checks that d is complete and allowed by ar, and fills
// its rep_scope label from the catalogue. A missing field is the caller's
// bug, not the person's.
func (p *Provider) checkDelegation(ar *AuthorizeRequest, d *Delegation) error {
	switch {
	case d.AidantID == "", d.UsagerID == "", d.OrganisationID == "", d.PermissionID == "",
		d.OrganisationSIRET == "" && !ar.Client.FranceConnectCompat:
		return errors.New("authz: Grant: the delegation lacks an aidant, usager, organisation, SIRET or permission")
	case d.AuthTime.IsZero() || d.AuthTime.After(p.now().Add(5*time.Second)):
		return errors.New("authz: Grant: the aidant's authentication time is missing or in the future")
	case d.ACR != "" && d.ACR != ACREidas1:
		return fmt.Errorf("authz: Grant: acr %q, Procura asserts only eidas1", d.ACR)
	case !slices.Contains(ar.RequestedProcedures, d.Procedure):
		return ErrGrantProcedure
	}
	proc, _ := procedure.ByID(d.Procedure)
	d.ProcedureLabel, d.ACR = proc.RepScope, ACREidas1
	return nil
}

// The access_denied answers of Cancel; their descriptions go to the
// service, in English.
var (
	errDeniedCancelled = fosite.ErrAccessDenied.WithHint("The aidant cancelled the login.")
	errDeniedNobody    = fosite.ErrAccessDenied.WithHint("The aidant has no usager to act for at this service.")
)

// ErrRequestTooLarge answers a request too large for the web layer to keep
// while the aidant signs in and chooses (invalid_request).
var ErrRequestTooLarge = invalidRequest("The authorization request is too large to be kept during the aidant's sign-in; send fewer or shorter parameters.")

// Deny answers the service that the request was refused (access_denied,
// RFC 6749 §4.1.2.1), with its state: the aidant cancelled, or has no
// usager to act for. reason, in English, goes to the service as the
// error description.
func (p *Provider) Deny(w http.ResponseWriter, r *http.Request, ar *AuthorizeRequest, reason string) {
	p.WriteAuthorizeError(w, r, ar, fosite.ErrAccessDenied.WithHint(reason))
}

// LoginRequired answers a prompt=none request when no aidant is signed in
// (OpenID Connect Core 1.0 §3.1.2.6).
func (p *Provider) LoginRequired(w http.ResponseWriter, r *http.Request, ar *AuthorizeRequest) {
	p.WriteAuthorizeError(w, r, ar, fosite.ErrLoginRequired)
}

// InteractionRequired answers a prompt=none request when an aidant is
// signed in: a delegated login always needs the aidant to choose.
func (p *Provider) InteractionRequired(w http.ResponseWriter, r *http.Request, ar *AuthorizeRequest) {
	p.WriteAuthorizeError(w, r, ar, fosite.ErrInteractionRequired)
}

// WriteAuthorizeError redirects to the service with err as an OAuth error
// and the request's state (RFC 6749 §4.1.2.1). ar must come from
// ParseAuthorize or ResumeAuthorize (its redirect URI is then trusted).
// Without one it answers 400 and redirects nowhere.
func (p *Provider) WriteAuthorizeError(w http.ResponseWriter, r *http.Request, ar *AuthorizeRequest, err error) {
	if ar == nil || ar.far == nil || ar.far.RedirectURI == nil {
		writeJSONError(w, http.StatusBadRequest, "invalid_request", "")
		return
	}
	redirect := p.authorizeErrorRedirect(r.Context(), ar, err)
	if redirect == "" {
		writeJSONError(w, http.StatusBadRequest, "invalid_request", "")
		return
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// authorizeErrorRedirect is the service's redirect URI with err as an OAuth
// error and the request's state. ar's redirect URI must be trusted.
func (p *Provider) authorizeErrorRedirect(ctx context.Context, ar *AuthorizeRequest, err error) string {
	if err == nil {
		err = fosite.ErrServerError
	}
	if rfc := fosite.ErrorToRFC6749Error(err); rfc.CodeField >= http.StatusInternalServerError {
		p.logInternal(ctx, "authz: authorization", err)
	}
	// The code flow answers in the query: an error parsed along with a
	// response_mode the client may not use still goes there.
	ar.far.ResponseMode = fosite.ResponseModeQuery
	rec := &redirectRecorder{header: http.Header{}}
	p.fosite.WriteAuthorizeError(ctx, rec, ar.far, err)
	return rec.header.Get("Location")
}

// redirectRecorder keeps the headers fosite writes for a redirect, so that
// the provider returns the URL and the web layer sends it.
type redirectRecorder struct{ header http.Header }

func (r *redirectRecorder) Header() http.Header         { return r.header }
func (r *redirectRecorder) WriteHeader(int)             {}
func (r *redirectRecorder) Write(b []byte) (int, error) { return len(b), nil }
