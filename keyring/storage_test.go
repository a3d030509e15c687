package keyring_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"procura/db"
	"procura/db/dbtest"
	"procura/keyring"
	"procura/seal"
)

type storedKey struct {
	KID        string `gorm:"column:kid"`
	Purpose    string
	Alg        string
	PrivateKey []byte
	PublicJWK  string `gorm:"column:public_jwk"`
}

func storedKeys(t *testing.T, d *db.DB) []storedKey {
	t.Helper()
	var rows []storedKey
	err := d.Conn(context.Background()).
		Raw("SELECT kid, purpose, alg, private_key, public_jwk FROM signing_keys ORDER BY kid").Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// secretOf returns the secret scalar or seed of a private key.
func secretOf(t *testing.T, private any) []byte {
	t.Helper()
	switch k := private.(type) {
	case *ecdsa.PrivateKey:
		b, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return b
	case *rsa.PrivateKey:
		return k.D.Bytes()
	case ed25519.PrivateKey:
		return k.Seed()
	}
	t.Fatalf("unexpected key type %T", private)
	return nil
}

func TestPrivateKeysAreNeverInClear(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		k, _ := newKeyring(t, d, newClock())
		ctx := context.Background()
		for _, p := range []keyring.Purpose{keyring.PurposeOIDC, keyring.PurposeMandate} {
			for _, alg := range keyring.Algorithms(p) {
				if _, err := k.Ensure(ctx, p, alg); err != nil {
					t.Fatal(err)
				}
			}
		}
		sealer, err := seal.New(masterKey, "signing-key")
		if err != nil {
			t.Fatal(err)
		}
		rows := storedKeys(t, d)
		if len(rows) != 4 {
			t.Fatalf("%d rows, want 4", len(rows))
		}
		for i, r := range rows {
			if _, err := x509.ParsePKCS8PrivateKey(r.PrivateKey); err == nil {
				t.Errorf("%s: private_key is a PKCS #8 key in clear", r.KID)
			}
			der, err := sealer.Open(r.PrivateKey, keyring.SealContext(keyring.Purpose(r.Purpose), jose.SignatureAlgorithm(r.Alg), r.KID))
			if err != nil {
				t.Fatalf("%s: sealed key does not open: %v", r.KID, err)
			}
			private, err := x509.ParsePKCS8PrivateKey(der)
			if err != nil {
				t.Fatal(err)
			}
			secret := secretOf(t, private)
			if bytes.Contains(r.PrivateKey, secret) || bytes.Contains(r.PrivateKey, der) {
				t.Errorf("%s: the secret appears in private_key", r.KID)
			}
			if strings.Contains(r.PublicJWK, b64(secret)) {
				t.Errorf("%s: the secret appears in public_jwk", r.KID)
			}
			var jwk map[string]any
			if err := json.Unmarshal([]byte(r.PublicJWK), &jwk); err != nil {
				t.Fatal(err)
			}
			for _, member := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				if _, ok := jwk[member]; ok {
					t.Errorf("%s: public_jwk has private member %q", r.KID, member)
				}
			}
			// Bound to its row: it does not open as another key.
			other := rows[(i+1)%len(rows)]
			if _, err := sealer.Open(r.PrivateKey, keyring.SealContext(keyring.Purpose(other.Purpose), jose.SignatureAlgorithm(other.Alg), other.KID)); !errors.Is(err, seal.ErrOpen) {
				t.Errorf("%s opens as %s", r.KID, other.KID)
			}
		}
	})
}

func TestTamperedRowsAreRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		k, _ := newKeyring(t, d, c)
		ctx := context.Background()
		a, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		b, err := k.Ensure(ctx, keyring.PurposeMandate, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		token, _ := sign(t, k, keyring.PurposeOIDC, jose.ES256, "{}")

		// A database writer swaps in another key's sealed private key and
		// publishes a key of their own: without the master key, neither
		// signs, verifies nor gets published.
		foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		pub, _ := json.Marshal(jose.JSONWebKey{Key: foreign.Public(), KeyID: a.KID, Algorithm: "ES256", Use: "sig"})
		q := d.Conn(ctx)
		if err := q.Exec("UPDATE signing_keys SET private_key = (SELECT private_key FROM signing_keys WHERE kid = ?) WHERE kid = ?", b.KID, a.KID).Error; err != nil {
			t.Fatal(err)
		}
		fresh, _ := instance(t, d, c) // another server, nothing cached
		if _, _, err := fresh.Verify(ctx, keyring.PurposeOIDC, token); !errors.Is(err, keyring.ErrCorruptKey) {
			t.Errorf("Verify with a swapped sealed key = %v, want ErrCorruptKey", err)
		}
		if _, err := fresh.Signer(ctx, keyring.PurposeOIDC, jose.ES256); !errors.Is(err, keyring.ErrCorruptKey) {
			t.Errorf("Signer with a swapped sealed key = %v, want ErrCorruptKey", err)
		}
		if _, err := fresh.PublicJWKS(ctx, keyring.PurposeOIDC); !errors.Is(err, keyring.ErrCorruptKey) {
			t.Errorf("PublicJWKS with a swapped sealed key = %v, want ErrCorruptKey", err)
		}

		if err := q.Exec("UPDATE signing_keys SET public_jwk = ? WHERE kid = ?", string(pub), b.KID).Error; err != nil {
			t.Fatal(err)
		}
		fresh, _ = instance(t, d, c)
		if _, err := fresh.PublicJWKS(ctx, keyring.PurposeMandate); !errors.Is(err, keyring.ErrCorruptKey) {
			t.Errorf("PublicJWKS with a substituted public_jwk = %v, want ErrCorruptKey", err)
		}
	})
}
