package demoservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// maxUserinfoSize bounds what is read of a UserInfo response.
const maxUserinfoSize = 64 << 10

// fetchUserinfo reads the UserInfo endpoint (OpenID Connect Core 1.0 §5.3)
// with the access token. Procura answers in JSON, or in a signed JWT for a
// client registered with userinfo_signed_response_alg. The client library
// reads only JSON, so the request is made here; a JWT is verified with the
// library's key set of the provider's JWKS, the one that verified the ID
// token. It returns the claims and a French description of the format.
func (s *Service) fetchUserinfo(ctx context.Context, party rp.RelyingParty, accessToken, subject string) (*oidc.UserInfo, string, error) {
	endpoint := party.UserinfoEndpoint()
	if endpoint == "" {
		return nil, "", errors.New("no userinfo_endpoint in the provider's metadata")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/jwt, application/json")
	resp, err := party.HttpClient().Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserinfoSize+1))
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("userinfo: status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if len(body) > maxUserinfoSize {
		return nil, "", errors.New("userinfo: response too large")
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var info oidc.UserInfo
	format := "JSON"
	switch mediaType {
	case "application/json":
		if err := json.Unmarshal(body, &info); err != nil {
			return nil, "", fmt.Errorf("userinfo: %w", err)
		}
	case "application/jwt":
		alg, err := s.verifyUserinfoJWT(ctx, party, string(body), &info)
		if err != nil {
			return nil, "", err
		}
		format = "JWT signé, " + alg + ", vérifié avec le JWKS de Procura"
	default:
		return nil, "", fmt.Errorf("userinfo: unexpected Content-Type %q", resp.Header.Get("Content-Type"))
	}
	// §5.3.2: the sub of UserInfo must be that of the ID token, or the
	// response must not be used.
	if info.Subject != subject {
		return nil, "", rp.ErrUserInfoSubNotMatching
	}
	return &info, format, nil
}

// verifyUserinfoJWT checks a signed UserInfo response (§5.3.2): a JWS with
// an algorithm the provider signs ID tokens with, by a key of its JWKS,
// whose claims include iss (the issuer) and aud (this client).
func (s *Service) verifyUserinfoJWT(ctx context.Context, party rp.RelyingParty, token string, info *oidc.UserInfo) (string, error) {
	verifier := party.IDTokenVerifier()
	algs := []jose.SignatureAlgorithm{jose.ES256, jose.RS256}
	if len(verifier.SupportedSignAlgs) > 0 {
		algs = algs[:0]
		for _, a := range verifier.SupportedSignAlgs {
			algs = append(algs, jose.SignatureAlgorithm(a))
		}
	}
	jws, err := jose.ParseSignedCompact(token, algs)
	if err != nil {
		return "", fmt.Errorf("userinfo JWT: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return "", errors.New("userinfo JWT: want exactly one signature")
	}
	payload, err := verifier.KeySet.VerifySignature(ctx, jws)
	if err != nil {
		return "", fmt.Errorf("userinfo JWT: %w", err)
	}
	var envelope struct {
		Issuer   string        `json:"iss"`
		Audience oidc.Audience `json:"aud"`
	}
	if err := json.Unmarshal(payload, &envelope); err != nil {
		return "", fmt.Errorf("userinfo JWT: %w", err)
	}
	if envelope.Issuer != s.cfg.Issuer {
		return "", fmt.Errorf("userinfo JWT: iss %q, want %q", envelope.Issuer, s.cfg.Issuer)
	}
	if !slices.Contains(envelope.Audience, s.cfg.ClientID) {
		return "", fmt.Errorf("userinfo JWT: aud %q lacks this client", envelope.Audience)
	}
	if err := json.Unmarshal(payload, info); err != nil {
		return "", fmt.Errorf("userinfo JWT: %w", err)
	}
	return jws.Signatures[0].Header.Algorithm, nil
}
