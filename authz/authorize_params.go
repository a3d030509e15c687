package authz

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"procura/procedure"
)

// authorizeParameters are the parameters of an authorization request that
// Procura reads (OpenID Connect Core 1.0 §3.1.2.1). Any other is ignored,
// and not kept in the pending request.
var authorizeParameters = []string{
	"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce",
	"prompt", "max_age", "acr_values", "claims", "code_challenge", "code_challenge_method",
	"id_token_hint", "login_hint", "ui_locales", "display", "claims_locales",
	"request", "request_uri", "registration",
}

// Bounds of an authorization request.
const (
	maxAuthorizeQuery = 8 << 10
	maxStateLength    = 2048
	maxNonceLength    = 512
	maxClaimsLength   = 4096
	// minNonceLength applies to a nonce a client sends though it need
	// not: the entropy fosite asks of state.
	minNonceLength = 8
	// strongNonceLength is FranceConnect's minimum, required of
	// FranceConnect-compatible clients and of requests without PKCE.
	strongNonceLength = 22
	// maxMaxAge caps max_age (ten years) so that seconds never overflow a
	// time.Duration.
	maxMaxAge = 10 * 365 * 24 * 3600
)

// canonicalAuthorize keeps the known, non-empty parameters of params (RFC
// 6749 §3.1: a parameter without a value is omitted). dup names a known
// parameter given more than once, which RFC 6749 §3.1 forbids.
func canonicalAuthorize(params url.Values) (canonical url.Values, dup string) {
	canonical = url.Values{}
	for _, name := range authorizeParameters {
		var values []string
		for _, v := range params[name] {
			if v != "" {
				values = append(values, v)
			}
		}
		switch {
		case len(values) == 0:
			continue
		case len(values) > 1 && dup == "":
			dup = name
		}
		canonical.Set(name, values[0])
	}
	return canonical, dup
}

func invalidRequest(format string, args ...any) *fosite.RFC6749Error {
	return fosite.ErrInvalidRequest.WithHintf(format, args...)
}

// promptValues are the prompt values Procura accepts (OpenID Connect Core
// 1.0 §3.1.2.1). consent and select_account need nothing more: the aidant
// always chooses the usager and the procedure.
var promptValues = []string{"none", "login", "consent", "select_account"}

// parsePrompt returns the distinct values of prompt.
func parsePrompt(v string) ([]string, *fosite.RFC6749Error) {
	var out []string
	for _, p := range strings.Fields(v) {
		if !slices.Contains(promptValues, p) {
			return nil, invalidRequest("Unsupported prompt value %q.", p)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if slices.Contains(out, "none") && len(out) > 1 {
		return nil, invalidRequest("prompt=none cannot be combined with other values.")
	}
	return out, nil
}

// parseMaxAge returns max_age in seconds, capped at maxMaxAge.
func parseMaxAge(v string) (int64, bool, *fosite.RFC6749Error) {
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false, invalidRequest("max_age must be a non-negative integer.")
		}
		n = maxMaxAge
	}
	return int64(min(n, maxMaxAge)), true, nil
}

// acceptsEidas1 reports whether a list of acceptable ACR values, in order
// of preference, lets Procura answer with eidas1, the only one it asserts.
func acceptsEidas1(values []string) bool {
	return len(values) == 0 || slices.Contains(values, ACREidas1)
}

// claimsParameter is the claims request parameter (OpenID Connect Core 1.0
// §5.5). Procura honours, in id_token, rep_scope (the procedures asked
// for) and an essential acr; other individual claim requests are ignored,
// which §5.5.1 allows: identity claims are released by scope only, as
// FranceConnect does.
type claimsParameter struct {
	IDToken  map[string]*individualClaim `json:"id_token"`
	Userinfo map[string]*individualClaim `json:"userinfo"`
}

// individualClaim is one claim request (§5.5.1): null, or an object.
type individualClaim struct {
	Essential bool `json:"essential"`
	Value     any  `json:"value"`
	Values    any  `json:"values"`
}

// stringValues returns the string values requested by value and values.
func (c *individualClaim) stringValues() ([]string, bool) {
	if c == nil {
		return nil, true
	}
	var out []string
	if c.Value != nil {
		s, ok := c.Value.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	if c.Values != nil {
		list, ok := c.Values.([]any)
		if !ok {
			return nil, false
		}
		for _, v := range list {
			s, ok := v.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
	}
	return out, true
}

// parsedClaims is what Procura takes from the claims parameter.
type parsedClaims struct {
	repScope    []string // values asked in id_token.rep_scope
	askedScope  bool     // rep_scope was asked for, with or without values
	acrRequired []string // values of an essential id_token.acr
}

// parseClaims parses the claims parameter (empty: no request).
func parseClaims(raw string) (parsedClaims, *fosite.RFC6749Error) {
	var out parsedClaims
	if raw == "" {
		return out, nil
	}
	if len(raw) > maxClaimsLength {
		return out, invalidRequest("The claims parameter is longer than %d bytes.", maxClaimsLength)
	}
	var cp claimsParameter
	if err := json.Unmarshal([]byte(raw), &cp); err != nil {
		return out, invalidRequest("The claims parameter is not a JSON object of claim requests.")
	}
	if c, asked := cp.IDToken[ClaimRepScope]; asked {
		values, ok := c.stringValues()
		if !ok {
			return out, invalidRequest("rep_scope values must be strings.")
		}
		out.repScope, out.askedScope = values, true
	}
	if c := cp.IDToken["acr"]; c != nil && c.Essential {
		values, ok := c.stringValues()
		if !ok {
			return out, invalidRequest("acr values must be strings.")
		}
		out.acrRequired = values
	}
	return out, nil
}

// requestedProcedures intersects what the request asks (procedure:<id>
// scopes and rep_scope values) with what client serves, in catalogue
// order. A request that asks for none gets every procedure the client
// serves; one that asks only for procedures the client does not serve (or
// that do not exist) is refused.
func requestedProcedures(scopes []string, claims parsedClaims, client *Client) ([]string, *fosite.RFC6749Error) {
	asked := map[string]bool{}
	explicit := claims.askedScope && len(claims.repScope) > 0
	for _, s := range scopes {
		if id, ok := strings.CutPrefix(s, "procedure:"); ok {
			explicit = true
			asked[id] = true
		}
	}
	for _, v := range claims.repScope {
		if p, ok := procedure.ByRequest(v); ok {
			asked[p.ID] = true
		}
	}
	var out []string
	for _, p := range procedure.All() {
		if client.ServesProcedure(p.ID) && (!explicit || asked[p.ID]) {
			out = append(out, p.ID)
		}
	}
	if len(out) == 0 {
		return nil, invalidRequest("None of the requested procedures is served by this client.")
	}
	return out, nil
}

// checkPKCE applies the client's PKCE policy (RFC 7636): S256 only, and
// required unless the client was registered with PKCE optional.
func checkPKCE(client *Client, challenge, method string) *fosite.RFC6749Error {
	if challenge == "" {
		if method != "" {
			return invalidRequest("code_challenge_method was given without code_challenge.")
		}
		if client.PKCERequired {
			return invalidRequest("This client must use PKCE: code_challenge with code_challenge_method=S256.")
		}
		return nil
	}
	if method != "S256" {
		return invalidRequest("code_challenge_method must be S256.")
	}
	// BASE64URL(SHA-256(verifier)) is 43 characters (RFC 7636 §4.2).
	if len(challenge) != 43 || strings.TrimLeft(challenge, base64URLAlphabet) != "" {
		return invalidRequest("code_challenge is not a base64url SHA-256 digest.")
	}
	return nil
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// checkNonce applies the nonce policy:
//   - a FranceConnect-compatible client, and any request without PKCE,
//     must send a nonce of at least 22 characters (FranceConnect's rule;
//     without PKCE the nonce is what binds the ID token to the browser,
//     RFC 9700 §2.1.1);
//   - otherwise the nonce is optional (PKCE protects the code) and, when
//     sent, at least 8 characters;
//   - never more than 512.
func checkNonce(client *Client, nonce string, pkce bool) *fosite.RFC6749Error {
	least := minNonceLength
	if client.FranceConnectCompat || !pkce {
		least = strongNonceLength
		if nonce == "" {
			return invalidRequest("This request must carry a nonce of at least %d characters.", least)
		}
	}
	switch {
	case nonce == "":
		return nil
	case len(nonce) < least:
		return invalidRequest("The nonce must be at least %d characters long.", least)
	case len(nonce) > maxNonceLength:
		return invalidRequest("The nonce must be at most %d characters long.", maxNonceLength)
	}
	return nil
}

// maxAgeDuration converts max_age seconds, already capped.
func maxAgeDuration(seconds int64) time.Duration { return time.Duration(seconds) * time.Second }
