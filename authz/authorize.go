package authz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"procura/problem"
)

// AuthorizeRequest is a valid authorization request (OpenID Connect Core
// 1.0 §3.1.2) whose client and redirect URI are trusted, waiting for the
// aidant's sign-in and choice. The web layer keeps Pending() in the
// aidant's session across its pages and gets the request back with
// ResumeAuthorize before calling Grant.
type AuthorizeRequest struct {
	Client *Client
	// RequestedProcedures are the procedure ids the aidant may choose
	// from, before the usager's permissions are known: what the request
	// asked (all when it asked none) among what the client serves, in
	// catalogue order.
	RequestedProcedures []string
	// Prompt holds the distinct prompt values: none, login, consent (no
	// effect), select_account (no effect: the aidant always chooses).
	Prompt []string
	// MaxAge is max_age, when HasMaxAge.
	MaxAge    time.Duration
	HasMaxAge bool
	Nonce     string
	State     string
	// RedirectURI is the registered redirect URI the request named.
	RedirectURI string
	// RequestedAt is when the service's request first arrived.
	RequestedAt time.Time

	query string
	far   *fosite.AuthorizeRequest
}

// PendingAuthorize is what the web layer keeps between the aidant's pages:
// the canonical query (known parameters only, sorted) and the time of the
// first request. It holds no secret; ResumeAuthorize validates it again.
type PendingAuthorize struct {
	Query       string    `json:"query"`
	RequestedAt time.Time `json:"requested_at"`
}

// Pending returns what ResumeAuthorize needs to rebuild ar.
func (ar *AuthorizeRequest) Pending() PendingAuthorize {
	return PendingAuthorize{Query: ar.query, RequestedAt: ar.RequestedAt}
}

// PromptNone reports whether the service asked that nothing be shown: the
// web layer answers with LoginRequired when no aidant is signed in, and
// with InteractionRequired otherwise, since the aidant must choose.
func (ar *AuthorizeRequest) PromptNone() bool { return slices.Contains(ar.Prompt, "none") }

// NeedsAuthentication reports whether the aidant, last authenticated at
// authTime, must authenticate again before Grant: prompt=login asks for an
// authentication after the request, max_age for one at most MaxAge before
// it (max_age=0 is prompt=login). Times compare to the second: auth_time
// has that precision (OpenID Connect Core 1.0 §2), and so has the time the
// aidant's session keeps; finer, an aidant who signs in again within the
// second of the request would be sent back to sign in forever.
func (ar *AuthorizeRequest) NeedsAuthentication(authTime time.Time) bool {
	requested := ar.RequestedAt.Truncate(time.Second)
	if slices.Contains(ar.Prompt, "login") && authTime.Before(requested) {
		return true
	}
	return ar.HasMaxAge && authTime.Add(ar.MaxAge).Before(requested)
}

// Errors of an authorization request that cannot be sent back to the
// service, because its client or redirect URI is not trusted (RFC 6749
// §4.1.2.1): the web layer shows them to the person.
var (
	ErrAuthorizeMalformed = problem.New(problem.Invalid,
		"La demande de connexion envoyée par le service est illisible. Retournez sur le site du service et recommencez.")
	ErrAuthorizeUnknownClient = problem.New(problem.Invalid,
		"Le service qui vous a envoyé ici n'est pas enregistré auprès de Procura : la connexion est impossible.")
	ErrAuthorizeRedirectURI = problem.New(problem.Invalid,
		"L'adresse de retour indiquée par le service n'est pas enregistrée auprès de Procura : la connexion est impossible. Prévenez le service.")
	ErrAuthorizeInvalid = problem.New(problem.Invalid,
		"La demande de connexion envoyée par le service est invalide : la connexion est impossible. Prévenez le service.")
	ErrAuthorizeExpired = problem.New(problem.Invalid,
		"La demande de connexion a expiré. Retournez sur le site du service et recommencez.")
)

// pendingLifespan bounds how long a pending request may be resumed: the
// aidant's session idle timeout.
const pendingLifespan = 30 * time.Minute

// ParseAuthorize validates an authorization request (GET query or POST
// form). On success it returns the request. On failure:
//   - (ar, err) with ar non-nil: the client and redirect URI are trusted;
//     answer with WriteAuthorizeError(w, r, ar, err), which redirects;
//   - (nil, err): show the person the French page of err, never redirect:
//     a *problem.Error (ErrAuthorizeMalformed, ErrAuthorizeUnknownClient,
//     ErrAuthorizeRedirectURI, ErrAuthorizeInvalid), or a failure of ours
//     (problem.CodeOf is Internal).
func (p *Provider) ParseAuthorize(ctx context.Context, r *http.Request) (*AuthorizeRequest, error) {
	params, err := authorizeParams(r)
	if err != nil {
		return nil, err
	}
	return p.parseAuthorize(ctx, params, p.now().UTC())
}

// ResumeAuthorize rebuilds a pending request, validating it again (the
// client may have changed since). It is deterministic and reads no more
// than a cached client. Errors are as ParseAuthorize's, plus
// ErrAuthorizeExpired for a request pending too long.
func (p *Provider) ResumeAuthorize(ctx context.Context, pending PendingAuthorize) (*AuthorizeRequest, error) {
	now := p.now()
	if pending.RequestedAt.IsZero() || pending.RequestedAt.After(now.Add(time.Minute)) ||
		now.Sub(pending.RequestedAt) > pendingLifespan {
		return nil, ErrAuthorizeExpired
	}
	if len(pending.Query) > maxAuthorizeQuery {
		return nil, ErrAuthorizeMalformed
	}
	params, err := url.ParseQuery(pending.Query)
	if err != nil {
		return nil, ErrAuthorizeMalformed
	}
	return p.parseAuthorize(ctx, params, pending.RequestedAt.UTC())
}

// authorizeParams reads the parameters of a GET or POST authorization
// request (OpenID Connect Core 1.0 §3.1.2.1).
func authorizeParams(r *http.Request) (url.Values, error) {
	switch r.Method {
	case http.MethodGet:
		if len(r.URL.RawQuery) > maxAuthorizeQuery {
			return nil, ErrAuthorizeMalformed
		}
		params, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, ErrAuthorizeMalformed
		}
		return params, nil
	case http.MethodPost:
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" || r.Body == nil {
			return nil, ErrAuthorizeMalformed
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxAuthorizeQuery+1))
		if err != nil || len(body) > maxAuthorizeQuery {
			return nil, ErrAuthorizeMalformed
		}
		params, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, ErrAuthorizeMalformed
		}
		return params, nil
	}
	return nil, ErrAuthorizeMalformed
}

// parseAuthorize validates params as fosite does, then by Procura's rules.
func (p *Provider) parseAuthorize(ctx context.Context, params url.Values, requestedAt time.Time) (*AuthorizeRequest, error) {
	canonical, dup := canonicalAuthorize(params)
	if dup == "client_id" || dup == "redirect_uri" {
		return nil, problem.Errorf(problem.Invalid, ErrAuthorizeInvalid.Message, "authz: authorize: %s given twice", dup)
	}
	// fosite reads max_age too (ValidatePrompt): it gets the capped value.
	if n, ok, err := parseMaxAge(canonical.Get("max_age")); err == nil && ok {
		canonical.Set("max_age", strconv.FormatInt(n, 10))
	}
	// fosite would act on request objects before it checks the redirect
	// URI (and fetch a request_uri or the client's keys): it never sees
	// them, and they are refused below once the redirect URI is trusted.
	forFosite := url.Values{}
	for k, v := range canonical {
		if k != "request" && k != "request_uri" {
			forFosite[k] = v
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/?"+forFosite.Encode(), nil)
	if err != nil {
		return nil, ErrAuthorizeMalformed
	}
	requester, ferr := p.fosite.NewAuthorizeRequest(ctx, req)
	far, _ := requester.(*fosite.AuthorizeRequest)
	if far == nil {
		return nil, problem.Errorf(problem.Invalid, ErrAuthorizeInvalid.Message, "authz: authorize: %w", ferr)
	}
	client, _ := far.GetClient().(*Client)
	switch {
	case client == nil && errors.Is(ferr, fosite.ErrNotFound):
		return nil, problem.Errorf(problem.Invalid, ErrAuthorizeUnknownClient.Message, "authz: authorize: %w", ferr)
	case client == nil:
		return nil, fmt.Errorf("authz: authorize: load client: %w", ferr)
	}
	// Exact match only: fosite would also accept any port on a loopback
	// address (RFC 8252 §7.3). A registered URI is trusted even when fosite
	// stopped before checking it, so that its error goes back to the
	// client.
	rawRedirect := canonical.Get("redirect_uri")
	redirect, perr := url.Parse(rawRedirect)
	if !slices.Contains(client.RedirectURIs, rawRedirect) || perr != nil {
		return nil, problem.Errorf(problem.Invalid, ErrAuthorizeRedirectURI.Message, "authz: authorize: redirect_uri %q: %v", rawRedirect, ferr)
	}
	far.RedirectURI = redirect
	far.RequestedAt = requestedAt
	ar := &AuthorizeRequest{
		Client: client, State: far.State, RedirectURI: rawRedirect,
		RequestedAt: requestedAt, query: canonical.Encode(), far: far,
	}
	if ferr != nil {
		return ar, ferr
	}
	if err := p.checkAuthorize(ctx, ar, canonical, dup); err != nil {
		return ar, err
	}
	return ar, nil
}

// checkAuthorize applies Procura's rules to a request fosite accepted, and
// fills ar. Every error is sent back to the client.
func (p *Provider) checkAuthorize(ctx context.Context, ar *AuthorizeRequest, q url.Values, dup string) error {
	client := ar.Client
	scopes := ar.far.GetRequestedScopes()
	switch {
	case dup != "":
		return invalidRequest("Parameter %q was given more than once.", dup)
	case q.Get("request") != "":
		return fosite.ErrRequestNotSupported
	case q.Get("request_uri") != "":
		return fosite.ErrRequestURINotSupported
	case !scopes.Has("openid"):
		return fosite.ErrInvalidScope.WithHint("Procura is an OpenID Provider: the openid scope is required.")
	case len(ar.State) > maxStateLength:
		return invalidRequest("The state must be at most %d characters long.", maxStateLength)
	}
	challenge := q.Get("code_challenge")
	if err := checkPKCE(client, challenge, q.Get("code_challenge_method")); err != nil {
		return err
	}
	ar.Nonce = q.Get("nonce")
	if err := checkNonce(client, ar.Nonce, challenge != ""); err != nil {
		return err
	}
	var err *fosite.RFC6749Error
	if ar.Prompt, err = parsePrompt(q.Get("prompt")); err != nil {
		return err
	}
	maxAge, hasMaxAge, err := parseMaxAge(q.Get("max_age"))
	if err != nil {
		return err
	}
	ar.MaxAge, ar.HasMaxAge = maxAgeDuration(maxAge), hasMaxAge
	claims, err := parseClaims(q.Get("claims"))
	if err != nil {
		return err
	}
	if !acceptsEidas1(strings.Fields(q.Get("acr_values"))) || !acceptsEidas1(claims.acrRequired) {
		return invalidRequest("Procura asserts only the acr value eidas1.")
	}
	if ar.RequestedProcedures, err = requestedProcedures(scopes, claims, client); err != nil {
		return err
	}
	if hint := q.Get("id_token_hint"); hint != "" {
		if herr := p.checkIDTokenHint(ctx, hint, client.ID); herr != nil {
			return invalidRequest("The id_token_hint is not an ID token this provider issued to this client.").WithWrap(herr)
		}
	}
	return nil
}

// checkIDTokenHint checks that hint is an ID token of ours (expired or
// not) whose audience includes clientID. That its subject is the usager
// finally chosen is checked by fosite at Grant.
func (p *Provider) checkIDTokenHint(ctx context.Context, hint, clientID string) error {
	claims, err := p.signer.verify(ctx, hint)
	if err != nil {
		return err
	}
	if !claims.VerifyAudience(clientID, true) {
		return errors.New("authz: id_token_hint for another client")
	}
	return nil
}
