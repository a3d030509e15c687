package authz

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/ory/fosite"
)

// introspection is an RFC 7662 §2.2 answer.
type introspection struct {
	Active    bool              `json:"active"`
	Scope     string            `json:"scope,omitempty"`
	ClientID  string            `json:"client_id,omitempty"`
	TokenType string            `json:"token_type,omitempty"`
	Exp       int64             `json:"exp,omitempty"`
	Iat       int64             `json:"iat,omitempty"`
	Sub       string            `json:"sub,omitempty"`
	Aud       string            `json:"aud,omitempty"`
	Iss       string            `json:"iss,omitempty"`
	Act       map[string]string `json:"act,omitempty"`
	RepScope  []string          `json:"rep_scope,omitempty"`
}

// ServeIntrospect answers POST PathIntrospect (RFC 7662) for a client
// authenticated as at the token endpoint (basic, post or private_key_jwt).
// A client learns only about its own tokens: another client's token, like
// an unknown, expired or revoked one, is {"active": false} (§2.2). A token
// whose permission is no longer usable is inactive too.
//
// fosite's own introspection endpoint is not used: it accepts any access
// token as the caller's credentials and lets a client introspect every
// client's tokens.
func (p *Provider) ServeIntrospect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeJSONError(w, http.StatusBadRequest, "invalid_request", "The request body is not a form.")
		return
	}
	var (
		answer  = introspection{}
		authErr = p.checkClientCredentials(r)
	)
	err := p.db.InTx(ctx, func(ctx context.Context) error {
		if authErr != nil {
			return nil
		}
		client, err := p.fosite.AuthenticateClient(ctx, r, r.PostForm)
		if err != nil {
			authErr = err
			return nil // keeps the jti of a valid assertion
		}
		answer, err = p.introspect(ctx, client, r.PostForm.Get("token"), r.PostForm.Get("token_type_hint"))
		return err
	})
	switch {
	case err != nil:
		p.logInternal(ctx, "authz: introspect", err)
		writeServerError(w, err)
	case authErr != nil:
		rfc := fosite.ErrorToRFC6749Error(authErr)
		if errors.Is(authErr, fosite.ErrJTIKnown) {
			rfc = fosite.ErrInvalidClient.WithHint("The client assertion was already used (jti).")
		}
		if rfc.CodeField >= http.StatusInternalServerError {
			p.logInternal(ctx, "authz: introspect", authErr)
			writeJSONError(w, http.StatusInternalServerError, "server_error", "")
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="procura"`)
		writeJSONError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
	case r.PostForm.Get("token") == "":
		writeJSONError(w, http.StatusBadRequest, "invalid_request", "The token parameter is required.")
	default:
		writeJSON(w, http.StatusOK, answer)
	}
}

// introspect describes token to client, its owner.
func (p *Provider) introspect(ctx context.Context, client fosite.Client, token, hint string) (introspection, error) {
	inactive := introspection{}
	if token == "" {
		return inactive, nil
	}
	tu, ar, err := p.fosite.IntrospectToken(ctx, token, fosite.TokenUse(hint), NewSession())
	if err != nil || ar.GetClient().GetID() != client.GetID() {
		return inactive, nil
	}
	sess, _ := ar.GetSession().(*Session)
	owner, _ := ar.GetClient().(*Client)
	if sess == nil || owner == nil {
		return inactive, nil
	}
	d := delegationOf(sess)
	if err := p.checkPermission(ctx, owner, d); err != nil {
		if refusal(err) {
			return inactive, nil
		}
		return inactive, err
	}
	out := introspection{
		Active: true, Scope: strings.Join(ar.GetGrantedScopes(), " "), ClientID: owner.ID,
		Sub: sess.GetSubject(), Aud: owner.ID, Iss: p.issuer, Iat: ar.GetRequestedAt().Unix(),
	}
	if d.ProcedureLabel != "" {
		out.RepScope = []string{d.ProcedureLabel}
	}
	exp := sess.GetExpiresAt(fosite.RefreshToken)
	if tu == fosite.AccessToken {
		out.TokenType = "Bearer"
		exp = sess.GetExpiresAt(fosite.AccessToken)
	}
	if !exp.IsZero() {
		out.Exp = exp.Unix()
	}
	if !owner.FranceConnectCompat {
		// RFC 8693 §4.4: who acts for the subject.
		out.Act = map[string]string{"sub": p.pairwise.aidant(owner.ID, d.AidantID), "org": d.OrganisationSIRET}
	}
	return out, nil
}
