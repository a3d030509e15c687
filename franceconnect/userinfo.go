package franceconnect

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"procura/identity"
)

// userinfo fetches and verifies the usager's claims (OpenID Connect Core
// §5.3). It returns the identity and the raw signed answer ("" if plain JSON
// was accepted).
func (c *Client) userinfo(ctx context.Context, meta *metadata, accessToken, sub string, now time.Time) (identity.Identity, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, meta.UserinfoEndpoint, nil)
	if err != nil {
		return identity.Identity{}, "", fail(ErrUnavailable, "userinfo request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/jwt, application/json")
	status, mediaType, body, err := c.do(req)
	switch {
	case err != nil:
		return identity.Identity{}, "", fail(ErrUnavailable, "userinfo endpoint: %v", err)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return identity.Identity{}, "", fail(ErrTokenRefused, "userinfo endpoint: status %d", status)
	case status >= 500:
		return identity.Identity{}, "", fail(ErrUnavailable, "userinfo endpoint: status %d", status)
	case status != http.StatusOK:
		return identity.Identity{}, "", fail(ErrMalformed, "userinfo endpoint: status %d", status)
	}

	var payload []byte
	var signed string
	switch mediaType {
	case "application/jwt":
		signed = strings.TrimSpace(string(body))
		if payload, err = c.verifyJWS(ctx, "userinfo", signed); err != nil {
			return identity.Identity{}, "", err
		}
	case "application/json":
		if !c.cfg.AllowUnsignedUserinfo {
			return identity.Identity{}, "", fail(ErrUnsignedUserinfo, "userinfo answered plain JSON; FranceConnect v2 signs it")
		}
		payload = body
	default:
		return identity.Identity{}, "", fail(ErrMalformed, "userinfo: content type %.100q", mediaType)
	}

	cl, err := decodeClaims("userinfo", payload)
	if err != nil {
		return identity.Identity{}, "", err
	}
	// A signed answer must say who signed it for whom (§5.3.2); a JSON one
	// came straight from the provider over TLS, but if it says, it must be
	// right.
	if signed != "" || cl.Issuer != "" {
		if cl.Issuer != c.cfg.Issuer {
			return identity.Identity{}, "", fail(ErrIssuer, "userinfo: iss %.200q is not the configured issuer", cl.Issuer)
		}
	}
	if signed != "" || len(cl.Audience) > 0 {
		if err := c.checkAudience("userinfo", cl); err != nil {
			return identity.Identity{}, "", err
		}
	}
	if cl.Expiry != nil && !now.Before(cl.Expiry.Add(ClockLeeway)) {
		return identity.Identity{}, "", fail(ErrTokenTime, "userinfo: exp past")
	}
	// §5.3.4: the sub of userinfo must be the ID token's, or the answer is
	// about someone else.
	if cl.Subject != sub {
		return identity.Identity{}, "", fail(ErrSubject, "userinfo: sub differs from the id_token's")
	}
	id, err := identityClaims(payload)
	if err != nil {
		return identity.Identity{}, "", err
	}
	id.Issuer, id.Sub = c.cfg.Issuer, sub
	return id, signed, nil
}

// identityClaims reads the identity claims of a userinfo payload. A claim
// that is absent or null is ""; any other non-string is an invalid claim.
// Unknown claims (given_name_array…) are ignored.
func identityClaims(payload []byte) (identity.Identity, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil {
		return identity.Identity{}, fail(ErrMalformed, "userinfo: %v", err)
	}
	var id identity.Identity
	for _, f := range []struct {
		claim string
		dst   *string
	}{
		{"given_name", &id.GivenName},
		{"family_name", &id.FamilyName},
		{"preferred_username", &id.PreferredUsername},
		{"birthdate", &id.Birthdate},
		{"gender", &id.Gender},
		{"birthplace", &id.Birthplace},
		{"birthcountry", &id.Birthcountry},
		{"email", &id.Email},
	} {
		v, ok := raw[f.claim]
		if !ok {
			continue
		}
		if err := json.Unmarshal(v, f.dst); err != nil { // null leaves ""
			return identity.Identity{}, identity.InvalidClaim(f.claim, "not a string")
		}
	}
	return id, nil
}
