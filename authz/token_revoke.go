package authz

import (
	"context"
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"procura/audit"
)

// ServeRevoke answers POST PathRevoke (RFC 7009): an authenticated client
// revokes one of its access or refresh tokens, and with it every token of
// the same grant. A token that is unknown, already inactive or another
// client's is answered 200 and left as it is (§2.2: the client learns
// nothing about others' tokens). Revoking an active token is recorded as
// token.revoked, in the same transaction.
func (p *Provider) ServeRevoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.fosite.WriteRevocationResponse(ctx, w, fosite.ErrInvalidRequest)
		return
	}
	if err := p.checkClientCredentials(r); err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="procura"`)
		p.fosite.WriteRevocationResponse(ctx, w, err)
		return
	}
	var revokeErr error
	err := p.db.InTx(ctx, func(ctx context.Context) error {
		// Looked up first: fosite's revocation tells nothing of what it
		// revoked, and the entry needs the delegation.
		found, tokenType := p.activeToken(ctx, r.PostForm.Get("token"), r.PostForm.Get("token_type_hint"))
		revokeErr = p.fosite.NewRevocationRequest(ctx, r)
		if revokeErr != nil || found == nil {
			// fosite refuses another client's token (unauthorized_client)
			// before revoking anything.
			return nil
		}
		sess, _ := found.GetSession().(*Session)
		if sess == nil {
			return nil
		}
		clientID := found.GetClient().GetID()
		kind, actor := serviceActor(clientID)
		return p.recordDelegation(ctx, audit.ActionTokenRevoked, kind, actor, delegationOf(sess), clientID,
			map[string]string{"token_type": string(tokenType)})
	})
	if err == nil && revokeErr != nil && fosite.ErrorToRFC6749Error(revokeErr).CodeField >= http.StatusInternalServerError {
		err = revokeErr
	}
	if err != nil {
		p.logInternal(ctx, "authz: revoke", err)
		writeServerError(w, err)
		return
	}
	if errors.Is(revokeErr, fosite.ErrInvalidClient) {
		w.Header().Set("WWW-Authenticate", `Basic realm="procura"`)
	}
	p.fosite.WriteRevocationResponse(ctx, w, revokeErr)
}

// activeToken returns the request of token if it is an active access or
// refresh token (the hint only orders the look-ups, RFC 7009 §2.1), and
// which kind it is.
func (p *Provider) activeToken(ctx context.Context, token, hint string) (fosite.Requester, fosite.TokenType) {
	if token == "" {
		return nil, ""
	}
	lookups := []fosite.TokenType{fosite.RefreshToken, fosite.AccessToken}
	if fosite.TokenType(hint) == fosite.AccessToken {
		lookups[0], lookups[1] = lookups[1], lookups[0]
	}
	for _, tt := range lookups {
		var (
			req fosite.Requester
			err error
		)
		if tt == fosite.AccessToken {
			req, err = p.store.GetAccessTokenSession(ctx, p.tokens.AccessTokenSignature(ctx, token), NewSession())
		} else {
			req, err = p.store.GetRefreshTokenSession(ctx, p.tokens.RefreshTokenSignature(ctx, token), NewSession())
		}
		if err == nil {
			return req, tt
		}
	}
	return nil, ""
}
