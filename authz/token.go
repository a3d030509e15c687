package authz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/ory/fosite"

	"procura/audit"
)

// grantTypes are the grants the token endpoint serves.
var grantTypes = []string{"authorization_code", "refresh_token"}

// errPermissionRefused is the token endpoint's answer when the permission
// a grant was issued under is no longer usable; the reason stays in the
// audit journal.
var errPermissionRefused = fosite.ErrInvalidGrant.WithHint("The permission this grant was issued under is no longer usable.")

// ServeToken answers POST PathToken (RFC 6749 §3.2, OpenID Connect Core
// 1.0 §3.1.3): the authorization code (with PKCE) or a refresh token,
// against client authentication by client_secret_basic,
// client_secret_post or private_key_jwt (jti replay refused).
//
// One transaction per request: fosite's checks and writes, the permission
// check, and the token.issued entry. A refused permission is answered
// invalid_grant and recorded as delegated_login.refused. A replayed code
// is answered invalid_grant and revokes the tokens of its first use (RFC
// 6749 §4.1.2); a replayed refresh token revokes its whole grant.
func (p *Provider) ServeToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.writeTokenError(ctx, w, nil, fosite.ErrInvalidRequest.WithHint("The request body is not a form."))
		return
	}
	if err := p.checkClientCredentials(r); err != nil {
		p.writeTokenError(ctx, w, nil, err)
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "" && !slices.Contains(grantTypes, gt) {
		p.writeTokenError(ctx, w, nil, fosite.ErrUnsupportedGrantType)
		return
	}
	var (
		ar       fosite.AccessRequester
		resp     fosite.AccessResponder
		oauthErr error
	)
	// The memo makes fosite's four look-ups of a code one query; the batch
	// writes the access and refresh tokens in one statement.
	err := p.db.InTx(withBatch(withMemo(ctx)), func(ctx context.Context) error {
		var err error
		if ar, err = p.fosite.NewAccessRequest(ctx, r, NewSession()); err != nil {
			// Kept: the jti of a valid client assertion, and the
			// revocations that answer a replayed code or refresh token.
			oauthErr = err
			return nil
		}
		sess, _ := ar.GetSession().(*Session)
		client, _ := ar.GetClient().(*Client)
		if sess == nil || client == nil {
			return errors.New("authz: token request without a Procura session or client")
		}
		d := delegationOf(sess)
		kind, actor := serviceActor(client.ID)
		step := ar.GetGrantTypes()[0]
		if err := p.checkPermission(ctx, client, d); err != nil {
			if !refusal(err) {
				return err
			}
			oauthErr = errPermissionRefused
			defer p.metrics.DelegatedLogin(step, false)
			return p.recordRefusal(ctx, kind, actor, d, client.ID, step, err)
		}
		if resp, err = p.fosite.NewAccessResponse(ctx, ar); err != nil {
			oauthErr = err
			return errAbort
		}
		if err := p.store.flush(ctx); err != nil {
			return err
		}
		return p.recordDelegation(ctx, audit.ActionTokenIssued, kind, actor, d, client.ID,
			map[string]string{"grant_type": step})
	})
	switch {
	case err != nil && !errors.Is(err, errAbort):
		p.logInternal(ctx, "authz: token", err)
		writeServerError(w, err)
	case oauthErr != nil:
		p.writeTokenError(ctx, w, ar, oauthErr)
	default:
		p.metrics.DelegatedLogin(ar.GetGrantTypes()[0], true)
		p.fosite.WriteAccessResponse(ctx, w, ar, resp)
	}
}

// writeTokenError writes an error of the token endpoint (RFC 6749 §5.2).
// A reused client assertion is invalid_client (RFC 7523 §3.2); a failed
// client authentication carries WWW-Authenticate (RFC 6749 §5.2).
func (p *Provider) writeTokenError(ctx context.Context, w http.ResponseWriter, ar fosite.AccessRequester, err error) {
	if errors.Is(err, fosite.ErrJTIKnown) {
		err = fosite.ErrInvalidClient.WithHint("The client assertion was already used (jti).")
	}
	if rfc := fosite.ErrorToRFC6749Error(err); rfc.CodeField >= http.StatusInternalServerError {
		p.logInternal(ctx, "authz: token", fmt.Errorf("%w: %s", err, rfc.DebugField))
		writeServerError(w, err)
		return
	}
	if errors.Is(err, fosite.ErrInvalidClient) {
		w.Header().Set("WWW-Authenticate", `Basic realm="procura"`)
	}
	if ar == nil {
		ar = fosite.NewAccessRequest(nil)
	}
	p.fosite.WriteAccessError(ctx, w, ar, err)
}
