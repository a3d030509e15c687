package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"mime"
	"net/http"
	"strings"
	"time"
)

// tokenParams must appear at most once in a token request (RFC 6749 §3.2).
var tokenParams = []string{"grant_type", "code", "redirect_uri", "client_id", "client_secret"}

// tokenResponse is the successful answer of the token endpoint, with the
// fields FranceConnect v2 sends.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	IDToken     string `json:"id_token"`
	Scope       string `json:"scope"`
}

// handleToken is the token endpoint (OpenID Connect Core §3.1.3), with
// client_secret_post as its only client authentication, as FranceConnect
// registers relying parties by default.
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		// RFC 6749 §5.2: a client that tried the Authorization header gets 401
		// with a challenge for that scheme.
		w.Header().Set("WWW-Authenticate", `Basic realm="fc-sandbox"`)
		p.tokenError(w, http.StatusUnauthorized, "", protocolError{"invalid_client", "only client_secret_post is accepted"})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		p.tokenError(w, http.StatusBadRequest, "", protocolError{"invalid_request", "body must be application/x-www-form-urlencoded"})
		return
	}
	if err := r.ParseForm(); err != nil {
		p.tokenError(w, http.StatusBadRequest, "", protocolError{"invalid_request", "unreadable form"})
		return
	}
	f := r.PostForm
	for _, name := range tokenParams {
		if len(f[name]) > 1 {
			p.tokenError(w, http.StatusBadRequest, "", protocolError{"invalid_request", name + " is repeated"})
			return
		}
	}
	client, ok := p.clients[f.Get("client_id")]
	if !ok || subtle.ConstantTimeCompare([]byte(client.Secret), []byte(f.Get("client_secret"))) != 1 {
		p.tokenError(w, http.StatusUnauthorized, f.Get("client_id"), protocolError{"invalid_client", "unknown client or wrong secret"})
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		p.tokenError(w, http.StatusBadRequest, client.ID, protocolError{"unsupported_grant_type", "grant_type must be authorization_code"})
		return
	}
	code, perr := p.redeemCode(client.ID, f.Get("code"), f.Get("redirect_uri"))
	if perr != nil {
		status := http.StatusBadRequest
		if perr.code == "temporarily_unavailable" {
			status = http.StatusServiceUnavailable
		}
		p.tokenError(w, status, client.ID, *perr)
		return
	}
	now := p.now()
	claims := map[string]any{
		"iss":       p.issuer,
		"sub":       pairwiseSub(client.ID, code.identity.ID),
		"aud":       client.ID,
		"exp":       now.Add(idTokenTTL).Unix(),
		"iat":       now.Unix(),
		"auth_time": code.authTime.Unix(),
		"nonce":     code.nonce,
		"acr":       acrEIDAS1,
		"at_hash":   atHash(code.accessToken),
	}
	if code.wantAMR {
		claims["amr"] = []string{"pwd"}
	}
	idToken, err := p.keys.sign(claims)
	if err != nil {
		p.log.Error("fc-sandbox: signing id_token", "err", err)
		p.tokenError(w, http.StatusInternalServerError, client.ID, protocolError{"server_error", "cannot sign the id_token"})
		return
	}
	p.log.Info("fc-sandbox: tokens issued", "client_id", client.ID, "identity", code.identity.ID)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: code.accessToken,
		TokenType:   "Bearer",
		ExpiresIn:   int(accessTokenTTL / time.Second),
		IDToken:     idToken,
		Scope:       strings.Join(code.scopes, " "),
	})
}

// redeemCode marks a code used and issues its access token, atomically: of
// two concurrent requests with one code, one wins. A code presented again is
// refused and its access token revoked (RFC 6749 §4.1.2, §10.5).
func (p *Provider) redeemCode(clientID, rawCode, redirectURI string) (authCode, *protocolError) {
	if rawCode == "" {
		return authCode{}, &protocolError{"invalid_request", "code is required"}
	}
	now := p.now()
	p.state.mu.Lock()
	defer p.state.mu.Unlock()
	code, ok := p.state.codes.get(rawCode, now)
	switch {
	case !ok:
		return authCode{}, &protocolError{"invalid_grant", "code is invalid or expired"}
	case code.clientID != clientID:
		return authCode{}, &protocolError{"invalid_grant", "code was issued to another client"}
	case code.used:
		p.state.tokens.delete(code.accessToken)
		p.refuse("token", clientID, "code replayed; its access token is revoked")
		return authCode{}, &protocolError{"invalid_grant", "code was already used"}
	case code.redirectURI != redirectURI:
		return authCode{}, &protocolError{"invalid_grant", "redirect_uri does not match the authorization request"}
	}
	token := randomToken()
	at := accessToken{clientID: clientID, identity: code.identity, scopes: code.scopes}
	if err := p.state.tokens.put(token, at, now.Add(accessTokenTTL), now); err != nil {
		return authCode{}, &protocolError{"temporarily_unavailable", err.Error()}
	}
	code.used, code.accessToken = true, token
	return *code, nil
}

// tokenError answers an error of the token endpoint (RFC 6749 §5.2).
func (p *Provider) tokenError(w http.ResponseWriter, status int, clientID string, e protocolError) {
	p.refuse("token", clientID, e.code+": "+e.description)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, map[string]string{"error": e.code, "error_description": e.description})
}

// pairwiseSub is the sub of an identity for a client: a different,
// unlinkable value per client, stable across restarts, shaped like
// FranceConnect's (64 hex digits and "v1").
func pairwiseSub(clientID, identityID string) string {
	sum := sha256.Sum256([]byte("fc-sandbox pairwise sub\x00" + clientID + "\x00" + identityID))
	return hex.EncodeToString(sum[:]) + "v1"
}
