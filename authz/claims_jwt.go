package authz

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// jwtSigner signs the provider's JWTs (ID tokens, signed UserInfo
// responses) with the oidc keys, and verifies them (id_token_hint).
//
// It is fosite's OpenIDConnectTokenStrategy: fosite's default one signs
// every ID token with a single key; Procura signs with the algorithm the
// client registered (ES256 by default, RS256 on request) and the keyring
// names the key in kid, so keys rotate without breaking anything already
// signed. It is also the jwt.Signer with which fosite's OpenID Connect
// request validator decodes an id_token_hint.
type jwtSigner struct {
	keys   Keys
	issuer string
	now    func() time.Time
}

var (
	_ openid.OpenIDConnectTokenStrategy = (*jwtSigner)(nil)
	_ jwt.Signer                        = (*jwtSigner)(nil)
)

// GenerateIDToken signs the ID token of requester's session. fosite calls
// it at the token endpoint, after it set at_hash.
func (s *jwtSigner) GenerateIDToken(ctx context.Context, lifespan time.Duration, requester fosite.Requester) (string, error) {
	sess, ok := requester.GetSession().(*Session)
	client, ok2 := requester.GetClient().(*Client)
	if !ok || !ok2 || sess.IDTokenClaims().Subject == "" {
		return "", fosite.ErrServerError.WithDebug("authz: ID token for a request without a Procura session, client or subject")
	}
	claims := idTokenClaims(s.issuer, sess, client, s.now().UTC(), lifespan)
	return s.sign(ctx, client.IDTokenSignedResponseAlg, claims)
}

// sign signs claims with the current key of alg (ES256 when empty).
func (s *jwtSigner) sign(ctx context.Context, alg string, claims map[string]any) (string, error) {
	if alg == "" {
		alg = AlgES256
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	token, err := s.keys.Sign(ctx, alg, payload, "JWT")
	if err != nil {
		return "", fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	return token, nil
}

// errHintIssuer is a JWT of one of our keys with another issuer.
var errHintIssuer = errors.New("authz: the JWT was not issued by this provider")

// verify checks that token is a JWT signed by one of the non-retired oidc
// keys, with iss this issuer, and returns its claims. It does not check
// time: an expired ID token is still a valid id_token_hint (OpenID Connect
// Core 1.0 §3.1.2.1, RP-Initiated Logout 1.0 §2).
func (s *jwtSigner) verify(ctx context.Context, token string) (jwt.MapClaims, error) {
	payload, err := s.keys.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	claims := jwt.MapClaims{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("authz: JWT claims: %w", err)
	}
	if iss, _ := claims["iss"].(string); iss != s.issuer {
		return nil, errHintIssuer
	}
	return claims, nil
}

// Generate signs claims with the default algorithm; fosite's OpenID
// Connect handlers composed here do not call it.
func (s *jwtSigner) Generate(ctx context.Context, claims jwt.MapClaims, _ jwt.Mapper) (string, string, error) {
	token, err := s.sign(ctx, AlgES256, claims)
	if err != nil {
		return "", "", err
	}
	sig, err := s.GetSignature(ctx, token)
	return token, sig, err
}

// Validate checks token's signature and issuer, and returns its signature.
func (s *jwtSigner) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.verify(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// Decode returns the verified claims of token; for an expired token, the
// token with a jwt.ValidationError flagged expired, which fosite accepts
// for an id_token_hint.
func (s *jwtSigner) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	claims, err := s.verify(ctx, token)
	if err != nil {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorSignatureInvalid, Inner: err}
	}
	t := &jwt.Token{Claims: claims, Header: map[string]any{}}
	if err := claims.Valid(); err != nil {
		return t, err
	}
	return t, nil
}

func (s *jwtSigner) Hash(_ context.Context, in []byte) ([]byte, error) {
	sum := sha256.Sum256(in)
	return sum[:], nil
}

func (s *jwtSigner) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("authz: not a compact JWS")
	}
	return parts[2], nil
}

func (s *jwtSigner) GetSigningMethodLength(context.Context) int { return sha256.Size }
