package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"procura/db"
	"procura/db/dbtest"
	"procura/problem"
)

func TestClients(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		hasher := SecretHasher{}

		if len(f.secret) != 43 {
			t.Errorf("secret: got %d characters, want 43 (256 bits, base64url)", len(f.secret))
		}
		got, err := f.store.GetClient(ctx, f.client.ID)
		if err != nil {
			t.Fatalf("GetClient: %v", err)
		}
		c := got.(*Client)
		if c.Name != "Service de test" || !slices.Equal(c.RedirectURIs, f.client.RedirectURIs) ||
			!slices.Equal(c.Procedures, []string{"social"}) || !c.PKCERequired ||
			c.TokenEndpointAuthMethod != AuthMethodSecretBasic || c.IDTokenSignedResponseAlg != AlgES256 ||
			!c.GetGrantTypes().Has("authorization_code", "refresh_token") || !c.GetResponseTypes().ExactOne("code") {
			t.Errorf("GetClient: got %+v", c)
		}
		if err := hasher.Compare(ctx, c.GetHashedSecret(), []byte(f.secret)); err != nil {
			t.Errorf("the secret returned at creation does not match: %v", err)
		}
		if err := hasher.Compare(ctx, c.GetHashedSecret(), []byte(f.secret+"x")); err == nil {
			t.Error("a wrong secret matched")
		}

		keyClient, secret, err := f.store.CreateClient(ctx, ClientRegistration{
			Name:                        "Service à clé",
			RedirectURIs:                []string{"http://localhost:8081/callback"},
			PostLogoutRedirectURIs:      []string{"http://localhost:8081/"},
			TokenEndpointAuthMethod:     AuthMethodPrivateKeyJWT,
			TokenEndpointAuthSigningAlg: AlgES256,
			JWKS:                        publicJWKS(t),
			UserinfoSignedResponseAlg:   AlgES256,
			PKCEOptional:                true,
			FranceConnectCompat:         true,
			Procedures:                  []string{"papiers", "famille"},
		})
		if err != nil {
			t.Fatalf("CreateClient private_key_jwt: %v", err)
		}
		if secret != "" || keyClient.SecretHash != nil {
			t.Errorf("private_key_jwt client: got secret %q, hash %x; want none", secret, keyClient.SecretHash)
		}
		loaded, err := f.store.LoadClient(ctx, keyClient.ID)
		if err != nil {
			t.Fatalf("LoadClient: %v", err)
		}
		if loaded.GetJSONWebKeys() == nil || len(loaded.GetJSONWebKeys().Keys) != 1 ||
			loaded.GetTokenEndpointAuthMethod() != AuthMethodPrivateKeyJWT ||
			loaded.GetTokenEndpointAuthSigningAlgorithm() != AlgES256 || loaded.GetRequestObjectSigningAlgorithm() != AlgES256 ||
			loaded.PKCERequired || !loaded.FranceConnectCompat || loaded.UserinfoSignedResponseAlg != AlgES256 ||
			!loaded.ServesProcedure("famille") || loaded.ServesProcedure("social") ||
			!loaded.AllowsPostLogoutRedirect("http://localhost:8081/") || !slices.Contains(loaded.Scopes, "procedure:famille") {
			t.Errorf("LoadClient: got %+v", loaded)
		}
		if err := hasher.Compare(ctx, loaded.GetHashedSecret(), []byte("")); err == nil {
			t.Error("a client without a secret authenticated with an empty one")
		}

		if _, _, err := f.store.CreateClient(ctx, ClientRegistration{ID: keyClient.ID, Name: "Doublon",
			RedirectURIs: []string{"https://x.example/cb"}, Procedures: []string{"social"}}); !errors.Is(err, ErrClientExists) {
			t.Errorf("duplicate client id: got %v, want ErrClientExists", err)
		}

		if err := f.store.DisableClient(ctx, keyClient.ID); err != nil {
			t.Fatalf("DisableClient: %v", err)
		}
		if _, err := f.store.GetClient(ctx, keyClient.ID); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("disabled client: got %v, want ErrNotFound", err)
		}
		if err := f.store.DisableClient(ctx, "no-such-client"); !errors.Is(err, ErrClientNotFound) {
			t.Errorf("disabling an unknown client: got %v, want ErrClientNotFound", err)
		}
		all, err := f.store.ListClients(ctx)
		if err != nil {
			t.Fatalf("ListClients: %v", err)
		}
		var listed, listedDisabled bool
		for _, c := range all {
			listed = listed || c.ID == f.client.ID
			listedDisabled = listedDisabled || (c.ID == keyClient.ID && c.Disabled)
		}
		if !listed || !listedDisabled {
			t.Errorf("ListClients: got %d clients, want both, the second disabled", len(all))
		}
	})
}

func TestDisabledClientEndsItsTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		access := randomID(t, "at-")
		if err := f.store.CreateAccessTokenSession(ctx, access, f.newRequest(t, newDelegation(t))); err != nil {
			t.Fatal(err)
		}
		if err := f.store.DisableClient(ctx, f.client.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.GetAccessTokenSession(ctx, access, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("token of a disabled client: got %v, want ErrNotFound", err)
		}
	})
}

func publicJWKS(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func privateJWKS(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestClientRegistrationRefused(t *testing.T) {
	valid := func() ClientRegistration {
		return ClientRegistration{Name: "Service", RedirectURIs: []string{"https://s.example/cb"}, Procedures: []string{"social"}}
	}
	tests := []struct {
		name   string
		change func(r *ClientRegistration)
		want   string // in the safe message
	}{
		{"no name", func(r *ClientRegistration) { r.Name = " " }, "nom"},
		{"bad id", func(r *ClientRegistration) { r.ID = "a b" }, "Identifiant"},
		{"no redirect URI", func(r *ClientRegistration) { r.RedirectURIs = nil }, "redirection"},
		{"relative redirect URI", func(r *ClientRegistration) { r.RedirectURIs = []string{"/cb"} }, "redirection invalide"},
		{"fragment", func(r *ClientRegistration) { r.RedirectURIs = []string{"https://s.example/cb#x"} }, "redirection invalide"},
		{"plain http", func(r *ClientRegistration) { r.RedirectURIs = []string{"http://s.example/cb"} }, "non sécurisée"},
		{"plain http post-logout", func(r *ClientRegistration) { r.PostLogoutRedirectURIs = []string{"http://s.example/"} }, "non sécurisée"},
		{"no procedure", func(r *ClientRegistration) { r.Procedures = nil }, "démarche"},
		{"unknown procedure", func(r *ClientRegistration) { r.Procedures = []string{"banque"} }, "inconnue"},
		{"twice a procedure", func(r *ClientRegistration) { r.Procedures = []string{"social", "social"} }, "double"},
		{"implicit grant", func(r *ClientRegistration) { r.GrantTypes = []string{"implicit"} }, "non pris en charge"},
		{"no code grant", func(r *ClientRegistration) { r.GrantTypes = []string{"refresh_token"} }, "authorization_code"},
		{"no openid scope", func(r *ClientRegistration) { r.Scopes = []string{"profile"} }, "openid"},
		{"bad scope", func(r *ClientRegistration) { r.Scopes = []string{"openid", "a\"b"} }, "Portée"},
		{"HS256 id token", func(r *ClientRegistration) { r.IDTokenSignedResponseAlg = "HS256" }, "ID token"},
		{"none userinfo", func(r *ClientRegistration) { r.UserinfoSignedResponseAlg = "none" }, "UserInfo"},
		{"auth none", func(r *ClientRegistration) { r.TokenEndpointAuthMethod = "none" }, "Méthode"},
		{"keys for a secret client", func(r *ClientRegistration) { r.JWKS = publicJWKS(t) }, "private_key_jwt"},
		{"private_key_jwt without keys", func(r *ClientRegistration) { r.TokenEndpointAuthMethod = AuthMethodPrivateKeyJWT }, "l'un des deux"},
		{"private_key_jwt with both", func(r *ClientRegistration) {
			r.TokenEndpointAuthMethod, r.JWKS, r.JWKSURI = AuthMethodPrivateKeyJWT, publicJWKS(t), "https://s.example/jwks"
		}, "l'un des deux"},
		{"private key registered", func(r *ClientRegistration) {
			r.TokenEndpointAuthMethod, r.JWKS = AuthMethodPrivateKeyJWT, privateJWKS(t)
		}, "JWKS invalide"},
		{"http jwks_uri", func(r *ClientRegistration) {
			r.TokenEndpointAuthMethod, r.JWKSURI = AuthMethodPrivateKeyJWT, "http://s.example/jwks"
		}, "jwks_uri"},
		{"HS256 assertion", func(r *ClientRegistration) {
			r.TokenEndpointAuthMethod, r.JWKS, r.TokenEndpointAuthSigningAlg = AuthMethodPrivateKeyJWT, publicJWKS(t), "HS256"
		}, "assertion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.change(&r)
			_, err := r.client(time.Now())
			if err == nil {
				t.Fatal("got no error")
			}
			if problem.CodeOf(err) != problem.Invalid || !strings.Contains(problem.MessageOf(err), tt.want) {
				t.Errorf("got %v (%s), want an Invalid problem mentioning %q", err, problem.MessageOf(err), tt.want)
			}
		})
	}
	if _, err := valid().client(time.Now()); err != nil {
		t.Errorf("valid registration: %v", err)
	}
}

func TestPrivateKeyJWTAlgorithmFollowsTheKeys(t *testing.T) {
	s := newFixture(t, dbtest.SQLite(t)).store
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	jwks := func(pub any) string {
		b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k1", Use: "sig"}}})
		return string(b)
	}
	reg := func(alg, set string) ClientRegistration {
		return ClientRegistration{Name: "Service", RedirectURIs: []string{"https://s.example/cb"}, Procedures: []string{"social"},
			TokenEndpointAuthMethod: AuthMethodPrivateKeyJWT, TokenEndpointAuthSigningAlg: alg, JWKS: set}
	}
	for _, tt := range []struct {
		name, alg, set, want string
	}{
		{"EC key: ES256", "", jwks(&ec.PublicKey), AlgES256},
		{"RSA key: RS256", "", jwks(&rsaKey.PublicKey), AlgRS256},
		{"explicit PS256 with RSA", AlgPS256, jwks(&rsaKey.PublicKey), AlgPS256},
		{"ES256 without an EC key", AlgES256, jwks(&rsaKey.PublicKey), ""},
		{"RS256 without an RSA key", AlgRS256, jwks(&ec.PublicKey), ""},
	} {
		c, _, err := s.CreateClient(context.Background(), reg(tt.alg, tt.set))
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s: registered an unusable client", tt.name)
		case tt.want != "" && (err != nil || c.TokenEndpointAuthSigningAlg != tt.want):
			t.Errorf("%s: %v, %v; want %s", tt.name, c, err, tt.want)
		}
	}
}
