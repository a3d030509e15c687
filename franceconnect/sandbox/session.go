package sandbox

import (
	"net/http"
	"net/url"
	"slices"
)

// handleEndSession is RP-initiated logout (OpenID Connect RP-Initiated
// Logout 1.0 §2), as FranceConnect v2 requires it: id_token_hint,
// post_logout_redirect_uri and state. The sandbox keeps no session, so
// logging out is checking the request and going back.
func (p *Provider) handleEndSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for _, name := range []string{"id_token_hint", "post_logout_redirect_uri", "state"} {
		if len(q[name]) > 1 {
			p.logoutRefused(w, "", name+" est répété")
			return
		}
	}
	claims, err := p.keys.verify(q.Get("id_token_hint"))
	if err != nil {
		p.logoutRefused(w, "", "id_token_hint absent ou non signé par ce fournisseur")
		return
	}
	if iss, _ := claims["iss"].(string); iss != p.issuer {
		p.logoutRefused(w, "", "id_token_hint émis par un autre fournisseur")
		return
	}
	// An expired hint is fine (RP-Initiated Logout §2): FranceConnect ID
	// tokens live a minute, sessions at the relying party far longer.
	aud, _ := claims["aud"].(string)
	client, ok := p.clients[aud]
	if !ok {
		p.logoutRefused(w, aud, "id_token_hint destiné à un client inconnu")
		return
	}
	target := q.Get("post_logout_redirect_uri")
	if !slices.Contains(client.PostLogoutRedirectURIs, target) {
		p.logoutRefused(w, aud, "post_logout_redirect_uri non enregistrée pour le client "+aud+" : "+target)
		return
	}
	state := q.Get("state")
	if state == "" {
		p.logoutRefused(w, aud, "state est requis")
		return
	}
	p.log.Info("fc-sandbox: session ended", "client_id", aud)
	redirectTo(w, r, target, url.Values{"state": {state}})
}

func (p *Provider) logoutRefused(w http.ResponseWriter, clientID, detail string) {
	p.refuse("session/end", clientID, detail)
	p.errorPage(w, http.StatusBadRequest, "Déconnexion impossible",
		"La demande de déconnexion est invalide : vous n’avez pas été redirigé vers le service.", detail)
}
