package authz

import (
	"context"
	"strings"

	"github.com/ory/fosite"
)

// A code's PKCE challenge (pkce.PKCERequestStorage) and OpenID Connect
// state (openid.OpenIDConnectRequestStorage) are the code's own row: fosite
// stores the same request three times, sanitized three ways, at one
// authorization. The provider widens fosite's sanitation list to what the
// three need (codeFormParameters), so the code's row holds it all, and the
// two other kinds are read from it. This saves two writes per code and,
// with the request's memo, three reads per token request.
//
// The look-ups answer as separate rows would: no PKCE state for a code
// issued without a challenge, no OpenID Connect state for a code issued
// without the openid scope (fosite then does not look for one). The state
// lives and is revoked with the code, and is purged when the code expires.

// codeFormParameters are the authorization parameters kept with a code:
// fosite's defaults (redirect_uri, compared at the token endpoint), the
// PKCE challenge and OpenID Connect's parameters.
var codeFormParameters = []string{
	"redirect_uri", "code_challenge", "code_challenge_method",
	"grant_type", "max_age", "prompt", "acr_values", "id_token_hint", "nonce",
}

// CreatePKCERequestSession stores nothing: the challenge is in the code's
// row, written just before by CreateAuthorizeCodeSession.
func (s *Store) CreatePKCERequestSession(context.Context, string, fosite.Requester) error {
	return nil
}

// GetPKCERequestSession returns the code's request when it was issued with
// a challenge, fosite.ErrNotFound otherwise.
func (s *Store) GetPKCERequestSession(ctx context.Context, signature string, proto fosite.Session) (fosite.Requester, error) {
	r, _, err := s.getRequest(ctx, kindAuthorizeCode, signature, proto)
	if err != nil {
		return nil, err
	}
	if r.GetRequestForm().Get("code_challenge") == "" {
		return nil, fosite.ErrNotFound
	}
	return r, nil
}

// DeletePKCERequestSession keeps the challenge: fosite deletes it before it
// compares the verifier, so a token request with a wrong verifier would
// leave the code without a challenge, and a second request without any
// verifier would pass (PKCE is required per client at the authorization,
// not globally). The challenge ends with its code.
func (s *Store) DeletePKCERequestSession(context.Context, string) error { return nil }

// CreateOpenIDConnectSession stores nothing: the state is in the code's
// row.
func (s *Store) CreateOpenIDConnectSession(context.Context, string, fosite.Requester) error {
	return nil
}

// GetOpenIDConnectSession returns the request of the raw code, its session
// of the same type as requester's, when the openid scope was granted;
// openid.ErrNoSessionFound (that is fosite.ErrNotFound) otherwise.
func (s *Store) GetOpenIDConnectSession(ctx context.Context, code string, requester fosite.Requester) (fosite.Requester, error) {
	var proto fosite.Session
	if requester != nil {
		proto = requester.GetSession()
	}
	r, _, err := s.getRequest(ctx, kindAuthorizeCode, codeSignature(code), proto)
	if err != nil {
		return nil, err
	}
	if !r.GetGrantedScopes().Has("openid") {
		return nil, fosite.ErrNotFound
	}
	return r, nil
}

// DeleteOpenIDConnectSession deletes nothing: a used code is invalidated,
// and its row purged when it expires.
func (s *Store) DeleteOpenIDConnectSession(context.Context, string) error { return nil }

// codeSignature is the signature fosite's HMAC strategy keys a raw code by
// (AuthorizeCodeSignature): what follows the dot of "ory_ac_<key>.<sig>".
// A malformed code gives "", which matches no row.
func codeSignature(code string) string {
	_, sig, ok := strings.Cut(strings.TrimPrefix(code, "ory_ac_"), ".")
	if !ok || strings.Contains(sig, ".") {
		return ""
	}
	return sig
}
