package keyring_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"procura/db"
	"procura/db/dbtest"
	"procura/keyring"
)

// withHeader replaces the protected header of compact, keeping its payload
// and signature.
func withHeader(t testing.TB, compact string, h map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(compact, ".")
	return b64(raw) + "." + parts[1] + "." + parts[2]
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// foreignSign signs payload with a key Procura does not hold, naming kid.
func foreignSign(t testing.TB, private any, alg jose.SignatureAlgorithm, kid, payload string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: private, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	compact, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return compact
}

func TestVerifyRefuses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		k, _ := newKeyring(t, d, newClock())
		ctx := context.Background()
		es, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.RS256); err != nil {
			t.Fatal(err)
		}
		good, _ := sign(t, k, keyring.PurposeOIDC, jose.ES256, `{"sub":"usager-1"}`)
		goodRS, _ := sign(t, k, keyring.PurposeOIDC, jose.RS256, `{"sub":"usager-1"}`)
		parts := strings.Split(good, ".")

		cases := []struct {
			name    string
			compact func(t *testing.T) string
			allowed []jose.SignatureAlgorithm
			want    error
		}{
			{"tampered payload", func(t *testing.T) string {
				return parts[0] + "." + b64([]byte(`{"sub":"usager-2"}`)) + "." + parts[2]
			}, nil, keyring.ErrBadSignature},
			{"tampered signature", func(t *testing.T) string {
				sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
				sig[10] ^= 1
				return parts[0] + "." + parts[1] + "." + b64(sig)
			}, nil, keyring.ErrBadSignature},
			{"signature of another token", func(t *testing.T) string {
				other, _ := sign(t, k, keyring.PurposeOIDC, jose.ES256, `{"sub":"usager-2"}`)
				return parts[0] + "." + parts[1] + "." + strings.Split(other, ".")[2]
			}, nil, keyring.ErrBadSignature},
			{"alg none", func(t *testing.T) string {
				h := b64([]byte(`{"alg":"none","kid":"` + es.KID + `"}`))
				return h + "." + parts[1] + "."
			}, nil, keyring.ErrAlgNotAllowed},
			{"alg none, keeping the signature", func(t *testing.T) string {
				return withHeader(t, good, map[string]any{"alg": "none", "kid": es.KID})
			}, nil, keyring.ErrAlgNotAllowed},
			{"HS256 keyed with the public key", func(t *testing.T) string {
				set, _ := k.PublicJWKS(ctx, keyring.PurposeOIDC)
				secret, _ := json.Marshal(set.Key(es.KID)[0])
				return foreignSign(t, secret, jose.HS256, es.KID, `{"sub":"usager-1"}`)
			}, nil, keyring.ErrAlgNotAllowed},
			{"foreign key with a known kid", func(t *testing.T) string {
				priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				return foreignSign(t, priv, jose.ES256, es.KID, `{"sub":"usager-1"}`)
			}, nil, keyring.ErrBadSignature},
			{"RS256 header on an ES256 key", func(t *testing.T) string {
				priv, _ := rsa.GenerateKey(rand.Reader, 2048)
				return foreignSign(t, priv, jose.RS256, es.KID, `{"sub":"usager-1"}`)
			}, nil, keyring.ErrAlgMismatch},
			{"unknown kid", func(t *testing.T) string {
				priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				return foreignSign(t, priv, jose.ES256, "b3dKUdpPcYsxWc0HcE7bhV8DqO2xrJ4JnoBD0x9dUIE", `{}`)
			}, nil, keyring.ErrUnknownKey},
			{"no kid", func(t *testing.T) string {
				return withHeader(t, good, map[string]any{"alg": "ES256"})
			}, nil, keyring.ErrUnknownKey},
			{"alg outside the allowed ones", func(t *testing.T) string { return goodRS }, []jose.SignatureAlgorithm{jose.ES256}, keyring.ErrAlgNotAllowed},
			{"crit header", func(t *testing.T) string {
				return withHeader(t, good, map[string]any{"alg": "ES256", "kid": es.KID, "crit": []string{"exp"}, "exp": 1})
			}, nil, keyring.ErrMalformed},
			{"two parts", func(t *testing.T) string { return parts[0] + "." + parts[1] }, nil, keyring.ErrMalformed},
			{"JSON serialization", func(t *testing.T) string {
				return `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`
			}, nil, keyring.ErrMalformed},
			{"header not base64", func(t *testing.T) string { return "!!." + parts[1] + "." + parts[2] }, nil, keyring.ErrMalformed},
			{"payload not base64", func(t *testing.T) string { return parts[0] + ".!!." + parts[2] }, nil, keyring.ErrMalformed},
			{"empty", func(t *testing.T) string { return "" }, nil, keyring.ErrMalformed},
			{"huge", func(t *testing.T) string { return parts[0] + "." + strings.Repeat("A", 70_000) + "." + parts[2] }, nil, keyring.ErrMalformed},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				payload, kid, err := k.Verify(ctx, keyring.PurposeOIDC, tc.compact(t), tc.allowed...)
				if !errors.Is(err, tc.want) || !errors.Is(err, keyring.ErrInvalidSignature) {
					t.Fatalf("Verify = %q, %q, %v; want %v", payload, kid, err, tc.want)
				}
				if payload != nil || kid != "" {
					t.Errorf("a refusal returned %q, %q", payload, kid)
				}
			})
		}
		if _, _, err := k.Verify(ctx, keyring.PurposeOIDC, good, jose.EdDSA); !errors.Is(err, keyring.ErrUnsupportedAlg) {
			t.Errorf("Verify allowing EdDSA for oidc = %v, want ErrUnsupportedAlg", err)
		}
	})
}

func FuzzVerify(f *testing.F) {
	d := dbtest.SQLite(f)
	k, _ := newKeyring(f, d, newClock())
	ctx := context.Background()
	key, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := sign(f, k, keyring.PurposeOIDC, jose.ES256, `{"sub":"usager-1"}`)
	f.Add(good)
	f.Add(withHeader(f, good, map[string]any{"alg": "none", "kid": key.KID}))
	f.Add(withHeader(f, good, map[string]any{"alg": "ES256", "kid": key.KID, "b64": false, "crit": []string{"b64"}}))
	f.Add("eyJhbGciOiJFUzI1NiJ9..")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, compact string) {
		payload, kid, err := k.Verify(ctx, keyring.PurposeOIDC, compact)
		if err != nil {
			if !errors.Is(err, keyring.ErrInvalidSignature) {
				t.Fatalf("Verify(%q) = %v, not a refusal", compact, err)
			}
			return
		}
		if kid != key.KID || payload == nil {
			t.Fatalf("Verify(%q) accepted kid %q", compact, kid)
		}
	})
}
