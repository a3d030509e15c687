package franceconnect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// acceptedAlgs are the only signature algorithms accepted: FranceConnect
// signs with ES256 (RS256 is still offered to relying parties). Never none,
// never HMAC: an HS256 token "signed" with the provider's public key must not
// verify.
var acceptedAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// maxJWSLength bounds a token before any parsing.
const maxJWSLength = 64 << 10

// verifyJWS checks that raw is a compact JWS signed by one of the provider's
// keys, chosen by kid, and returns its payload.
func (c *Client) verifyJWS(ctx context.Context, what, raw string) ([]byte, error) {
	if raw == "" || len(raw) > maxJWSLength {
		return nil, fail(ErrMalformed, "%s: empty or longer than %d bytes", what, maxJWSLength)
	}
	switch strings.Count(raw, ".") {
	case 2:
	case 4:
		return nil, fail(ErrMalformed, "%s: encrypted (JWE); register the client without encryption", what)
	default:
		return nil, fail(ErrMalformed, "%s: not a compact JWS", what)
	}
	// Read alg before go-jose does, to tell a refused algorithm (an attack,
	// or a provider misconfiguration) from a token that does not parse.
	var head struct {
		Alg string `json:"alg"`
	}
	seg, _, _ := strings.Cut(raw, ".")
	hb, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil || json.Unmarshal(hb, &head) != nil {
		return nil, fail(ErrMalformed, "%s: header does not decode", what)
	}
	alg := jose.SignatureAlgorithm(head.Alg)
	if !slices.Contains(acceptedAlgs, alg) {
		return nil, fail(ErrSignature, "%s: algorithm %q refused (ES256 or RS256 only)", what, head.Alg)
	}
	jws, err := jose.ParseSignedCompact(raw, acceptedAlgs)
	if err != nil {
		return nil, fail(ErrMalformed, "%s: %v", what, err)
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := c.verificationKeys(ctx, kid, alg)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fail(ErrSignature, "%s: no %s key with kid %q in the provider's JWKS", what, alg, kid)
	}
	for _, k := range keys {
		if payload, err := jws.Verify(k); err == nil {
			return payload, nil
		}
	}
	return nil, fail(ErrSignature, "%s: signature does not verify (kid %q, %s)", what, kid, alg)
}

// jwtClaims are the registered claims of an ID token or a signed userinfo.
type jwtClaims struct {
	Issuer   string    `json:"iss"`
	Subject  string    `json:"sub"`
	Audience audience  `json:"aud"`
	AZP      string    `json:"azp"`
	Expiry   *unixTime `json:"exp"`
	IssuedAt *unixTime `json:"iat"`
	AuthTime *unixTime `json:"auth_time"`
	Nonce    string    `json:"nonce"`
	ACR      string    `json:"acr"`
	ATHash   string    `json:"at_hash"`
}

// audience is aud: one string or an array of strings (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		var list []string
		err := json.Unmarshal(b, &list)
		*a = list
		return err
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*a = audience{one}
	return nil
}

// unixTime is a NumericDate (RFC 7519 §2): seconds since the epoch.
type unixTime struct{ time.Time }

// maxUnix is 9999-12-31: later dates are nonsense, and their float64 would
// overflow time arithmetic.
const maxUnix = 253402300799

func (t *unixTime) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if math.IsNaN(f) || f < 0 || f > maxUnix {
		return errors.New("NumericDate out of range")
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

func decodeClaims(what string, payload []byte) (jwtClaims, error) {
	var cl jwtClaims
	if err := json.Unmarshal(payload, &cl); err != nil {
		return jwtClaims{}, fail(ErrMalformed, "%s: claims: %v", what, err)
	}
	return cl, nil
}

// checkAudience requires aud to name the client and, when it names others
// too, azp to be the client (OpenID Connect Core §3.1.3.7, steps 3 to 5).
func (c *Client) checkAudience(what string, cl jwtClaims) error {
	if !slices.Contains(cl.Audience, c.cfg.ClientID) {
		return fail(ErrAudience, "%s: aud %q does not contain the client id", what, []string(cl.Audience))
	}
	if (len(cl.Audience) > 1 || cl.AZP != "") && cl.AZP != c.cfg.ClientID {
		return fail(ErrAudience, "%s: azp %q is not the client id", what, cl.AZP)
	}
	return nil
}

// atHash is the at_hash of an access token for ES256 and RS256: the left
// half of its SHA-256, base64url (OpenID Connect Core §3.1.3.6).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
