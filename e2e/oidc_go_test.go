//go:build browser

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// The delegated login against the real binary, as a service sees it
// through an independent OpenID Connect client library: go-oidc for
// discovery, JWKS and ID token verification, x/oauth2 for the code flow.

// service is a relying party registered with the CLI, and its OIDC client.
type service struct {
	p                          *procura
	ID, Secret                 string
	RedirectURI, PostLogoutURI string
	ctx                        context.Context
	provider                   *oidc.Provider
	verifier                   *oidc.IDTokenVerifier
	conf                       oauth2.Config
	// assertionKey signs private_key_jwt client assertions (ES256: the
	// registration infers the algorithm from the P-256 key).
	assertionKey *ecdsa.PrivateKey
}

const serviceScopes = "openid profile email birth"

// newService registers a service serving social, famille and logement
// (args add to or override `admin client create`) and discovers Procura.
func newService(t *testing.T, p *procura, args ...string) *service {
	t.Helper()
	base := "http://127.0.0.1:9/" + strings.ToLower(rand.Text()[:10])
	s := &service{p: p, RedirectURI: base + "/callback", PostLogoutURI: base + "/deconnecte"}
	s.ID, s.Secret = p.registerClient(t, append([]string{"--redirect-uri", s.RedirectURI, "--post-logout-uri", s.PostLogoutURI,
		"--procedures", "social,famille,logement"}, args...)...)
	s.discover(t)
	if slices.Contains(args, "client_secret_post") {
		s.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	return s
}

// newKeyService registers a private_key_jwt service with a fresh P-256 key.
func newKeyService(t *testing.T, p *procura) *service {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "e2e-key", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, set, 0o600); err != nil {
		t.Fatal(err)
	}
	s := newService(t, p, "--auth-method", "private_key_jwt", "--jwks-file", file)
	if s.Secret != "" {
		t.Fatalf("a private_key_jwt client got a secret")
	}
	s.assertionKey = key
	s.conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return s
}

// discover (again) reads Procura's metadata with go-oidc, which checks
// that the issuer is exactly the base URL.
func (s *service) discover(t *testing.T) {
	t.Helper()
	s.ctx = oidc.ClientContext(context.Background(), s.p.httpClient())
	var err error
	if s.provider, err = oidc.NewProvider(s.ctx, s.p.BaseURL); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	s.verifier = s.provider.Verifier(&oidc.Config{ClientID: s.ID})
	endpoint := s.provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if s.conf.Endpoint.AuthStyle != 0 {
		endpoint.AuthStyle = s.conf.Endpoint.AuthStyle
	}
	s.conf = oauth2.Config{ClientID: s.ID, ClientSecret: s.Secret, Endpoint: endpoint, RedirectURL: s.RedirectURI,
		Scopes: strings.Fields(serviceScopes)}
}

// loginFlow is one authorization request's secrets.
type loginFlow struct{ state, nonce, verifier string }

func newLoginFlow() loginFlow {
	return loginFlow{state: "state-" + rand.Text(), nonce: "nonce-" + rand.Text(), verifier: oauth2.GenerateVerifier()}
}

// authURL is f's authorization request: PKCE S256 and nonce, plus opts.
func (s *service) authURL(f loginFlow, opts ...oauth2.AuthCodeOption) string {
	return s.conf.AuthCodeURL(f.state, append([]oauth2.AuthCodeOption{oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}, opts...)...)
}

// code runs the authorization with the aidant's client c, choosing
// procedureLabel, and returns the code of the callback.
func (s *service) code(t *testing.T, c *http.Client, f loginFlow, procedureLabel string, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	cb := s.p.authorize(t, c, s.authURL(f, opts...), procedureLabel)
	return s.callbackCode(t, cb, f)
}

// callbackCode checks the callback (the redirect URI, state echoed, no
// error) and returns its code.
func (s *service) callbackCode(t *testing.T, cb *url.URL, f loginFlow) string {
	t.Helper()
	q := cb.Query()
	if !strings.HasPrefix(cb.String(), s.RedirectURI+"?") || q.Get("state") != f.state || q.Get("code") == "" || q.Get("error") != "" {
		t.Fatalf("callback %s: want %s with code and state %s", cb, s.RedirectURI, f.state)
	}
	return q.Get("code")
}

// exchange redeems code with PKCE (and a fresh client assertion for a
// private_key_jwt service).
func (s *service) exchange(t *testing.T, code string, f loginFlow) (*oauth2.Token, error) {
	t.Helper()
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(f.verifier)}
	if s.assertionKey != nil {
		opts = append(opts, s.assertionParams(s.assertion(t, "jti-"+rand.Text()))...)
	}
	return s.conf.Exchange(s.ctx, code, opts...)
}

// login runs a whole code flow for procedureLabel and returns the tokens,
// the verified ID token and its raw form.
func (s *service) login(t *testing.T, c *http.Client, procedureLabel string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, *oidc.IDToken, string) {
	t.Helper()
	f := newLoginFlow()
	tok, err := s.exchange(t, s.code(t, c, f, procedureLabel, opts...), f)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	idt, raw := s.verifyIDToken(t, tok, f.nonce)
	return tok, idt, raw
}

// verifyIDToken verifies the ID token of tok as a service must: signature
// against the published JWKS, iss, aud, exp (go-oidc), nonce and at_hash.
func (s *service) verifyIDToken(t *testing.T, tok *oauth2.Token, nonce string) (*oidc.IDToken, string) {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt, err := s.verifier.Verify(s.ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Issuer != s.p.BaseURL || !slices.Equal(idt.Audience, []string{s.ID}) || !idt.Expiry.After(time.Now()) {
		t.Errorf("ID token iss %q aud %v exp %s; want %q, [%s], in the future", idt.Issuer, idt.Audience, idt.Expiry, s.p.BaseURL, s.ID)
	}
	if idt.Nonce != nonce {
		t.Errorf("ID token nonce %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("ID token at_hash: %v", err)
	}
	return idt, raw
}

// idClaims are Procura's claims of a delegated login.
type idClaims struct {
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	RepScope []string `json:"rep_scope"`
	Act      struct {
		Sub string `json:"sub"`
		Org string `json:"org"`
	} `json:"act"`
}

func claimsOf(t *testing.T, idt *oidc.IDToken) idClaims {
	t.Helper()
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// assertion is a client assertion (RFC 7523 §3, OpenID Connect Core 1.0
// §9) with jti, for the token endpoint.
func (s *service) assertion(t *testing.T, jti string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: s.assertionKey, KeyID: "e2e-key"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{"iss": s.ID, "sub": s.ID, "aud": s.provider.Endpoint().TokenURL,
		"jti": jti, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return compact
}

func (s *service) assertionParams(assertion string) []oauth2.AuthCodeOption {
	return []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
		oauth2.SetAuthURLParam("client_assertion", assertion),
	}
}

// refresh uses a refresh token, with the service's client authentication.
func (s *service) refresh(t *testing.T, refreshToken string) (*oauth2.Token, error) {
	t.Helper()
	return s.conf.TokenSource(s.ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
}

// userinfo GETs the UserInfo endpoint with accessToken and returns the
// status, content type and body.
func (s *service) userinfo(t *testing.T, accessToken string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.provider.UserInfoEndpoint(), nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := s.p.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// oauthError returns the OAuth error code of a token endpoint failure.
func oauthError(t *testing.T, err error) (code string, status int) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want an OAuth error from the token endpoint, got %v", err)
	}
	return re.ErrorCode, re.Response.StatusCode
}

// aidantWithMandate creates an aidant, signs them in and gives them a
// mandate for identity over procedures.
func aidantWithMandate(t *testing.T, p *procura, identity string, procedures ...string) (aidant, *http.Client, string) {
	t.Helper()
	a := p.newAidant(t)
	c := p.signIn(t, a)
	return a, c, p.createMandate(t, c, a, identity, procedures...)
}

// signedIn reports whether c's session is an aidant's (GET /aidant).
func signedIn(t *testing.T, p *procura, c *http.Client) bool {
	t.Helper()
	resp, _ := p.get(t, c, "/aidant")
	switch {
	case resp.StatusCode == http.StatusOK:
		return true
	case isRedirect(resp) && strings.HasPrefix(resp.Header.Get("Location"), "/connexion"):
		return false
	}
	t.Fatalf("GET /aidant = %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	return false
}

func TestOIDCGoClient(t *testing.T) {
	t.Parallel()
	p := startProcura(t)

	t.Run("discovery and JWKS", func(t *testing.T) {
		t.Parallel()
		s := newService(t, p)
		var meta struct {
			Issuer             string   `json:"issuer"`
			JWKSURI            string   `json:"jwks_uri"`
			EndSession         string   `json:"end_session_endpoint"`
			PKCE               []string `json:"code_challenge_methods_supported"`
			SubjectTypes       []string `json:"subject_types_supported"`
			ACRValues          []string `json:"acr_values_supported"`
			IDTokenAlgs        []string `json:"id_token_signing_alg_values_supported"`
			TokenAuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
			ResponseTypes      []string `json:"response_types_supported"`
			UserinfoSigningAlg []string `json:"userinfo_signing_alg_values_supported"`
		}
		if err := s.provider.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		if meta.Issuer != p.BaseURL || meta.JWKSURI != p.BaseURL+"/oidc/jwks" || meta.EndSession != p.BaseURL+"/oidc/logout" ||
			!slices.Equal(meta.PKCE, []string{"S256"}) || !slices.Equal(meta.SubjectTypes, []string{"pairwise"}) ||
			!slices.Equal(meta.ACRValues, []string{"eidas1"}) || !slices.Contains(meta.IDTokenAlgs, "ES256") ||
			!slices.Equal(meta.ResponseTypes, []string{"code"}) || !slices.Contains(meta.UserinfoSigningAlg, "ES256") ||
			!slices.Equal(meta.TokenAuthMethods, []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}) {
			t.Errorf("discovery: %+v", meta)
		}
		set := jwks(t, p)
		algs := map[string]bool{}
		for _, k := range set.Keys {
			if k.KeyID == "" || k.Use != "sig" || !k.IsPublic() || !k.Valid() {
				t.Errorf("published key %q alg %q use %q public %v", k.KeyID, k.Algorithm, k.Use, k.IsPublic())
			}
			algs[k.Algorithm] = true
		}
		if !algs["ES256"] || !algs["RS256"] {
			t.Errorf("JWKS algorithms %v, want ES256 and RS256", algs)
		}
	})

	t.Run("code flow, ID token, userinfo, pairwise subjects, refresh, revocation", func(t *testing.T) {
		t.Parallel()
		a, c, mandateID := aidantWithMandate(t, p, "jean-luc-darcy", "social", "logement")
		signedInAt := time.Now()
		s1 := newService(t, p)
		s2 := newService(t, p, "--userinfo-alg", "ES256")

		// acr_values=eidas1 is accepted; unknown parameters are ignored.
		tok, idt, _ := s1.login(t, c, "Social - Santé", oauth2.SetAuthURLParam("acr_values", "eidas1"),
			oauth2.SetAuthURLParam("unknown_parameter", "ignored"))
		cl := claimsOf(t, idt)
		if cl.ACR != "eidas1" || !slices.Contains(cl.AMR, "pwd") || !slices.Contains(cl.AMR, "otp") ||
			!slices.Equal(cl.RepScope, []string{"Social-Santé"}) || cl.Act.Org != a.SIRET || cl.Act.Sub == "" || cl.Act.Sub == idt.Subject {
			t.Errorf("ID token claims %+v (sub %q), want acr eidas1, amr pwd+otp, rep_scope [Social-Santé], act {pairwise aidant, %s}", cl, idt.Subject, a.SIRET)
		}
		if at := time.Unix(cl.AuthTime, 0); at.Before(signedInAt.Add(-time.Minute)) || at.After(time.Now()) {
			t.Errorf("auth_time %s, want the aidant's sign-in (~%s)", at, signedInAt)
		}

		// JSON UserInfo, through go-oidc.
		info, err := s1.provider.UserInfo(s1.ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		var person struct {
			GivenName  string `json:"given_name"`
			FamilyName string `json:"family_name"`
			Birthdate  string `json:"birthdate"`
			Birthplace string `json:"birthplace"`
		}
		if err := info.Claims(&person); err != nil {
			t.Fatal(err)
		}
		if info.Subject != idt.Subject || info.Email != "jean-luc.darcy@example.com" || person.GivenName != "Jean-Luc" ||
			person.FamilyName != "D'Arcy" || person.Birthdate != "1962-11-03" || person.Birthplace != "69383" {
			t.Errorf("userinfo sub %q email %q %+v", info.Subject, info.Email, person)
		}
		if status, ctype, _ := s1.userinfo(t, tok.AccessToken); status != http.StatusOK || !strings.HasPrefix(ctype, "application/json") {
			t.Errorf("JSON userinfo = %d %s", status, ctype)
		}

		// The same usager at another service: another pairwise subject
		// (and aidant pseudonym); at the same service, the same one.
		tok2, idt2, _ := s2.login(t, c, "Social - Santé")
		if cl2 := claimsOf(t, idt2); idt2.Subject == idt.Subject || cl2.Act.Sub == cl.Act.Sub || cl2.Act.Org != a.SIRET {
			t.Errorf("second service: sub %q act %+v; first: sub %q act %+v", idt2.Subject, cl2.Act, idt.Subject, cl.Act)
		}
		if _, again, _ := s1.login(t, c, "Social - Santé"); again.Subject != idt.Subject || claimsOf(t, again).Act.Sub != cl.Act.Sub {
			t.Errorf("same service twice: sub %q then %q", idt.Subject, again.Subject)
		}

		// Signed UserInfo (userinfo_signed_response_alg ES256): a JWT that
		// verifies against the JWKS, for this client, with the usager's claims.
		status, ctype, body := s2.userinfo(t, tok2.AccessToken)
		if status != http.StatusOK || ctype != "application/jwt" {
			t.Fatalf("signed userinfo = %d %s %s", status, ctype, body)
		}
		signed, err := s2.verifier.Verify(s2.ctx, body)
		if err != nil {
			t.Fatalf("signed userinfo does not verify: %v", err)
		}
		var jwtPerson struct {
			GivenName string `json:"given_name"`
			Email     string `json:"email"`
		}
		if err := signed.Claims(&jwtPerson); err != nil {
			t.Fatal(err)
		}
		if signed.Subject != idt2.Subject || !slices.Equal(signed.Audience, []string{s2.ID}) || jwtPerson.GivenName != "Jean-Luc" || jwtPerson.Email == "" {
			t.Errorf("signed userinfo sub %q aud %v %+v", signed.Subject, signed.Audience, jwtPerson)
		}
		if info, err := s2.provider.UserInfo(s2.ctx, oauth2.StaticTokenSource(tok2)); err != nil || info.Subject != idt2.Subject {
			t.Errorf("go-oidc UserInfo on the signed answer: %v %+v", err, info)
		}

		// Procedure asked by scope, or by the claims parameter.
		if _, idt, _ := s1.login(t, c, "Logement", oauth2.SetAuthURLParam("scope", serviceScopes+" procedure:logement")); !slices.Equal(claimsOf(t, idt).RepScope, []string{"Logement"}) {
			t.Errorf("scope procedure:logement: rep_scope %v", claimsOf(t, idt).RepScope)
		}
		byClaims := oauth2.SetAuthURLParam("claims", `{"id_token":{"rep_scope":{"essential":true,"values":["Logement"]}}}`)
		page := p.openChoice(t, c, s1.authURL(newLoginFlow(), byClaims))
		if len(page.Usagers) != 1 || len(page.Usagers[0].Procedures) != 1 || page.Usagers[0].Procedures["Logement"] == "" {
			t.Errorf("claims rep_scope Logement: choice offers %+v", page.Usagers)
		}

		// Refresh works while the permission is usable.
		refreshed, err := s1.refresh(t, tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if status, _, _ := s1.userinfo(t, refreshed.AccessToken); status != http.StatusOK {
			t.Errorf("userinfo with the refreshed token = %d", status)
		}

		// The aidant revokes the procedure: every token issued under it
		// stops at once (DESIGN §4), the other procedure's do not.
		logementTok, _, _ := s1.login(t, c, "Logement")
		p.revoke(t, c, mandateID, p.permissions(t, c, mandateID)["Social - Santé"])
		if _, err := s1.refresh(t, refreshed.RefreshToken); err == nil {
			t.Error("refresh after revocation succeeded")
		} else if code, _ := oauthError(t, err); code != "invalid_grant" {
			t.Errorf("refresh after revocation: %s, want invalid_grant", code)
		}
		for name, at := range map[string]string{"first": tok.AccessToken, "refreshed": refreshed.AccessToken, "second service's": tok2.AccessToken} {
			if status, _, body := s1.userinfo(t, at); status != http.StatusUnauthorized {
				t.Errorf("userinfo with the %s access token after revocation = %d %s", name, status, body)
			}
		}
		if status, _, _ := s1.userinfo(t, logementTok.AccessToken); status != http.StatusOK {
			t.Errorf("userinfo under the procedure still granted = %d", status)
		}
		page = p.openChoice(t, c, s1.authURL(newLoginFlow()))
		if len(page.Usagers) != 1 || page.Usagers[0].Procedures["Social - Santé"] != "" {
			t.Errorf("after revocation the choice offers %+v", page.Usagers)
		}
	})

	t.Run("code reuse, redirect URI, client authentication", func(t *testing.T) {
		t.Parallel()
		_, c, _ := aidantWithMandate(t, p, "elodie-lefevre", "famille")
		s := newService(t, p)

		// A code is used once; its reuse is invalid_grant and revokes the
		// tokens of its first use (RFC 6749 §4.1.2).
		f := newLoginFlow()
		code := s.code(t, c, f, "Famille - Scolarité")
		first, err := s.exchange(t, code, f)
		if err != nil {
			t.Fatalf("token: %v", err)
		}
		if status, _, _ := s.userinfo(t, first.AccessToken); status != http.StatusOK {
			t.Fatalf("userinfo before the reuse = %d", status)
		}
		_, err = s.exchange(t, code, f)
		if code, status := oauthError(t, err); code != "invalid_grant" || status != http.StatusBadRequest {
			t.Errorf("code reuse: %s %d, want invalid_grant 400", code, status)
		}
		if status, _, _ := s.userinfo(t, first.AccessToken); status != http.StatusUnauthorized {
			t.Errorf("userinfo with the first access token after the reuse = %d, want 401", status)
		}
		if _, err := s.refresh(t, first.RefreshToken); err == nil {
			t.Error("the first refresh token still works after the code reuse")
		}

		// A redirect URI not registered: a French page, no redirect.
		bad := s.conf
		bad.RedirectURL = "http://127.0.0.1:9/not-registered/callback"
		resp, body := p.get(t, c, bad.AuthCodeURL("state-x", oidc.Nonce("nonce-0123456789abcdefghij"), oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" ||
			!strings.Contains(html.UnescapeString(body), "L'adresse de retour indiquée par le service n'est pas enregistrée") {
			t.Errorf("unregistered redirect_uri = %d → %q\n%.1500s", resp.StatusCode, resp.Header.Get("Location"), body)
		}

		// A wrong client secret: invalid_client, and the code still works
		// for the real service.
		f = newLoginFlow()
		code = s.code(t, c, f, "Famille - Scolarité")
		wrong := *s
		wrong.conf.ClientSecret = "not-the-secret-" + rand.Text()
		_, err = wrong.exchange(t, code, f)
		if code, status := oauthError(t, err); code != "invalid_client" || status != http.StatusUnauthorized {
			t.Errorf("wrong secret: %s %d, want invalid_client 401", code, status)
		}
		if _, err := s.exchange(t, code, f); err != nil {
			t.Errorf("the code after a failed client authentication: %v", err)
		}

		// prompt=none: login_required without a session, and
		// interaction_required with one (the aidant must choose).
		f = newLoginFlow()
		resp, _ = p.get(t, p.newClient(t), s.authURL(f, oauth2.SetAuthURLParam("prompt", "none")))
		if cb, _ := url.Parse(resp.Header.Get("Location")); !isRedirect(resp) || !strings.HasPrefix(cb.String(), s.RedirectURI) ||
			cb.Query().Get("error") != "login_required" || cb.Query().Get("state") != f.state {
			t.Errorf("prompt=none without a session = %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = p.get(t, c, s.authURL(f, oauth2.SetAuthURLParam("prompt", "none")))
		if cb, _ := url.Parse(resp.Header.Get("Location")); !isRedirect(resp) || cb.Query().Get("error") != "interaction_required" {
			t.Errorf("prompt=none with a session = %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		// The aidant cancels: access_denied with the state.
		f = newLoginFlow()
		if cb := p.authorize(t, c, s.authURL(f), ""); cb.Query().Get("error") != "access_denied" || cb.Query().Get("state") != f.state {
			t.Errorf("cancel: %s", cb)
		}
	})

	t.Run("client_secret_post and private_key_jwt", func(t *testing.T) {
		t.Parallel()
		_, c, _ := aidantWithMandate(t, p, "joao-da-silva", "logement")

		post := newService(t, p, "--auth-method", "client_secret_post")
		if _, idt, _ := post.login(t, c, "Logement"); idt.Subject == "" {
			t.Error("client_secret_post: no subject")
		}
		// The method registered is the only one accepted.
		basic := *post
		basic.conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		f := newLoginFlow()
		_, err := basic.exchange(t, post.code(t, c, f, "Logement"), f)
		if code, _ := oauthError(t, err); code != "invalid_client" {
			t.Errorf("client_secret_basic for a client_secret_post client: %s, want invalid_client", code)
		}

		jwtService := newKeyService(t, p)
		tok, idt, _ := jwtService.login(t, c, "Logement")
		if !slices.Equal(claimsOf(t, idt).RepScope, []string{"Logement"}) {
			t.Errorf("private_key_jwt login: rep_scope %v", claimsOf(t, idt).RepScope)
		}
		// An assertion is used once: its replay is refused (RFC 7523 §3).
		assertion := jwtService.assertion(t, "jti-"+rand.Text())
		refresh := func(assertion, refreshToken string) (int, string) {
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {jwtService.ID},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
			resp, body := p.postForm(t, http.DefaultClient, jwtService.provider.Endpoint().TokenURL, form)
			var out struct {
				Error        string `json:"error"`
				RefreshToken string `json:"refresh_token"`
			}
			json.Unmarshal([]byte(body), &out)
			if out.Error != "" {
				return resp.StatusCode, out.Error
			}
			return resp.StatusCode, out.RefreshToken
		}
		status, next := refresh(assertion, tok.RefreshToken)
		if status != http.StatusOK || next == "" {
			t.Fatalf("refresh with an assertion = %d %s", status, next)
		}
		if status, e := refresh(assertion, next); status != http.StatusUnauthorized || e != "invalid_client" {
			t.Errorf("replayed assertion = %d %s, want 401 invalid_client", status, e)
		}
		if status, e := refresh(jwtService.assertion(t, "jti-"+rand.Text()), next); status != http.StatusOK {
			t.Errorf("fresh assertion after the refused replay = %d %s", status, e)
		}
		// Without an assertion, or with one signed by another key: refused.
		other := newKeyService(t, p)
		other.ID = jwtService.ID
		if status, e := refresh(other.assertion(t, "jti-"+rand.Text()), next); status != http.StatusUnauthorized || e != "invalid_client" {
			t.Errorf("assertion signed by an unregistered key = %d %s", status, e)
		}
	})

	t.Run("max_age=0 asks the signed-in aidant to sign in again", func(t *testing.T) {
		t.Parallel()
		a, c, _ := aidantWithMandate(t, p, "camille-nguyen", "social")
		s := newService(t, p)
		_, first, _ := s.login(t, c, "Social - Santé")
		firstAuth := claimsOf(t, first).AuthTime
		// Start the request on a fresh second, after the first sign-in's.
		time.Sleep(time.Until(time.Unix(max(firstAuth, time.Now().Unix())+1, 0)))
		requestedAt := time.Now()
		f := newLoginFlow()
		resp, _ := p.get(t, c, s.authURL(f, oauth2.SetAuthURLParam("max_age", "0")))
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/oidc/choix" {
			t.Fatalf("max_age=0 = %d → %q, want the choice", resp.StatusCode, loc)
		}
		resp, _ = p.get(t, c, "/oidc/choix")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/connexion?service=1" {
			t.Fatalf("max_age=0 with a session = %d → %q, want the sign-in page", resp.StatusCode, loc)
		}
		if loc := p.signInWith(t, c, a); loc != "/oidc/choix" {
			t.Fatalf("sign-in again went to %q, want the choice", loc)
		}
		page := p.openChoice(t, c, "/oidc/choix")
		if len(page.Usagers) != 1 {
			t.Fatalf("choice offers %+v", page.Usagers)
		}
		answer := p.choose(t, c, page, page.Usagers[0].Procedures["Social - Santé"])
		tok, err := s.exchange(t, s.callbackCode(t, p.serviceRedirect(t, answer), f), f)
		if err != nil {
			t.Fatalf("token: %v", err)
		}
		idt, _ := s.verifyIDToken(t, tok, f.nonce)
		if at := claimsOf(t, idt).AuthTime; at < requestedAt.Unix() || at <= firstAuth {
			t.Errorf("auth_time %d, want at or after the request (%d) and after the first sign-in (%d)", at, requestedAt.Unix(), firstAuth)
		}
	})

	t.Run("end_session", func(t *testing.T) {
		t.Parallel()
		_, c, _ := aidantWithMandate(t, p, "oceane-payet", "social")
		s := newService(t, p)
		_, _, rawIDToken := s.login(t, c, "Social - Santé")
		logout := func(postLogout string) (*http.Response, string) {
			q := url.Values{"id_token_hint": {rawIDToken}, "post_logout_redirect_uri": {postLogout}, "state": {"logout-state"}}
			return p.get(t, c, s.endSessionURL(t)+"?"+q.Encode())
		}
		// Not registered: a page, no redirect, and the session stays.
		resp, body := logout("http://127.0.0.1:9/elsewhere")
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" ||
			!strings.Contains(html.UnescapeString(body), "L'adresse de retour indiquée par le service n'est pas enregistrée") {
			t.Errorf("unregistered post_logout_redirect_uri = %d → %q\n%.1500s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if !signedIn(t, p, c) {
			t.Fatal("a refused logout ended the session")
		}
		// Registered: back to the service with its state, session ended.
		resp, _ = logout(s.PostLogoutURI)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != s.PostLogoutURI+"?state=logout-state" {
			t.Errorf("logout = %d → %q, want %s?state=logout-state", resp.StatusCode, loc, s.PostLogoutURI)
		}
		if signedIn(t, p, c) {
			t.Error("the aidant is still signed in after the service's logout")
		}
	})

	t.Run("an aidant cannot act for another organisation's usager", func(t *testing.T) {
		t.Parallel()
		_, cB, mandateB := aidantWithMandate(t, p, "marie-therese-le-goff", "social")
		permissionB := p.permissions(t, cB, mandateB)["Social - Santé"]
		_, cA, _ := aidantWithMandate(t, p, "noel-lecoeur", "social")
		s := newService(t, p)

		f := newLoginFlow()
		page := p.openChoice(t, cA, s.authURL(f))
		if len(page.Usagers) != 1 || page.Usagers[0].Name != "Noël Lecœur" || strings.Contains(page.Page.Body, "Le Goff") {
			t.Fatalf("choice offers %+v", page.Usagers)
		}
		if _, body := p.get(t, cA, "/oidc/choix?q="+url.QueryEscape("Le Goff")); len(p.parseChoice(t, body).Usagers) != 0 ||
			strings.Contains(body, permissionB) {
			t.Errorf("searching the choice page finds another organisation's usager: %+v", p.parseChoice(t, body).Usagers)
		}
		// The forged choice of B's permission: refused, no code.
		answer := p.choose(t, cA, page, permissionB)
		if answer.Redirect() || answer.Status < 400 || strings.Contains(answer.Body, "Le Goff") {
			t.Fatalf("forged permission_id = %d → %q\n%.1500s", answer.Status, answer.Location, answer.Body)
		}
		// The request still waits: the aidant's own usager works.
		page = p.parseChoice(t, answer.Body)
		s.callbackCode(t, p.serviceRedirect(t, p.choose(t, cA, page, page.Usagers[0].Procedures["Social - Santé"])), f)
	})
}

// endSessionURL is the end_session_endpoint from discovery.
func (s *service) endSessionURL(t *testing.T) string {
	t.Helper()
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := s.provider.Claims(&meta); err != nil || meta.EndSession == "" {
		t.Fatalf("end_session_endpoint: %v", err)
	}
	return meta.EndSession
}

// jwks fetches the published key set.
func jwks(t *testing.T, p *procura) jose.JSONWebKeySet {
	t.Helper()
	resp, body := p.get(t, p.httpClient(), "/oidc/jwks")
	var set jose.JSONWebKeySet
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &set) != nil {
		t.Fatalf("JWKS = %d %.500s", resp.StatusCode, body)
	}
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

var rotatedKID = regexp.MustCompile(`key (\S+) now signs`)

// TestOIDCKeyRotation rotates the OpenID Provider's ES256 key with the CLI
// while the server runs: the new key is published at once; tokens signed
// before keep verifying and serve as id_token_hint; once the server has
// picked the new key (a restart here: a running instance re-reads the
// current key at most every keyring.RefreshInterval, a minute), new ID
// tokens carry its kid.
func TestOIDCKeyRotation(t *testing.T) {
	t.Parallel()
	p := startProcura(t)
	_, c, _ := aidantWithMandate(t, p, "aissatou-diop", "social")
	s := newService(t, p)
	before, _, rawBefore := s.login(t, c, "Social - Santé")
	oldKID := headerKID(t, rawBefore)

	out := p.cli(t, "", "keys", "rotate", "--purpose", "oidc", "--alg", "ES256")
	m := rotatedKID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys rotate printed %q", out)
	}
	newKID := m[1]
	if published := kids(jwks(t, p)); !slices.Contains(published, newKID) || !slices.Contains(published, oldKID) {
		t.Fatalf("JWKS after rotation %v, want %s and %s", published, oldKID, newKID)
	}

	p.restart(t)
	if !signedIn(t, p, c) {
		t.Fatal("the aidant's session did not survive the restart")
	}
	// A service that has never seen the old key verifies the old token.
	fresh := *s
	fresh.discover(t)
	if _, err := fresh.verifier.Verify(fresh.ctx, rawBefore); err != nil {
		t.Errorf("ID token signed before the rotation: %v", err)
	}
	if status, _, _ := s.userinfo(t, before.AccessToken); status != http.StatusOK {
		t.Errorf("access token issued before the rotation = %d", status)
	}
	_, _, rawAfter := s.login(t, c, "Social - Santé") // s's verifier fetches the new key by itself
	if kid := headerKID(t, rawAfter); kid != newKID {
		t.Errorf("ID token after the rotation signed by %s, want %s", kid, newKID)
	}

	// The old ID token is a valid id_token_hint: the logout returns to the
	// service and ends the aidant's session.
	q := url.Values{"id_token_hint": {rawBefore}, "post_logout_redirect_uri": {s.PostLogoutURI}, "state": {"after-rotation"}}
	resp, body := p.get(t, c, s.endSessionURL(t)+"?"+q.Encode())
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != s.PostLogoutURI+"?state=after-rotation" {
		t.Errorf("logout with a hint signed by the previous key = %d → %q\n%.1500s", resp.StatusCode, loc, body)
	}
	if signedIn(t, p, c) {
		t.Error("the aidant is still signed in after the logout")
	}
}

// headerKID returns the kid of a compact JWS.
func headerKID(t *testing.T, compact string) string {
	t.Helper()
	jws, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		t.Fatalf("parse JWS: %v", err)
	}
	return jws.Signatures[0].Header.KeyID
}
