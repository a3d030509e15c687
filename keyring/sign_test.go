package keyring_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/keyring"
)

// sign signs payload with the current key of p and alg.
func sign(t testing.TB, k *keyring.Keyring, p keyring.Purpose, alg jose.SignatureAlgorithm, payload string) (compact, kid string) {
	t.Helper()
	s, err := k.Signer(context.Background(), p, alg)
	if err != nil {
		t.Fatal(err)
	}
	compact, err = s.Sign([]byte(payload), "JWT")
	if err != nil {
		t.Fatal(err)
	}
	return compact, s.KeyID()
}

func TestSignVerifyRoundTrip(t *testing.T) {
	cases := []struct {
		purpose keyring.Purpose
		alg     jose.SignatureAlgorithm
	}{
		{keyring.PurposeOIDC, jose.ES256},
		{keyring.PurposeOIDC, jose.RS256},
		{keyring.PurposeMandate, jose.ES256},
		{keyring.PurposeMandate, jose.EdDSA},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		k, _ := newKeyring(t, d, newClock())
		ctx := context.Background()
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%s", tc.purpose, tc.alg), func(t *testing.T) {
				key, err := k.Ensure(ctx, tc.purpose, tc.alg)
				if err != nil {
					t.Fatal(err)
				}
				payload := `{"sub":"usager-1","n":"` + string(tc.alg) + `"}`
				compact, kid := sign(t, k, tc.purpose, tc.alg, payload)
				if kid != key.KID {
					t.Errorf("signed with %s, want the ensured key %s", kid, key.KID)
				}
				jws, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{tc.alg})
				if err != nil {
					t.Fatal(err)
				}
				h := jws.Signatures[0].Protected
				if h.KeyID != key.KID || h.Algorithm != string(tc.alg) || h.ExtraHeaders["typ"] != "JWT" {
					t.Errorf("protected header = %+v", h)
				}
				got, gotKID, err := k.Verify(ctx, tc.purpose, compact)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != payload || gotKID != key.KID {
					t.Errorf("Verify = %s, %s; want %s, %s", got, gotKID, payload, key.KID)
				}
				// The published key verifies it too, as a relying party would.
				set, err := k.PublicJWKS(ctx, tc.purpose)
				if err != nil {
					t.Fatal(err)
				}
				pub := set.Key(key.KID)
				if len(pub) != 1 || !pub[0].IsPublic() || pub[0].Algorithm != string(tc.alg) || pub[0].Use != "sig" {
					t.Fatalf("JWKS entry for %s = %+v", key.KID, pub)
				}
				if _, err := jws.Verify(pub[0]); err != nil {
					t.Errorf("published key does not verify: %v", err)
				}
			})
		}
		// A key verifies only for its own purpose.
		compact, _ := sign(t, k, keyring.PurposeMandate, jose.ES256, "{}")
		if _, _, err := k.Verify(ctx, keyring.PurposeOIDC, compact); !errors.Is(err, keyring.ErrUnknownKey) {
			t.Errorf("mandate token verified as oidc: %v", err)
		}
	})
}

func TestRotateKeepsOldTokensValid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		k, j := newKeyring(t, d, c)
		ctx := context.Background()
		first, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := sign(t, k, keyring.PurposeOIDC, jose.ES256, `{"n":1}`)

		second, err := k.Rotate(ctx, operator(t), keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		if second.KID == first.KID || second.Generation != 2 {
			t.Fatalf("Rotate = %+v after %+v", second, first)
		}
		// Same instant as the first key: the generation decides.
		fresh, kid := sign(t, k, keyring.PurposeOIDC, jose.ES256, `{"n":2}`)
		if kid != second.KID {
			t.Errorf("after Rotate signs with %s, want %s", kid, second.KID)
		}
		for _, tok := range []struct{ compact, kid string }{{old, first.KID}, {fresh, second.KID}} {
			if _, got, err := k.Verify(ctx, keyring.PurposeOIDC, tok.compact); err != nil || got != tok.kid {
				t.Errorf("Verify = %s, %v; want %s", got, err, tok.kid)
			}
		}
		assertJWKS(t, k, keyring.PurposeOIDC, second.KID, first.KID)

		got := entriesFor(t, j, audit.ActionKeyRotated, second.KID)
		if len(got) != 1 || got[0].ActorKind != audit.ActorOperator || got[0].ActorID != operator(t).ID || got[0].Details["generation"] != "2" {
			t.Errorf("key.rotated entries = %+v", got)
		}
	})
}

// assertJWKS checks the published kids, in order.
func assertJWKS(t *testing.T, k *keyring.Keyring, p keyring.Purpose, kids ...string) {
	t.Helper()
	set, err := k.PublicJWKS(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, key := range set.Keys {
		got = append(got, key.KeyID)
		if !key.IsPublic() || key.Use != "sig" || key.Algorithm == "" {
			t.Errorf("published %+v", key)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(kids) {
		t.Errorf("JWKS kids = %v, want %v", got, kids)
	}
}

func TestRetire(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		k, j := newKeyring(t, d, c)
		ctx := context.Background()
		first, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := sign(t, k, keyring.PurposeOIDC, jose.ES256, "{}")

		// The only key, which signs now, cannot be retired.
		if err := k.Retire(ctx, operator(t), first.KID); !errors.Is(err, keyring.ErrRetireCurrent) {
			t.Fatalf("retiring the only key = %v, want ErrRetireCurrent", err)
		}
		c.Advance(time.Minute)
		second, err := k.Rotate(ctx, operator(t), keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Retire(ctx, operator(t), second.KID); !errors.Is(err, keyring.ErrRetireCurrent) {
			t.Errorf("retiring the current key = %v, want ErrRetireCurrent", err)
		}
		c.Advance(time.Hour)
		if err := k.Retire(ctx, operator(t), first.KID); err != nil {
			t.Fatal(err)
		}

		if _, _, err := k.Verify(ctx, keyring.PurposeOIDC, old); !errors.Is(err, keyring.ErrKeyRetired) || !errors.Is(err, keyring.ErrInvalidSignature) {
			t.Errorf("token of a retired key = %v, want ErrKeyRetired", err)
		}
		assertJWKS(t, k, keyring.PurposeOIDC, second.KID)
		if _, kid := sign(t, k, keyring.PurposeOIDC, jose.ES256, "{}"); kid != second.KID {
			t.Errorf("signs with %s after retirement, want %s", kid, second.KID)
		}
		keys, err := k.Keys(ctx, keyring.PurposeOIDC)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[1].KID != first.KID || keys[1].RetiredAt == nil || !keys[1].RetiredAt.Equal(c.Now()) || keys[0].RetiredAt != nil {
			t.Errorf("Keys = %+v", keys)
		}

		if err := k.Retire(ctx, operator(t), first.KID); !errors.Is(err, keyring.ErrAlreadyRetired) {
			t.Errorf("retiring twice = %v, want ErrAlreadyRetired", err)
		}
		if err := k.Retire(ctx, operator(t), "no-such-kid"); !errors.Is(err, keyring.ErrKeyNotFound) {
			t.Errorf("retiring an unknown kid = %v, want ErrKeyNotFound", err)
		}
		got := entriesFor(t, j, audit.ActionKeyRetired, first.KID)
		if len(got) != 1 || got[0].ActorID != operator(t).ID {
			t.Errorf("key.retired entries = %+v", got)
		}
	})
}

func TestInstancesConvergeAfterRotate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		a, _ := newKeyring(t, d, c)
		b, _ := instance(t, d, c)
		ctx := context.Background()
		first, err := a.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		byFirst, kid := sign(t, b, keyring.PurposeOIDC, jose.ES256, "{}")
		if kid != first.KID {
			t.Fatalf("b signs with %s, want %s", kid, first.KID)
		}

		second, err := a.Rotate(ctx, operator(t), keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		// b publishes and verifies a's new key at once…
		fromA, _ := sign(t, a, keyring.PurposeOIDC, jose.ES256, "{}")
		if _, kid, err := b.Verify(ctx, keyring.PurposeOIDC, fromA); err != nil || kid != second.KID {
			t.Errorf("b.Verify(token of a's new key) = %s, %v", kid, err)
		}
		assertJWKS(t, b, keyring.PurposeOIDC, second.KID, first.KID)
		// …and signs with it after RefreshInterval at most, without a
		// restart; until then it reads no database to sign.
		c.Advance(keyring.RefreshInterval - time.Second)
		if _, kid := sign(t, b, keyring.PurposeOIDC, jose.ES256, "{}"); kid != first.KID {
			t.Errorf("b re-read the current key before RefreshInterval: signs with %s", kid)
		}
		c.Advance(time.Second)
		if _, kid := sign(t, b, keyring.PurposeOIDC, jose.ES256, "{}"); kid != second.KID {
			t.Errorf("after RefreshInterval b signs with %s, want %s", kid, second.KID)
		}

		// A retirement on b stops verification on a at once.
		c.Advance(time.Hour)
		if _, _, err := a.Verify(ctx, keyring.PurposeOIDC, byFirst); err != nil {
			t.Fatal(err)
		}
		if err := b.Retire(ctx, operator(t), first.KID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Verify(ctx, keyring.PurposeOIDC, byFirst); !errors.Is(err, keyring.ErrKeyRetired) {
			t.Errorf("a.Verify(token of a key retired on b) = %v, want ErrKeyRetired", err)
		}
		assertJWKS(t, a, keyring.PurposeOIDC, second.KID)
	})
}

func TestSignerWarmReadsNoDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if d.Dialect == db.Postgres {
			// A handle of our own, to close under the keyring.
			own, err := db.Open(context.Background(), dbtest.PostgresURL(t))
			if err != nil {
				t.Fatal(err)
			}
			d = own
		}
		c := newClock()
		k, _ := newKeyring(t, d, c)
		ctx := context.Background()
		key, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256)
		if err != nil {
			t.Fatal(err)
		}
		sign(t, k, keyring.PurposeOIDC, jose.ES256, "{}")
		d.Close()
		if _, kid := sign(t, k, keyring.PurposeOIDC, jose.ES256, "{}"); kid != key.KID {
			t.Errorf("signed with %s, want %s", kid, key.KID)
		}
		// Stale, with the database gone: it goes on with the key it knows.
		c.Advance(2 * keyring.RefreshInterval)
		if _, kid := sign(t, k, keyring.PurposeOIDC, jose.ES256, "{}"); kid != key.KID {
			t.Errorf("stale: signed with %s, want %s", kid, key.KID)
		}
	})
}

func TestConcurrentSigningDuringRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := newClock()
		k, _ := newKeyring(t, d, c)
		ctx := context.Background()
		if _, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				for i := range 50 {
					s, err := k.Signer(ctx, keyring.PurposeOIDC, jose.ES256)
					if err != nil {
						errs <- err
						return
					}
					compact, err := s.Sign([]byte(`{"i":1}`), "JWT")
					if err != nil {
						errs <- err
						return
					}
					if i%10 == 0 {
						if _, _, err := k.Verify(ctx, keyring.PurposeOIDC, compact); err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
		for range 3 {
			if _, err := k.Rotate(ctx, operator(t), keyring.PurposeOIDC, jose.ES256); err != nil {
				t.Error(err)
			}
			c.Advance(keyring.RefreshInterval)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func BenchmarkSignES256(b *testing.B) {
	d := dbtest.SQLite(b)
	k, _ := newKeyring(b, d, newClock())
	ctx := context.Background()
	if _, err := k.Ensure(ctx, keyring.PurposeOIDC, jose.ES256); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"iss":"https://procura.example","sub":"3f1c…","aud":"service","exp":1795000000,"iat":1794999700,"nonce":"n-0S6_WzA2Mj","acr":"eidas1","rep_scope":["Logement"],"act":{"sub":"a1","org":"12345678901234"}}`)
	sign(b, k, keyring.PurposeOIDC, jose.ES256, "{}") // warm
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s, err := k.Signer(ctx, keyring.PurposeOIDC, jose.ES256)
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := s.Sign(payload, "JWT"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
