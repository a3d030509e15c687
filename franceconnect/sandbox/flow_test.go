package sandbox_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"procura/franceconnect/sandbox"
)

func TestDiscoveryAndJWKS(t *testing.T) {
	r := newRP(t, setup{})
	var d struct {
		Issuer                 string   `json:"issuer"`
		Authorization          string   `json:"authorization_endpoint"`
		Token                  string   `json:"token_endpoint"`
		Userinfo               string   `json:"userinfo_endpoint"`
		JWKS                   string   `json:"jwks_uri"`
		EndSession             string   `json:"end_session_endpoint"`
		IDTokenAlgs            []string `json:"id_token_signing_alg_values_supported"`
		UserinfoAlgs           []string `json:"userinfo_signing_alg_values_supported"`
		AuthMethods            []string `json:"token_endpoint_auth_methods_supported"`
		ACRValues              []string `json:"acr_values_supported"`
		Scopes                 []string `json:"scopes_supported"`
		ResponseTypesSupported []string `json:"response_types_supported"`
	}
	if err := r.provider.Claims(&d); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"issuer": r.issuer, "authorization_endpoint": r.issuer + "/authorize", "token_endpoint": r.issuer + "/token",
		"userinfo_endpoint": r.issuer + "/userinfo", "jwks_uri": r.issuer + "/jwks", "end_session_endpoint": r.issuer + "/session/end",
	}
	got := map[string]string{
		"issuer": d.Issuer, "authorization_endpoint": d.Authorization, "token_endpoint": d.Token,
		"userinfo_endpoint": d.Userinfo, "jwks_uri": d.JWKS, "end_session_endpoint": d.EndSession,
	}
	if !maps.Equal(got, want) {
		t.Errorf("discovery endpoints:\ngot  %v\nwant %v", got, want)
	}
	for name, list := range map[string][]string{
		"id_token_signing_alg_values_supported": d.IDTokenAlgs, "userinfo_signing_alg_values_supported": d.UserinfoAlgs,
		"token_endpoint_auth_methods_supported": d.AuthMethods, "acr_values_supported": d.ACRValues,
		"response_types_supported": d.ResponseTypesSupported,
	} {
		if len(list) != 1 || !slices.Contains([]string{"ES256", "client_secret_post", "eidas1", "code"}, list[0]) {
			t.Errorf("%s = %v", name, list)
		}
	}
	for _, s := range append(allFCScopes, "profile", "birth", "identite_pivot") {
		if !slices.Contains(d.Scopes, s) {
			t.Errorf("scopes_supported lacks %s", s)
		}
	}

	res := r.get(d.JWKS)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("jwks: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(res.body), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("jwks has %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	pub, ok := k.Key.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() || k.KeyID == "" || k.Use != "sig" || k.Algorithm != "ES256" || !k.IsPublic() {
		t.Errorf("jwk = %+v, want a public P-256 key with kid, use=sig, alg=ES256", k)
	}
}

var fcSub = regexp.MustCompile(`^[0-9a-f]{64}v1$`)

func TestHappyPathForEachIdentity(t *testing.T) {
	identities, err := sandbox.DefaultIdentities()
	if err != nil {
		t.Fatal(err)
	}
	r := newRP(t, setup{})
	page := r.openIdentityPage(r.authorizeURL())
	if !slices.Equal(page.identities, ids(identities)) {
		t.Fatalf("page offers %v, want %v", page.identities, ids(identities))
	}
	for _, id := range identities {
		t.Run(id.ID, func(t *testing.T) {
			r := newRP(t, setup{})
			start := r.clock.Now()
			tok, err := r.exchange(r.login(id.ID))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.Extra("expires_in") == nil || tok.Extra("scope") != allFCScopesStr {
				t.Errorf("token response: type %q, expires_in %v, scope %v", tok.TokenType, tok.Extra("expires_in"), tok.Extra("scope"))
			}
			idt := r.verifyIDToken(tok)
			var c struct {
				ACR      string   `json:"acr"`
				AMR      []string `json:"amr"`
				AuthTime int64    `json:"auth_time"`
				IAT      int64    `json:"iat"`
			}
			if err := idt.Claims(&c); err != nil {
				t.Fatal(err)
			}
			if c.ACR != "eidas1" || c.AMR != nil || c.AuthTime != start.Unix() || c.IAT != start.Unix() {
				t.Errorf("id_token acr=%q amr=%v auth_time=%d iat=%d, want eidas1, none, %d, %d", c.ACR, c.AMR, c.AuthTime, c.IAT, start.Unix(), start.Unix())
			}
			if idt.Issuer != r.issuer || !slices.Equal(idt.Audience, []string{clientID}) || !fcSub.MatchString(idt.Subject) {
				t.Errorf("id_token iss=%q aud=%v sub=%q", idt.Issuer, idt.Audience, idt.Subject)
			}

			claims := r.userinfo(tok.AccessToken)
			want := map[string]any{
				"sub": idt.Subject, "iss": r.issuer, "aud": clientID,
				"given_name": id.GivenName, "given_name_array": toAny(strings.Fields(id.GivenName)),
				"family_name": id.FamilyName, "birthdate": id.Birthdate, "gender": id.Gender,
				"birthplace": id.Birthplace, "birthcountry": id.Birthcountry, "email": id.Email,
			}
			if id.PreferredUsername != "" {
				want["preferred_username"] = id.PreferredUsername
			}
			delete(claims, "iat")
			delete(claims, "exp")
			if !jsonEqual(claims, want) {
				t.Errorf("userinfo claims:\ngot  %v\nwant %v", claims, want)
			}

			// The sub is stable for the identity: a second login gives the same.
			tok2, err := r.exchange(r.login(id.ID))
			if err != nil {
				t.Fatal(err)
			}
			if again := r.verifyIDToken(tok2).Subject; again != idt.Subject {
				t.Errorf("second login sub = %q, want %q", again, idt.Subject)
			}
		})
	}
}

func TestSubIsPairwise(t *testing.T) {
	r := newRP(t, setup{})
	tok, err := r.exchange(r.login("jean-luc-darcy"))
	if err != nil {
		t.Fatal(err)
	}
	sub := r.verifyIDToken(tok).Subject

	other := newRP(t, setup{})
	other.oauth.ClientID, other.oauth.ClientSecret, other.oauth.RedirectURL = otherClientID, otherSecret, otherRedirect
	page := other.openIdentityPage(other.authorizeURL())
	q := other.callback(other.postForm(page.action, map[string][]string{"identity": {"jean-luc-darcy"}}), otherRedirect)
	tok2, err := other.exchange(q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	otherSub, _ := tok2.Extra("id_token").(string)
	claims := decodePayload(t, otherSub)
	if claims["sub"] == sub || !fcSub.MatchString(claims["sub"].(string)) {
		t.Errorf("sub for another client = %v, want a different FranceConnect-shaped sub than %s", claims["sub"], sub)
	}
	// Same client, another Provider (a restart, a fresh key): same sub.
	again := newRP(t, setup{})
	tok3, err := again.exchange(again.login("jean-luc-darcy"))
	if err != nil {
		t.Fatal(err)
	}
	if s := again.verifyIDToken(tok3).Subject; s != sub {
		t.Errorf("sub after restart = %q, want %q", s, sub)
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	r := newRP(t, setup{prefix: "/fc-sandbox"})
	if !strings.HasSuffix(r.issuer, "/fc-sandbox/api/v2") {
		t.Fatalf("issuer %q", r.issuer)
	}
	page := r.openIdentityPage(r.authorizeURL())
	if !strings.HasPrefix(page.action, r.issuer+"/interaction/") || !strings.HasPrefix(page.abort, r.issuer+"/interaction/") {
		t.Errorf("form actions %q, %q are not under the issuer %q", page.action, page.abort, r.issuer)
	}
	tok, err := r.exchange(r.login("oceane-payet"))
	if err != nil {
		t.Fatal(err)
	}
	r.verifyIDToken(tok)
	if claims := r.userinfo(tok.AccessToken); claims["birthplace"] != "97411" {
		t.Errorf("userinfo birthplace = %v", claims["birthplace"])
	}
	if res := r.get(r.srv.URL + "/api/v2/.well-known/openid-configuration"); res.StatusCode != http.StatusNotFound {
		t.Errorf("discovery outside the prefix: status %d, want 404", res.StatusCode)
	}
}

func TestIdentityPageIsSelfContainedFrench(t *testing.T) {
	r := newRP(t, setup{})
	res := r.get(r.authorizeURL())
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<html lang="fr">`, "Choisissez une identité de test", "Annuler", "Élodie Anne Lefèvre",
		"Jean-Luc D&#39;Arcy", "Née le 12 avril 1985", "en 1978", "en juillet 1990", "à l’étranger : Algérie (99352)",
		"Nom d’usage : Martin", "Ajaccio (2A004)"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "src=", "<link", "@import", "style=\"", "Invalide", "invalide-"} {
		if strings.Contains(res.body, banned) {
			t.Errorf("page contains %q", banned)
		}
	}
	// The one inline style sheet is allowed by its hash, nothing else.
	style := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindStringSubmatch(res.body)
	if style == nil {
		t.Fatal("page has no style sheet")
	}
	sum := sha256.Sum256([]byte(style[1]))
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") ||
		!strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP = %q, does not allow exactly the inline style sheet", csp)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
}

func ids(list []sandbox.Identity) []string {
	var out []string
	for _, id := range list {
		out = append(out, id.ID)
	}
	return out
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// jsonEqual compares two JSON-shaped values.
func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// decodePayload reads a JWT's claims without verifying it (tests only).
func decodePayload(t *testing.T, jwt string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(jwt, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func decodeJSON(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// One provider serves many relying parties at once (run with -race).
func TestConcurrentFlows(t *testing.T) {
	identities, err := sandbox.DefaultIdentities()
	if err != nil {
		t.Fatal(err)
	}
	shared := newRP(t, setup{})
	for _, id := range identities {
		t.Run(id.ID, func(t *testing.T) {
			t.Parallel()
			r := *shared
			r.t = t
			tok, err := r.exchange(r.login(id.ID))
			if err != nil {
				t.Fatal(err)
			}
			r.verifyIDToken(tok)
			if got := r.userinfo(tok.AccessToken)["email"]; got != id.Email {
				t.Errorf("email = %v, want %s", got, id.Email)
			}
		})
	}
}
