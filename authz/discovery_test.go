package authz

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

func TestDiscoveryAndJWKS(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		// go-oidc checked that the issuer is exactly the base URL.
		var meta map[string]any
		if err := rp.provider.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		base := op.srv.URL
		for key, want := range map[string]string{
			"issuer": base, "authorization_endpoint": base + "/oidc/authorize", "token_endpoint": base + "/oidc/token",
			"userinfo_endpoint": base + "/oidc/userinfo", "jwks_uri": base + "/oidc/jwks",
			"end_session_endpoint": base + "/oidc/logout", "revocation_endpoint": base + "/oidc/revoke",
			"introspection_endpoint": base + "/oidc/introspect",
		} {
			if meta[key] != want {
				t.Errorf("%s: got %v, want %q", key, meta[key], want)
			}
		}
		if meta["claims_parameter_supported"] != true || meta["request_parameter_supported"] != false {
			t.Errorf("claims/request parameter supported: got %v/%v", meta["claims_parameter_supported"], meta["request_parameter_supported"])
		}
		list := func(key string) []string {
			var out []string
			for _, v := range meta[key].([]any) {
				out = append(out, v.(string))
			}
			return out
		}
		for key, want := range map[string][]string{
			"response_types_supported":                         {"code"},
			"code_challenge_methods_supported":                 {"S256"},
			"acr_values_supported":                             {"eidas1"},
			"grant_types_supported":                            {"authorization_code", "refresh_token"},
			"subject_types_supported":                          {"pairwise"},
			"id_token_signing_alg_values_supported":            {"ES256", "RS256"},
			"userinfo_signing_alg_values_supported":            {"ES256", "RS256"},
			"token_endpoint_auth_methods_supported":            {"client_secret_basic", "client_secret_post", "private_key_jwt"},
			"token_endpoint_auth_signing_alg_values_supported": {"ES256", "RS256", "PS256"},
		} {
			if got := list(key); !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", key, got, want)
			}
		}
		scopes, claims := list("scopes_supported"), list("claims_supported")
		for _, s := range []string{"openid", "profile", "email", "birth", "identite_pivot", "procedure:social", "procedure:loisirs"} {
			if !slices.Contains(scopes, s) {
				t.Errorf("scopes_supported lacks %q: %v", s, scopes)
			}
		}
		for _, c := range []string{"sub", "acr", "amr", "auth_time", "rep_scope", "act", "given_name", "birthcountry"} {
			if !slices.Contains(claims, c) {
				t.Errorf("claims_supported lacks %q: %v", c, claims)
			}
		}

		resp, err := op.srv.Client().Get(base + PathJWKS)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var set struct {
			Keys []struct {
				Kid, Alg, Use, Kty string
				D                  string `json:"d"`
			} `json:"keys"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("jwks: %d %v", resp.StatusCode, err)
		}
		algs := map[string]bool{}
		for _, k := range set.Keys {
			if k.Kid == "" || k.Use != "sig" || k.D != "" {
				t.Errorf("jwks key %+v: want a kid, use sig and no private part", k)
			}
			algs[k.Alg] = true
		}
		if !algs["ES256"] || !algs["RS256"] {
			t.Errorf("jwks algs: got %v, want ES256 and RS256", algs)
		}
	})
}

func TestNewProviderRefusesBadConfig(t *testing.T) {
	d := dbtest.SQLite(t)
	op := newTestOP(t, d)
	good := ProviderConfig{
		Issuer: "https://procura.example.fr", Store: op.store, Keys: KeyringKeys(op.keyring), Journal: op.journal, DB: d,
		Permissions: op.perms, Usagers: op.usagers, PairwiseKey: make([]byte, 32), TokenKey: make([]byte, 32),
	}
	if _, err := NewProvider(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, change := range map[string]func(*ProviderConfig){
		"trailing slash":   func(c *ProviderConfig) { c.Issuer += "/" },
		"query":            func(c *ProviderConfig) { c.Issuer += "?x=1" },
		"http not local":   func(c *ProviderConfig) { c.Issuer = "http://procura.example.fr" },
		"relative":         func(c *ProviderConfig) { c.Issuer = "/procura" },
		"short pairwise":   func(c *ProviderConfig) { c.PairwiseKey = make([]byte, 16) },
		"short token key":  func(c *ProviderConfig) { c.TokenKey = make([]byte, 16) },
		"no checker":       func(c *ProviderConfig) { c.Permissions = nil },
		"no usager claims": func(c *ProviderConfig) { c.Usagers = nil },
	} {
		cfg := good
		change(&cfg)
		if _, err := NewProvider(cfg); err == nil {
			t.Errorf("%s: NewProvider accepted it", name)
		}
	}
}
