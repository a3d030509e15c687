package sandbox

import (
	"net/http"
	"strings"
)

// handleUserinfo is the UserInfo endpoint (OpenID Connect Core §5.3). Like
// FranceConnect v2, it answers a signed JWT (§5.3.2) holding iss and aud.
func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	scheme, raw, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || raw == "" {
		// RFC 6750 §3.1: no credentials, no error code.
		w.Header().Set("WWW-Authenticate", `Bearer realm="fc-sandbox"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "a Bearer access token is required"})
		return
	}
	now := p.now()
	p.state.mu.Lock()
	at, ok := p.state.tokens.get(strings.TrimSpace(raw), now)
	p.state.mu.Unlock()
	if !ok {
		p.refuse("userinfo", "", "invalid or expired access token")
		w.Header().Set("WWW-Authenticate", `Bearer realm="fc-sandbox", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "access token is invalid or expired"})
		return
	}
	claims := at.identity.claims(at.scopes)
	claims["sub"] = pairwiseSub(at.clientID, at.identity.ID)
	claims["iss"] = p.issuer
	claims["aud"] = at.clientID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(idTokenTTL).Unix()
	jwt, err := p.keys.sign(claims)
	if err != nil {
		p.log.Error("fc-sandbox: signing userinfo", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	p.log.Info("fc-sandbox: userinfo served", "client_id", at.clientID, "identity", at.identity.ID)
	w.Header().Set("Content-Type", "application/jwt")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(jwt))
}
