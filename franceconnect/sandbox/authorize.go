package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

const (
	acrEIDAS1 = "eidas1"
	// minNonceLength is FranceConnect's minimum for nonce.
	minNonceLength = 22
)

// protocolError is an OAuth 2.0 / OpenID Connect error answer: a code from
// the specs and a description for the relying party's developer.
type protocolError struct {
	code        string
	description string
}

// authorizeParams are the parameters that must appear at most once
// (RFC 6749 §3.1) and that this provider reads.
var authorizeParams = []string{
	"client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
	"acr_values", "claims", "prompt", "request", "request_uri",
}

// handleAuthorize is the authorization endpoint (OpenID Connect Core
// §3.1.2). Until client_id and redirect_uri are known good, errors are shown
// here; after, they go back to the relying party.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID := q.Get("client_id")
	client, known := p.clients[clientID]
	if !known || len(q["client_id"]) != 1 {
		p.refuse("authorize", clientID, "unknown client_id")
		p.errorPage(w, http.StatusBadRequest, "Fournisseur de service inconnu",
			"La demande de connexion vient d’un service qui n’est pas enregistré auprès du bac à sable FranceConnect.",
			"client_id inconnu ou répété : "+clientID)
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !slices.Contains(client.RedirectURIs, redirectURI) || len(q["redirect_uri"]) != 1 {
		p.refuse("authorize", clientID, "redirect_uri not registered")
		p.errorPage(w, http.StatusBadRequest, "Adresse de retour non autorisée",
			"L’adresse de retour demandée n’est pas enregistrée pour ce service : la connexion ne peut pas continuer.",
			"redirect_uri non enregistrée pour le client "+clientID+" : "+redirectURI)
		return
	}
	state := q.Get("state")
	in, perr := parseAuthorize(q)
	if perr != nil {
		p.refuse("authorize", clientID, perr.code+": "+perr.description)
		redirectTo(w, r, redirectURI, url.Values{"error": {perr.code}, "error_description": {perr.description}, "state": {state}})
		return
	}
	in.clientID, in.redirectURI = clientID, redirectURI

	id := randomToken()
	now := p.now()
	p.state.mu.Lock()
	err := p.state.interactions.put(id, in, now.Add(interactionTTL), now)
	p.state.mu.Unlock()
	if err != nil {
		p.refuse("authorize", clientID, err.Error())
		redirectTo(w, r, redirectURI, url.Values{"error": {"temporarily_unavailable"}, "error_description": {err.Error()}, "state": {state}})
		return
	}
	p.renderIdentities(w, id, in)
}

// parseAuthorize checks every parameter but client_id and redirect_uri, in
// the order FranceConnect v2 reports them.
func parseAuthorize(q url.Values) (interaction, *protocolError) {
	for _, name := range authorizeParams {
		if len(q[name]) > 1 {
			return interaction{}, &protocolError{"invalid_request", name + " is repeated"}
		}
	}
	if q.Has("request") {
		return interaction{}, &protocolError{"request_not_supported", "request objects are not supported"}
	}
	if q.Has("request_uri") {
		return interaction{}, &protocolError{"request_uri_not_supported", "request_uri is not supported"}
	}
	if rt := q.Get("response_type"); rt != "code" {
		return interaction{}, &protocolError{"unsupported_response_type", "response_type must be code"}
	}
	requested := strings.Fields(q.Get("scope"))
	if !slices.Contains(requested, "openid") {
		return interaction{}, &protocolError{"invalid_scope", "scope must contain openid"}
	}
	state := q.Get("state")
	if state == "" {
		return interaction{}, &protocolError{"invalid_request", "state is required"}
	}
	nonce := q.Get("nonce")
	if utf8.RuneCountInString(nonce) < minNonceLength {
		return interaction{}, &protocolError{"invalid_request", "nonce is required, at least 22 characters"}
	}
	acr := strings.Fields(q.Get("acr_values"))
	if len(acr) == 0 || slices.ContainsFunc(acr, func(v string) bool { return v != acrEIDAS1 }) {
		return interaction{}, &protocolError{"invalid_request", "acr_values must be eidas1"}
	}
	wantAMR, err := amrRequested(q.Get("claims"))
	if err != nil {
		return interaction{}, &protocolError{"invalid_request", "claims is not a valid claims request"}
	}
	// Nobody is ever signed in here, so prompt=none cannot succeed
	// (OpenID Connect Core §3.1.2.6).
	if slices.Contains(strings.Fields(q.Get("prompt")), "none") {
		return interaction{}, &protocolError{"login_required", "prompt=none but no session exists"}
	}
	return interaction{state: state, nonce: nonce, scopes: supportedScopes(requested), wantAMR: wantAMR}, nil
}

// amrRequested tells whether a claims request (OpenID Connect Core §5.5)
// asks for amr in the ID token, which is how FranceConnect releases it.
func amrRequested(claims string) (bool, error) {
	if claims == "" {
		return false, nil
	}
	var req struct {
		IDToken map[string]json.RawMessage `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(claims), &req); err != nil {
		return false, err
	}
	if req.IDToken == nil {
		return false, nil
	}
	_, ok := req.IDToken["amr"]
	return ok, nil
}

// handleChooseIdentity ends an interaction with the chosen identity: a code
// goes back to the relying party.
func (p *Provider) handleChooseIdentity(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "Demande invalide", "Le formulaire reçu est illisible.", "")
		return
	}
	identity, ok := p.byID[r.PostForm.Get("identity")]
	if !ok {
		p.errorPage(w, http.StatusBadRequest, "Identité inconnue",
			"L’identité choisie ne fait pas partie des identités de test.", "")
		return
	}
	now := p.now()
	code := randomToken()
	p.state.mu.Lock()
	in, ok := p.state.interactions.take(r.PathValue("id"), now)
	var err error
	if ok {
		err = p.state.codes.put(code, &authCode{interaction: in, identity: identity, authTime: now}, now.Add(codeTTL), now)
	}
	p.state.mu.Unlock()
	if !ok {
		p.expiredPage(w)
		return
	}
	if err != nil {
		p.refuse("authorize", in.clientID, err.Error())
		redirectTo(w, r, in.redirectURI, url.Values{"error": {"temporarily_unavailable"}, "error_description": {err.Error()}, "state": {in.state}})
		return
	}
	p.log.Info("fc-sandbox: identity chosen", "client_id", in.clientID, "identity", identity.ID)
	redirectTo(w, r, in.redirectURI, url.Values{"code": {code}, "state": {in.state}})
}

// handleAbort ends an interaction at the person's request: FranceConnect
// answers access_denied.
func (p *Provider) handleAbort(w http.ResponseWriter, r *http.Request) {
	now := p.now()
	p.state.mu.Lock()
	in, ok := p.state.interactions.take(r.PathValue("id"), now)
	p.state.mu.Unlock()
	if !ok {
		p.expiredPage(w)
		return
	}
	p.log.Info("fc-sandbox: authentication cancelled", "client_id", in.clientID)
	redirectTo(w, r, in.redirectURI, url.Values{"error": {"access_denied"}, "error_description": {"User auth aborted"}, "state": {in.state}})
}

func (p *Provider) expiredPage(w http.ResponseWriter) {
	p.errorPage(w, http.StatusBadRequest, "Demande expirée",
		"Cette demande de connexion a expiré ou a déjà été utilisée. Retournez sur le service et recommencez.", "")
}

// redirectTo sends the browser to target (a registered URI) with params
// added to its query; empty values are left out.
func redirectTo(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil { // cannot happen: New parsed every registered URI
		http.Error(w, "registered URI does not parse", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				q.Add(k, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// refuse logs why a request was refused; never a secret.
func (p *Provider) refuse(endpoint, clientID, reason string) {
	p.log.Info("fc-sandbox: request refused", "endpoint", endpoint, "client_id", clientID, "reason", reason)
}
