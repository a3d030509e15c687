package authz

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"procura/audit"
	"procura/problem"
)

// userinfoAnswer is what one UserInfo request decided.
type userinfoAnswer struct {
	invalid      bool // invalid, expired or revoked token, or permission refused
	refused      bool // the permission was refused (invalid is set too)
	insufficient bool // token without the openid scope
	client       *Client
	claims       map[string]any
}

// ServeUserinfo answers GET and POST PathUserinfo (OpenID Connect Core 1.0
// §5.3) for a Bearer access token (RFC 6750 §2.1, or §2.2 in a POST form).
// In one transaction it checks the token, checks again that the permission
// is usable, reads the usager's identity and records userinfo.read. The
// claims are those of the granted scopes, with the pairwise sub of the ID
// token; JSON, or a JWT signed with the client's
// userinfo_signed_response_alg (§5.3.2).
func (p *Provider) ServeUserinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := bearerToken(w, r)
	if token == "" {
		// RFC 6750 §3.1: a request without credentials gets no error code.
		w.Header().Set("WWW-Authenticate", `Bearer realm="procura"`)
		writeJSONError(w, http.StatusUnauthorized, "invalid_request", "A Bearer access token is required.")
		return
	}
	var a userinfoAnswer
	err := p.db.InTx(ctx, func(ctx context.Context) error { return p.userinfo(ctx, token, &a) })
	switch {
	case err != nil:
		p.logInternal(ctx, "authz: userinfo", err)
		writeServerError(w, err)
	case a.refused:
		p.metrics.DelegatedLogin("userinfo", false)
		fallthrough
	case a.invalid:
		w.Header().Set("WWW-Authenticate", `Bearer realm="procura", error="invalid_token"`)
		writeJSONError(w, http.StatusUnauthorized, "invalid_token", "The access token is invalid, expired or revoked.")
	case a.insufficient:
		w.Header().Set("WWW-Authenticate", `Bearer realm="procura", error="insufficient_scope", scope="openid"`)
		writeJSONError(w, http.StatusForbidden, "insufficient_scope", "The access token was not granted the openid scope.")
	case a.client.UserinfoSignedResponseAlg != "":
		p.metrics.DelegatedLogin("userinfo", true)
		p.writeSignedUserinfo(w, r, a)
	default:
		p.metrics.DelegatedLogin("userinfo", true)
		writeJSON(w, http.StatusOK, a.claims)
	}
}

func (p *Provider) userinfo(ctx context.Context, token string, a *userinfoAnswer) error {
	tu, ar, err := p.fosite.IntrospectToken(ctx, token, fosite.AccessToken, NewSession())
	if err != nil || tu != fosite.AccessToken {
		a.invalid = true
		return nil
	}
	sess, _ := ar.GetSession().(*Session)
	client, _ := ar.GetClient().(*Client)
	if sess == nil || client == nil {
		return fmt.Errorf("authz: userinfo: token without a Procura session or client")
	}
	if !ar.GetGrantedScopes().Has("openid") {
		a.insufficient = true
		return nil
	}
	d := delegationOf(sess)
	kind, actor := serviceActor(client.ID)
	if err := p.checkPermission(ctx, client, d); err != nil {
		if !refusal(err) {
			return err
		}
		a.invalid, a.refused = true, true
		return p.recordRefusal(ctx, kind, actor, d, client.ID, "userinfo", err)
	}
	id, err := p.usagers.UsagerIdentity(ctx, d.UsagerID)
	switch {
	case problem.CodeOf(err) == problem.NotFound:
		a.invalid = true // the usager's data was purged
		return nil
	case err != nil:
		return err
	}
	a.client = client
	a.claims = userinfoClaims(sess.GetSubject(), id, ar.GetGrantedScopes())
	return p.recordDelegation(ctx, audit.ActionUserinfoRead, kind, actor, d, client.ID,
		map[string]string{"scope": strings.Join(ar.GetGrantedScopes(), " ")})
}

// writeSignedUserinfo answers with the claims as a JWT for the client
// (OpenID Connect Core 1.0 §5.3.2: iss and aud set).
func (p *Provider) writeSignedUserinfo(w http.ResponseWriter, r *http.Request, a userinfoAnswer) {
	now := p.now().UTC()
	a.claims["iss"] = p.issuer
	a.claims["aud"] = a.client.ID
	a.claims["iat"] = now.Unix()
	a.claims["exp"] = now.Add(p.accessLifespan).Unix()
	jwt, err := p.signer.sign(r.Context(), a.client.UserinfoSignedResponseAlg, a.claims)
	if err != nil {
		p.logInternal(r.Context(), "authz: sign userinfo", err)
		writeJSONError(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/jwt")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	_, _ = w.Write([]byte(jwt))
}

// bearerToken returns the access token of r: the Authorization header's
// Bearer credentials, or the access_token of a POST form. The query (RFC
// 6750 §2.3) is not read: tokens do not belong in URLs that get logged.
func bearerToken(w http.ResponseWriter, r *http.Request) string {
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	if r.Method != http.MethodPost {
		return ""
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return ""
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return ""
	}
	return r.PostForm.Get("access_token")
}
