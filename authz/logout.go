package authz

import (
	"context"
	"crypto/subtle"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"

	"github.com/ory/fosite/token/jwt"

	"procura/problem"
)

// LogoutRequest is a valid RP-Initiated Logout request (OpenID Connect
// RP-Initiated Logout 1.0 §2) at PathLogout. The web layer owns the
// aidant's session: it ends it (after asking the aidant to confirm when
// the request does not name them, §2 and §6) and then redirects to
// RedirectURI, or shows its own page when RedirectURI is empty.
type LogoutRequest struct {
	// Client is the service that asked, from id_token_hint or client_id;
	// nil when the request named none.
	Client *Client
	// HasHint reports a verified id_token_hint (signed by one of our
	// non-retired keys, issued by us to Client; possibly expired).
	HasHint bool
	// SessionID is the hint's sid: the aidant session Grant was given,
	// when the web layer names its sessions.
	SessionID string
	// UsagerSubject and AidantSubject are the hint's sub and act.sub
	// (pairwise, for Client); AidantSubject is empty for a
	// FranceConnect-compatible client (no act).
	UsagerSubject string
	AidantSubject string
	// RedirectURI is the registered post_logout_redirect_uri with the
	// request's state added (§3), or "".
	RedirectURI string

	pairwise pairwise
}

// ConcernsAidant reports whether the hint names aidantID as the aidant who
// acted (its act.sub is aidantID's pseudonym for Client).
func (l *LogoutRequest) ConcernsAidant(aidantID string) bool {
	if l.Client == nil || l.AidantSubject == "" {
		return false
	}
	want := l.pairwise.aidant(l.Client.ID, aidantID)
	return subtle.ConstantTimeCompare([]byte(want), []byte(l.AidantSubject)) == 1
}

// Errors of ParseLogout, to show the person; none redirects.
var (
	ErrLogoutMalformed = problem.New(problem.Invalid, "La demande de déconnexion envoyée par le service est illisible.")
	ErrLogoutHint      = problem.New(problem.Invalid,
		"La demande de déconnexion envoyée par le service n'est pas valide : elle ne désigne pas une connexion faite avec Procura.")
	ErrLogoutClient = problem.New(problem.Invalid,
		"Le service qui demande la déconnexion n'est pas enregistré auprès de Procura.")
	ErrLogoutRedirect = problem.New(problem.Invalid,
		"L'adresse de retour indiquée par le service n'est pas enregistrée auprès de Procura : vous ne pouvez pas y être renvoyé.")
)

// ParseLogout validates a logout request (GET query or POST form):
// id_token_hint (verified, expired or not, iss checked, aud the client),
// client_id (which must then be in the hint's aud),
// post_logout_redirect_uri (registered exactly for that client), state
// (echoed). Its errors are *problem.Error values to show the person.
func (p *Provider) ParseLogout(ctx context.Context, r *http.Request) (*LogoutRequest, error) {
	q, err := logoutParams(r)
	if err != nil {
		return nil, err
	}
	out := &LogoutRequest{pairwise: p.pairwise}
	clientID := q.Get("client_id")
	if hint := q.Get("id_token_hint"); hint != "" {
		claims, err := p.signer.verify(ctx, hint)
		if err != nil {
			return nil, problem.Errorf(problem.Invalid, ErrLogoutHint.Message, "authz: logout: id_token_hint: %w", err)
		}
		aud := audiences(claims)
		switch {
		case clientID == "" && len(aud) == 1:
			clientID = aud[0]
		case clientID == "" || !slices.Contains(aud, clientID):
			return nil, problem.Errorf(problem.Invalid, ErrLogoutHint.Message, "authz: logout: id_token_hint audience %v, client_id %q", aud, clientID)
		}
		out.HasHint = true
		out.UsagerSubject, _ = claims["sub"].(string)
		out.SessionID, _ = claims[ClaimSessionID].(string)
		if act, ok := claims[ClaimAct].(map[string]any); ok {
			out.AidantSubject, _ = act["sub"].(string)
		}
	}
	if clientID != "" {
		client, err := p.store.clients.get(ctx, clientID)
		if err != nil {
			return nil, problem.Errorf(problem.Invalid, ErrLogoutClient.Message, "authz: logout: client %q: %w", clientID, err)
		}
		out.Client = client
	}
	if uri := q.Get("post_logout_redirect_uri"); uri != "" {
		if out.Client == nil || !out.Client.AllowsPostLogoutRedirect(uri) {
			return nil, problem.Errorf(problem.Invalid, ErrLogoutRedirect.Message, "authz: logout: post_logout_redirect_uri %q", uri)
		}
		u, err := url.Parse(uri)
		if err != nil {
			return nil, ErrLogoutRedirect
		}
		if state := q.Get("state"); state != "" {
			v := u.Query()
			v.Set("state", state)
			u.RawQuery = v.Encode()
		}
		out.RedirectURI = u.String()
	}
	return out, nil
}

// audiences returns the aud claim as a list.
func audiences(claims jwt.MapClaims) []string {
	switch v := claims["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// logoutParams reads the parameters of a GET or POST logout request.
func logoutParams(r *http.Request) (url.Values, error) {
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" || r.Body == nil {
			return nil, ErrLogoutMalformed
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxAuthorizeQuery+1))
		if err != nil {
			return nil, ErrLogoutMalformed
		}
		raw = string(body)
	}
	if len(raw) > maxAuthorizeQuery {
		return nil, ErrLogoutMalformed
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, ErrLogoutMalformed
	}
	return q, nil
}
