package franceconnect

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func archivedKeyPair(t *testing.T, kid string) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return priv, doc
}

func signIDToken(t *testing.T, priv *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := obj.CompactSerialize()
	return out
}

// An ID token received years ago, long expired, still verifies against the
// key set archived when it was received, and against no other.
func TestVerifyArchived(t *testing.T) {
	priv, jwks := archivedKeyPair(t, "k2019")
	issued := time.Date(2019, 3, 1, 10, 0, 0, 0, time.UTC)
	token := signIDToken(t, priv, "k2019", map[string]any{"iss": "https://fc.example/api/v2", "sub": "abc", "aud": "procura",
		"iat": issued.Unix(), "exp": issued.Add(time.Minute).Unix(), "auth_time": issued.Unix(), "acr": "eidas1"})
	got, err := VerifyArchived(token, jwks)
	if err != nil {
		t.Fatalf("VerifyArchived: %v", err)
	}
	if got.Issuer != "https://fc.example/api/v2" || got.Subject != "abc" || !got.IssuedAt.Equal(issued) || got.KeyID != "k2019" {
		t.Errorf("claims = %+v", got)
	}
	_, rotated := archivedKeyPair(t, "k2019") // same kid, another key: the provider rotated
	if _, err := VerifyArchived(token, rotated); !errors.Is(err, ErrArchivedSignature) {
		t.Errorf("with another key set: %v, want ErrArchivedSignature", err)
	}
	for _, tt := range []struct{ token, jwks string }{
		{"", string(jwks)}, {"a.b.c", string(jwks)}, {token, "not json"}, {token, `{"keys":[]}`}, {token[:len(token)-4] + "AAAA", string(jwks)},
	} {
		if _, err := VerifyArchived(tt.token, []byte(tt.jwks)); err == nil {
			t.Errorf("VerifyArchived(%.20q, %.20q) accepted", tt.token, tt.jwks)
		}
	}
}
