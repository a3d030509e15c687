package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	oauth2h "github.com/ory/fosite/handler/oauth2"
	fositejwt "github.com/ory/fosite/token/jwt"
	"golang.org/x/oauth2"

	"procura/db"
	"procura/db/dbtest"
)

// provider is fosite composed as Procura composes it: only the factories
// of the authorization code flow with PKCE, OpenID Connect, refresh,
// revocation and introspection, on this package's storage.
type provider struct {
	fosite.OAuth2Provider
	key  *ecdsa.PrivateKey
	hmac *oauth2h.HMACSHAStrategy
}

func newProvider(t *testing.T, store *Store, issuer string) *provider {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	config := &fosite.Config{
		AccessTokenLifespan:   time.Hour,
		RefreshTokenLifespan:  24 * time.Hour,
		AuthorizeCodeLifespan: 10 * time.Minute,
		IDTokenLifespan:       time.Hour,
		IDTokenIssuer:         issuer,
		TokenURL:              issuer + "/token",
		GlobalSecret:          secret,
		EnforcePKCE:           true,
		RefreshTokenScopes:    []string{}, // every code grant gets a refresh token
		ClientSecretsHasher:   SecretHasher{},
		// The store keeps a code's PKCE and OpenID Connect state in its
		// row: fosite must keep their parameters with the code.
		SanitationWhiteList: codeFormParameters,
	}
	keyGetter := func(context.Context) (any, error) { return key, nil }
	hmac := compose.NewOAuth2HMACStrategy(config)
	strategy := &compose.CommonStrategy{
		CoreStrategy:               hmac,
		OpenIDConnectTokenStrategy: compose.NewOpenIDConnectStrategy(keyGetter, config),
		Signer:                     &fositejwt.DefaultSigner{GetPrivateKey: keyGetter},
	}
	p := compose.Compose(config, store, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2PKCEFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2TokenIntrospectionFactory,
	)
	return &provider{OAuth2Provider: p, key: key, hmac: hmac}
}

// routes are minimal endpoints: the authorize one signs in a fixed
// delegated login without asking anyone.
func (p *provider) routes(del delegation) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := p.NewAuthorizeRequest(ctx, r)
		if err != nil {
			p.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		now := time.Now().UTC()
		sess := NewSession()
		sess.SetSubject("pairwise-usager")
		claims := sess.IDTokenClaims()
		claims.Subject, claims.AuthTime, claims.RequestedAt = "pairwise-usager", now, now
		sess.IDTokenHeaders().Extra["kid"] = "key-1"
		sess.AidantID, sess.UsagerID, sess.OrganisationID = "aidant-1", "usager-pseudonym", "org-1"
		sess.PermissionID, sess.MandateID, sess.Procedure, sess.AuthTime = del.permissionID, del.mandateID, "social", now
		resp, err := p.NewAuthorizeResponse(ctx, ar, sess)
		if err != nil {
			p.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		p.WriteAuthorizeResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := p.NewAccessRequest(ctx, r, NewSession())
		if err != nil {
			p.WriteAccessError(ctx, w, ar, err)
			return
		}
		resp, err := p.NewAccessResponse(ctx, ar)
		if err != nil {
			p.WriteAccessError(ctx, w, ar, err)
			return
		}
		p.WriteAccessResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("POST /introspect", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ir, err := p.NewIntrospectionRequest(ctx, r, NewSession())
		if err != nil {
			p.WriteIntrospectionError(ctx, w, err)
			return
		}
		p.WriteIntrospectionResponse(ctx, w, ir)
	})
	return mux
}

func TestAuthorizationCodeFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		del := newDelegation(t)
		var p *provider
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.routes(del).ServeHTTP(w, r)
		}))
		defer srv.Close()
		p = newProvider(t, f.store, srv.URL)

		conf := &oauth2.Config{
			ClientID: f.client.ID, ClientSecret: f.secret,
			Endpoint: oauth2.Endpoint{
				AuthURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader,
			},
			RedirectURL: f.client.RedirectURIs[0],
			Scopes:      []string{"openid", "offline_access", "procedure:social"},
		}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
		verifier := oauth2.GenerateVerifier()
		const state, nonce = "state-0123456789", "nonce-0123456789abcdefghij"

		code := authorize(t, srv, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce)), state)

		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if tok.AccessToken == "" || tok.RefreshToken == "" {
			t.Fatalf("Exchange: got %+v, want an access and a refresh token", tok)
		}
		p.checkIDToken(t, tok, srv.URL, f.client.ID, nonce)
		if !introspect(t, srv, conf, tok.AccessToken) {
			t.Fatal("first access token: want active")
		}

		// Refresh: a new pair; the used refresh token is retired.
		tok2, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if tok2.AccessToken == tok.AccessToken || tok2.RefreshToken == tok.RefreshToken {
			t.Fatal("refresh: got the same tokens back")
		}
		if !introspect(t, srv, conf, tok2.AccessToken) {
			t.Fatal("refreshed access token: want active")
		}
		stored, err := f.store.GetAccessTokenSession(ctx, p.hmac.AccessTokenSignature(ctx, tok2.AccessToken), nil)
		if err != nil {
			t.Fatalf("refreshed access token in the store: %v", err)
		}
		if sess := stored.GetSession().(*Session); sess.PermissionID != del.permissionID || sess.Procedure != "social" {
			t.Errorf("refreshed token's session: got %+v, want permission %q", sess, del.permissionID)
		}

		// Replaying the code: invalid_grant, and every token it gave is revoked.
		_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Fatalf("code replay: got %v, want invalid_grant", err)
		}
		if introspect(t, srv, conf, tok.AccessToken) || introspect(t, srv, conf, tok2.AccessToken) {
			t.Error("after code replay: access tokens still active")
		}
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err == nil {
			t.Error("after code replay: the refresh token still works")
		}
	})
}

// authorize follows the authorization request to its redirect and returns
// the code.
func authorize(t *testing.T, srv *httptest.Server, authURL, state string) string {
	t.Helper()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("error") != "" || q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("authorize: got redirect %s", loc)
	}
	return q.Get("code")
}

func (p *provider) checkIDToken(t *testing.T, tok *oauth2.Token, issuer, clientID, nonce string) {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	jws, err := jose.ParseSigned(raw)
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	if h := jws.Signatures[0].Header; h.Algorithm != "ES256" || h.KeyID != "key-1" {
		t.Errorf("id_token header: got alg %q kid %q, want ES256 key-1", h.Algorithm, h.KeyID)
	}
	payload, err := jws.Verify(&p.key.PublicKey)
	if err != nil {
		t.Fatalf("id_token signature: %v", err)
	}
	var claims struct {
		Iss, Sub, Nonce string
		Aud             []string
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Iss != issuer || claims.Sub != "pairwise-usager" || claims.Nonce != nonce || !slices.Contains(claims.Aud, clientID) {
		t.Errorf("id_token claims: got %+v", claims)
	}
}

// introspect reports whether token is active (RFC 7662).
func introspect(t *testing.T, srv *httptest.Server, conf *oauth2.Config, token string) bool {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(conf.ClientID), url.QueryEscape(conf.ClientSecret))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Active   bool   `json:"active"`
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("introspection: %v", err)
	}
	if body.Active && body.ClientID != conf.ClientID {
		t.Errorf("introspection: got client %q, want %q", body.ClientID, conf.ClientID)
	}
	return body.Active
}
