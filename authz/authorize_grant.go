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

// Grant issues the authorization code of a delegated login and redirects
// to the service with it (OpenID Connect Core 1.0 §3.1.2.5). In one
// transaction it checks again that d's permission is usable, stores the
// code (with its PKCE and OpenID Connect state: pairwise sub, act,
// rep_scope, acr, amr, auth_time, nonce) and records
// delegated_login.authorised.
//
// Grant returns nil once it wrote the response: the redirect with the
// code, or with an OAuth error the service must get. It returns an error
// when it wrote nothing: ErrGrantProcedure, ErrAuthenticationRequired, the
// PermissionChecker's refusal (recorded as delegated_login.refused; the
// aidant may choose again), or a failure. An AuthorizeRequest serves one
// Grant: resume the pending request again to retry.
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
	sess := p.newDelegatedSession(ar, d)
	for _, s := range ar.far.GetRequestedScopes() {
		if strings.HasPrefix(s, "procedure:") && s != ProcedureScope(d.Procedure) {
			continue // a procedure the aidant did not choose
		}
		ar.far.GrantScope(s)
	}
	kind, actor := aidantActor(d)
	var (
		resp    fosite.AuthorizeResponder
		refused error
	)
	err := p.db.InTx(ctx, func(ctx context.Context) error {
		if err := p.checkPermission(ctx, ar.Client, d); err != nil {
			if !refusal(err) {
				return err
			}
			refused = err
			return p.recordRefusal(ctx, kind, actor, d, ar.Client.ID, "authorize", err)
		}
		var err error
		if resp, err = p.fosite.NewAuthorizeResponse(ctx, ar.far, sess); err != nil {
			return err
		}
		return p.recordDelegation(ctx, audit.ActionDelegatedLoginAuthorised, kind, actor, d, ar.Client.ID, nil)
	})
	var rfc *fosite.RFC6749Error
	switch {
	case err == nil && refused != nil:
		return refused
	case err != nil && errors.As(err, &rfc) && rfc.CodeField < http.StatusInternalServerError:
		p.WriteAuthorizeError(w, r, ar, err)
		return nil
	case err != nil:
		return fmt.Errorf("authz: grant: %w", err)
	}
	p.fosite.WriteAuthorizeResponse(ctx, w, ar.far, resp)
	return nil
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
	if err == nil {
		err = fosite.ErrServerError
	}
	if rfc := fosite.ErrorToRFC6749Error(err); rfc.CodeField >= http.StatusInternalServerError {
		p.logInternal(r.Context(), "authz: authorization", err)
	}
	// The code flow answers in the query: an error parsed along with a
	// response_mode the client may not use still goes there.
	ar.far.ResponseMode = fosite.ResponseModeQuery
	p.fosite.WriteAuthorizeError(r.Context(), w, ar.far, err)
}
