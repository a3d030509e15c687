package demoservice

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

func (s *Service) home(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.readSession(r)
	s.render(w, http.StatusOK, "home", homePage{
		pageData:   s.pageData("Accueil"),
		Procedures: s.cfg.Procedures,
		SignedIn:   sess.User != nil,
	})
}

// login starts the authorization code flow (OpenID Connect Core 1.0 §3.1)
// with PKCE S256 (RFC 7636), state and nonce, acr_values=eidas1, and the
// procedure asked for as an essential rep_scope claim (§5.5).
func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	party, err := s.relyingParty(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pending := pendingLogin{State: randomToken(), Nonce: randomToken(), CodeVerifier: oauth2.GenerateVerifier()}
	claims, err := repScopeRequest(s.cfg.Procedures)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.writeSession(w, session{Login: &pending}, pendingLifetime); err != nil {
		s.fail(w, r, err)
		return
	}
	to := rp.AuthURL(pending.State, party,
		rp.WithCodeChallenge(oidc.NewSHACodeChallenge(pending.CodeVerifier)),
		rp.AuthURLOpt(rp.WithURLParam("nonce", pending.Nonce)),
		rp.AuthURLOpt(rp.WithURLParam("acr_values", acrEIDAS1)),
		rp.AuthURLOpt(rp.WithURLParam("claims", claims)),
	)
	s.log.Info("demo-service: login started", "procedures", s.cfg.Procedures)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// repScopeRequest is the claims request parameter asking for procedures:
// {"id_token":{"rep_scope":{"essential":true,"values":[…]}}}.
func repScopeRequest(procedures []string) (string, error) {
	type claimRequest struct {
		Essential bool     `json:"essential"`
		Values    []string `json:"values"`
	}
	b, err := json.Marshal(map[string]map[string]claimRequest{
		"id_token": {"rep_scope": {Essential: true, Values: procedures}},
	})
	return string(b), err
}

// callback is the redirect URI: it checks that the response belongs to the
// login this browser started (state), then exchanges the code, lets the
// client library verify the ID token (signature against the JWKS, iss, aud,
// exp, iat, nonce, acr, at_hash), reads UserInfo, and opens the session.
func (s *Service) callback(w http.ResponseWriter, r *http.Request) {
	sess, err := s.readSession(r)
	if err != nil || sess.Login == nil {
		s.fail(w, r, wrapError(errNoLoginInProgress, err))
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(sess.Login.State)) != 1 {
		// The login in progress is kept: this response may be an
		// injection, and the genuine one may still arrive.
		s.fail(w, r, errStateMismatch)
		return
	}
	// From here the response answers this login, which ends here whatever
	// happens: a code or an error is used once.
	if code := q.Get("error"); code != "" {
		s.clearSession(w)
		s.fail(w, r, providerError(code, q.Get("error_description")))
		return
	}
	code := q.Get("code")
	if code == "" {
		s.clearSession(w)
		s.fail(w, r, errMissingCode)
		return
	}
	user, err := s.completeLogin(r, code, *sess.Login)
	if err != nil {
		s.clearSession(w)
		s.fail(w, r, err)
		return
	}
	if err := s.writeSession(w, session{User: user}, signedInLifetime); err != nil {
		s.clearSession(w)
		s.fail(w, r, err)
		return
	}
	s.log.Info("demo-service: signed in", "sub", user.Subject, "rep_scope", user.RepScope,
		"acr", user.ACR, "delegated", user.Actor != nil)
	http.Redirect(w, r, s.basePath+"/compte", http.StatusSeeOther)
}

// completeLogin exchanges code and returns what the service keeps.
func (s *Service) completeLogin(r *http.Request, code string, pending pendingLogin) (*signedIn, error) {
	party, err := s.relyingParty(r.Context())
	if err != nil {
		return nil, err
	}
	ctx := withExpectedNonce(r.Context(), pending.Nonce)
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, code, party, rp.WithCodeVerifier(pending.CodeVerifier))
	if err != nil {
		return nil, exchangeError(err)
	}
	info, format, err := s.fetchUserinfo(ctx, party, tokens.AccessToken, tokens.IDTokenClaims.Subject)
	if err != nil {
		return nil, wrapError(errUserinfoFailed, err)
	}
	return newSignedIn(tokens.IDToken, tokens.IDTokenClaims, info, format), nil
}

// exchangeError tells a refusal by Procura's token endpoint, and a failure
// to reach it, from an ID token that did not verify.
func exchangeError(err error) error {
	var refused *oauth2.RetrieveError
	var transport *url.Error
	switch {
	case errors.As(err, &refused):
		e := wrapError(errExchangeFailed, err)
		if refused.Response == nil || refused.Response.StatusCode < 500 {
			e.Status = http.StatusBadRequest
		}
		e.Code, e.Detail = clip(refused.ErrorCode), clip(refused.ErrorDescription)
		return e
	case errors.As(err, &transport):
		return wrapError(errExchangeFailed, err)
	default:
		return wrapError(errTokenRejected, err)
	}
}

// account shows what Procura sent about the signed-in usager.
func (s *Service) account(w http.ResponseWriter, r *http.Request) {
	sess, err := s.readSession(r)
	if err != nil || sess.User == nil {
		http.Redirect(w, r, s.basePath+"/", http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, "account", accountPage{pageData: s.pageData("Votre espace"), User: sess.User})
}
