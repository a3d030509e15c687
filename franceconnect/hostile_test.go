package franceconnect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"procura/identity"
	"procura/problem"
)

// TestTampering runs one flow per way a provider (or someone between it and
// us) can lie, against the hostile provider: each must fail with its kind.
func TestTampering(t *testing.T) {
	type knobs = func(hp *hostileProvider)
	editID := func(f func(c map[string]any)) knobs { return func(hp *hostileProvider) { hp.editIDToken = f } }
	editUI := func(f func(c map[string]any)) knobs { return func(hp *hostileProvider) { hp.editUserinfo = f } }
	tests := []struct {
		name  string
		knobs knobs
		cfg   Config
		want  error // nil: the flow succeeds
	}{
		{"ES256 as FranceConnect signs", nil, Config{}, nil},
		{"RS256", func(hp *hostileProvider) {
			hp.signIDToken = func(c map[string]any) string { return sign(jose.RS256, hp.rs, rsKid, c) }
			hp.signUserinfo = hp.signIDToken
		}, Config{}, nil},
		{"no kid, one key of the algorithm", func(hp *hostileProvider) {
			hp.signIDToken = func(c map[string]any) string { return sign(jose.ES256, hp.es, "", c) }
		}, Config{}, nil},
		{"several audiences with azp", editID(func(c map[string]any) {
			c["aud"], c["azp"] = []string{hostileClientID, "other"}, hostileClientID
		}), Config{}, nil},

		// ID token signature
		{"signed by a key the provider does not publish", func(hp *hostileProvider) {
			hp.signIDToken = func(c map[string]any) string { return sign(jose.ES256, hp.other, esKid, c) }
		}, Config{}, ErrSignature},
		{"unknown kid", func(hp *hostileProvider) {
			hp.signIDToken = func(c map[string]any) string { return sign(jose.ES256, hp.es, "unknown", c) }
		}, Config{}, ErrSignature},
		{"ES256 header on the RSA key's kid", func(hp *hostileProvider) {
			hp.signIDToken = func(c map[string]any) string { return sign(jose.ES256, hp.es, rsKid, c) }
		}, Config{}, ErrSignature},
		{"alg none", func(hp *hostileProvider) { hp.signIDToken = unsignedJWT }, Config{}, ErrSignature},
		{"HS256 keyed with the public key", func(hp *hostileProvider) {
			hp.signIDToken = func(c map[string]any) string { return sign(jose.HS256, publicKeyPEM(&hp.es.PublicKey), esKid, c) }
		}, Config{}, ErrSignature},
		{"ES384", func(hp *hostileProvider) {
			k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			hp.signIDToken = func(c map[string]any) string { return sign(jose.ES384, k, esKid, c) }
		}, Config{}, ErrSignature},
		{"payload swapped after signing", func(hp *hostileProvider) {
			hp.signIDToken = func(c map[string]any) string {
				good := hp.signES256(c)
				c["sub"] = "someone-else"
				forged := hp.signES256(c)
				g, f := strings.Split(good, "."), strings.Split(forged, ".")
				return g[0] + "." + f[1] + "." + g[2]
			}
		}, Config{}, ErrSignature},
		{"at_hash of another access token", editID(func(c map[string]any) { c["at_hash"] = atHash("another") }), Config{}, ErrSignature},

		// ID token claims
		{"wrong nonce", editID(func(c map[string]any) { c["nonce"] = "nonce-of-another-flow-0123456" }), Config{}, ErrNonce},
		{"no nonce", editID(func(c map[string]any) { delete(c, "nonce") }), Config{}, ErrNonce},
		{"wrong audience", editID(func(c map[string]any) { c["aud"] = "another-client" }), Config{}, ErrAudience},
		{"several audiences without azp", editID(func(c map[string]any) { c["aud"] = []string{hostileClientID, "other"} }), Config{}, ErrAudience},
		{"azp of another client", editID(func(c map[string]any) { c["azp"] = "other" }), Config{}, ErrAudience},
		{"wrong issuer", editID(func(c map[string]any) { c["iss"] = "https://evil.example/api/v2" }), Config{}, ErrIssuer},
		{"acr missing", editID(func(c map[string]any) { delete(c, "acr") }), Config{}, ErrACR},
		{"acr eidas0", editID(func(c map[string]any) { c["acr"] = "eidas0" }), Config{}, ErrACR},
		{"expired", editID(func(c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }), Config{}, ErrTokenTime},
		{"no exp", editID(func(c map[string]any) { delete(c, "exp") }), Config{}, ErrTokenTime},
		{"iat in the future", editID(func(c map[string]any) { c["iat"] = time.Now().Add(5 * time.Minute).Unix() }), Config{}, ErrTokenTime},
		{"iat before the flow", editID(func(c map[string]any) { c["iat"] = time.Now().Add(-time.Hour).Unix() }), Config{}, ErrTokenTime},
		{"auth_time of an old session", editID(func(c map[string]any) { c["auth_time"] = time.Now().Add(-time.Hour).Unix() }), Config{}, ErrTokenTime},
		{"exp as a string", editID(func(c map[string]any) { c["exp"] = "tomorrow" }), Config{}, ErrMalformed},
		{"exp absurd", editID(func(c map[string]any) { c["exp"] = 1e300 }), Config{}, ErrMalformed},
		{"iss as a number", editID(func(c map[string]any) { c["iss"] = 42 }), Config{}, ErrMalformed},
		{"no sub", editID(func(c map[string]any) { delete(c, "sub") }), Config{}, ErrSubject},
		{"payload not JSON", func(hp *hostileProvider) {
			hp.signIDToken = func(map[string]any) string { return sign(jose.ES256, hp.es, esKid, []byte("{not json")) }
		}, Config{}, ErrMalformed},
		{"not a JWS", func(hp *hostileProvider) { hp.rawIDToken = "not-a-token" }, Config{}, ErrMalformed},
		{"encrypted ID token", func(hp *hostileProvider) { hp.rawIDToken = "a.b.c.d.e" }, Config{}, ErrMalformed},
		{"header not base64", func(hp *hostileProvider) { hp.rawIDToken = "!!!.e30.sig" }, Config{}, ErrMalformed},

		// token endpoint
		{"token refused", func(hp *hostileProvider) {
			hp.tokenStatus, hp.tokenBody = 400, `{"error":"invalid_grant","error_description":"code already used"}`
		}, Config{}, ErrTokenRefused},
		{"token endpoint failing", func(hp *hostileProvider) { hp.tokenStatus, hp.tokenBody = 503, "busy" }, Config{}, ErrUnavailable},
		{"token response not JSON", func(hp *hostileProvider) { hp.tokenBody = "{" }, Config{}, ErrMalformed},
		{"token response without id_token", func(hp *hostileProvider) {
			hp.tokenBody = `{"access_token":"access-token-1","token_type":"Bearer"}`
		}, Config{}, ErrMalformed},
		{"token_type not Bearer", func(hp *hostileProvider) {
			hp.tokenBody = `{"access_token":"access-token-1","token_type":"mac","id_token":"a.b.c"}`
		}, Config{}, ErrMalformed},
		{"token response too large", func(hp *hostileProvider) {
			hp.tokenBody = `{"x":"` + strings.Repeat("a", 2<<20) + `"}`
		}, Config{}, ErrUnavailable},

		// userinfo
		{"userinfo about someone else", editUI(func(c map[string]any) { c["sub"] = "someone-else" }), Config{}, ErrSubject},
		{"userinfo without sub", editUI(func(c map[string]any) { delete(c, "sub") }), Config{}, ErrSubject},
		{"userinfo for another client", editUI(func(c map[string]any) { c["aud"] = "other" }), Config{}, ErrAudience},
		{"userinfo without aud", editUI(func(c map[string]any) { delete(c, "aud") }), Config{}, ErrAudience},
		{"userinfo from another issuer", editUI(func(c map[string]any) { c["iss"] = "https://evil.example" }), Config{}, ErrIssuer},
		{"userinfo expired", editUI(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), Config{}, ErrTokenTime},
		{"userinfo by an unpublished key", func(hp *hostileProvider) {
			hp.signUserinfo = func(c map[string]any) string { return sign(jose.ES256, hp.other, esKid, c) }
		}, Config{}, ErrSignature},
		{"userinfo alg none", func(hp *hostileProvider) { hp.signUserinfo = unsignedJWT }, Config{}, ErrSignature},
		{"userinfo HS256 keyed with the public key", func(hp *hostileProvider) {
			hp.signUserinfo = func(c map[string]any) string { return sign(jose.HS256, publicKeyPEM(&hp.rs.PublicKey), rsKid, c) }
		}, Config{}, ErrSignature},
		{"unsigned JSON userinfo refused", func(hp *hostileProvider) { hp.userinfoJSON = true }, Config{}, ErrUnsignedUserinfo},
		{"unsigned JSON userinfo allowed", func(hp *hostileProvider) { hp.userinfoJSON = true }, Config{AllowUnsignedUserinfo: true}, nil},
		{"unsigned JSON userinfo about someone else", func(hp *hostileProvider) {
			hp.userinfoJSON = true
			hp.editUserinfo = func(c map[string]any) { c["sub"] = "someone-else" }
		}, Config{AllowUnsignedUserinfo: true}, ErrSubject},
		{"unsigned JSON userinfo malformed", func(hp *hostileProvider) {
			hp.userinfoType, hp.userinfoBody = "application/json", `{"sub":`
		}, Config{AllowUnsignedUserinfo: true}, ErrMalformed},
		{"userinfo JSON array", func(hp *hostileProvider) {
			hp.userinfoType, hp.userinfoBody = "application/json", `[1,2]`
		}, Config{AllowUnsignedUserinfo: true}, ErrMalformed},
		{"userinfo as HTML", func(hp *hostileProvider) {
			hp.userinfoType, hp.userinfoBody = "text/html", "<p>hello</p>"
		}, Config{}, ErrMalformed},
		{"userinfo encrypted", func(hp *hostileProvider) {
			hp.userinfoType, hp.userinfoBody = "application/jwt", "a.b.c.d.e"
		}, Config{}, ErrMalformed},
		{"userinfo refused", func(hp *hostileProvider) { hp.userinfoStatus = 401 }, Config{}, ErrTokenRefused},
		{"userinfo failing", func(hp *hostileProvider) { hp.userinfoStatus = 502 }, Config{}, ErrUnavailable},
		{"claim of the wrong type", editUI(func(c map[string]any) { c["birthdate"] = 19850412 }), Config{}, ErrInvalidClaims},
		{"invalid gender", editUI(func(c map[string]any) { c["gender"] = "M" }), Config{}, ErrInvalidClaims},
		{"missing family_name", editUI(func(c map[string]any) { delete(c, "family_name") }), Config{}, ErrInvalidClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hp := newHostileProvider(t)
			if tt.knobs != nil {
				hp.set(tt.knobs)
			}
			c := hp.client(t, tt.cfg)
			flow, q := hp.flow()
			id, ev, err := c.Complete(context.Background(), flow, q)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Complete: %v", err)
				}
				if id.Sub != hostileSub || id.Issuer != hp.issuer || id.FamilyName != "Nguyen" {
					t.Errorf("identity %+v", id)
				}
				sum := sha256.Sum256([]byte(ev.IDToken))
				if ev.IDTokenSHA256 != hex.EncodeToString(sum[:]) || ev.ACR != "eidas1" {
					t.Errorf("evidence %+v", ev)
				}
				if (ev.Userinfo == "") != tt.cfg.AllowUnsignedUserinfo {
					t.Errorf("evidence userinfo %q", ev.Userinfo)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Complete: %v, want %v", err, tt.want)
			}
			t.Log(err)
			if id != (identity.Identity{}) || ev != (Evidence{}) {
				t.Errorf("Complete returned an identity or evidence with its error: %+v %+v", id, ev)
			}
			var p *problem.Error
			if !errors.As(err, &p) || p.Message == "" {
				t.Errorf("Complete: %v: not a problem with a safe message", err)
			}
		})
	}
}

func TestCallbackChecks(t *testing.T) {
	hp := newHostileProvider(t)
	c := hp.client(t, Config{})
	tests := []struct {
		name string
		edit func(f *Flow, q url.Values)
		want error
	}{
		{"no flow in the session", func(f *Flow, q url.Values) { *f = Flow{} }, ErrState},
		{"state of another flow", func(f *Flow, q url.Values) { q.Set("state", "state-of-another-flow-0123") }, ErrState},
		{"no state", func(f *Flow, q url.Values) { q.Del("state") }, ErrState},
		{"state twice", func(f *Flow, q url.Values) { q.Add("state", f.State) }, ErrState},
		{"expired flow", func(f *Flow, q url.Values) { f.CreatedAt = f.CreatedAt.Add(-FlowTTL - time.Second) }, ErrFlowExpired},
		{"flow from the future", func(f *Flow, q url.Values) { f.CreatedAt = f.CreatedAt.Add(time.Hour) }, ErrFlowExpired},
		{"cancelled", func(f *Flow, q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, ErrCancelled},
		{"refused", func(f *Flow, q url.Values) { q.Del("code"); q.Set("error", "invalid_scope") }, ErrRefused},
		{"cancel with a forged state", func(f *Flow, q url.Values) {
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("state", "forged")
		}, ErrState},
		{"no code", func(f *Flow, q url.Values) { q.Del("code") }, ErrMalformed},
		{"code twice", func(f *Flow, q url.Values) { q.Add("code", "code-2") }, ErrMalformed},
		{"iss of another provider", func(f *Flow, q url.Values) { q.Set("iss", "https://evil.example") }, ErrIssuer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flow, q := hp.flow()
			tt.edit(&flow, q)
			if _, _, err := c.Complete(context.Background(), flow, q); !errors.Is(err, tt.want) {
				t.Fatalf("Complete: %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("iss announced but missing", func(t *testing.T) {
		hp := newHostileProvider(t)
		hp.set(func(hp *hostileProvider) { hp.announceISS = true })
		c := hp.client(t, Config{})
		flow, q := hp.flow()
		if _, _, err := c.Complete(context.Background(), flow, q); !errors.Is(err, ErrIssuer) {
			t.Fatalf("Complete without iss: %v, want ErrIssuer", err)
		}
		q.Set("iss", hp.issuer)
		if _, _, err := c.Complete(context.Background(), flow, q); err != nil {
			t.Fatalf("Complete with iss: %v", err)
		}
	})
}

func TestBegin(t *testing.T) {
	hp := newHostileProvider(t)
	c := hp.client(t, Config{})
	flow, authURL, err := c.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(authURL)
	if err != nil || !strings.HasPrefix(authURL, hp.issuer+"/authorize?") {
		t.Fatalf("authURL %q", authURL)
	}
	q := u.Query()
	want := map[string]string{
		"response_type": "code", "client_id": hostileClientID, "redirect_uri": hostileRedirectURI,
		"scope":      "openid given_name family_name birthdate gender birthplace birthcountry email preferred_username",
		"acr_values": "eidas1", "prompt": "login", "state": flow.State, "nonce": flow.Nonce,
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(flow.State) < 22 || len(flow.Nonce) < 22 || flow.State == flow.Nonce || !flow.CreatedAt.Equal(hp.now()) {
		t.Errorf("flow %+v", flow)
	}
	again, _, _ := c.Begin(context.Background())
	if again.State == flow.State || again.Nonce == flow.Nonce {
		t.Error("two flows share a state or a nonce")
	}
}

func TestLogoutURL(t *testing.T) {
	hp := newHostileProvider(t)
	c := hp.client(t, Config{})
	got, err := url.Parse(c.LogoutURL("the.id.token", "logout-state"))
	if err != nil {
		t.Fatal(err)
	}
	q := got.Query()
	if got.Scheme+"://"+got.Host+got.Path != hp.issuer+"/session/end" || q.Get("id_token_hint") != "the.id.token" ||
		q.Get("state") != "logout-state" || q.Get("post_logout_redirect_uri") != "https://procura.test/franceconnect/logout-callback" {
		t.Fatalf("LogoutURL = %s", got)
	}
	if a, b := NewState(), NewState(); len(a) < 22 || a == b {
		t.Error("NewState is not random enough")
	}
}

func TestProviderDownThenUp(t *testing.T) {
	hp := newHostileProvider(t)
	hp.set(func(hp *hostileProvider) { hp.down = true })
	c := hp.client(t, Config{}) // New succeeds while the provider is down
	if err := c.Check(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Check: %v, want ErrUnavailable", err)
	}
	if _, _, err := c.Begin(context.Background()); !errors.Is(err, ErrUnavailable) || problem.MessageOf(err) != msgUnavailable {
		t.Fatalf("Begin: %v, want ErrUnavailable", err)
	}
	if c.LogoutURL("x", "y") != "" {
		t.Error("LogoutURL without discovery should be empty")
	}
	hp.set(func(hp *hostileProvider) { hp.down = false })
	if _, _, err := c.Begin(context.Background()); err != nil {
		t.Fatalf("Begin once the provider is back: %v", err)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check once the provider is back: %v", err)
	}
}

func TestDiscoveryOfAnotherIssuer(t *testing.T) {
	hp := newHostileProvider(t)
	hp.set(func(hp *hostileProvider) { hp.discoveryIssuer = "https://evil.example/api/v2" })
	c := hp.client(t, Config{})
	if _, _, err := c.Begin(context.Background()); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("Begin: %v, want ErrUnavailable naming the issuer", err)
	}
}

// TestKeyRotation: a token signed by a key the cache does not hold makes the
// client refetch the JWKS, but not more than once a minute.
func TestKeyRotation(t *testing.T) {
	hp := newHostileProvider(t)
	c := hp.client(t, Config{}) // caches the JWKS
	newKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	hp.set(func(hp *hostileProvider) {
		hp.published = []jose.JSONWebKey{{Key: &newKey.PublicKey, KeyID: "es-2", Algorithm: "ES256", Use: "sig"}}
		hp.signIDToken = func(c map[string]any) string { return sign(jose.ES256, newKey, "es-2", c) }
		hp.signUserinfo = hp.signIDToken
	})
	hits := func() int { hp.mu.Lock(); defer hp.mu.Unlock(); return hp.jwksHits }

	before := hits()
	flow, q := hp.flow()
	if _, _, err := c.Complete(context.Background(), flow, q); !errors.Is(err, ErrSignature) {
		t.Fatalf("Complete right after the first fetch: %v, want ErrSignature (refetch rate-limited)", err)
	}
	if hits() != before {
		t.Fatalf("JWKS fetched %d times within the rate limit", hits()-before)
	}

	hp.advance(jwksMinRefetch + time.Second)
	flow, q = hp.flow()
	if _, _, err := c.Complete(context.Background(), flow, q); err != nil {
		t.Fatalf("Complete after rotation: %v", err)
	}
	if hits() != before+1 {
		t.Fatalf("JWKS fetched %d times, want 1", hits()-before)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	good := Config{Issuer: "https://fc.example/api/v2", ClientID: "c", ClientSecret: "s", RedirectURI: "https://p.example/cb"}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no issuer", func(c *Config) { c.Issuer = "" }},
		{"relative issuer", func(c *Config) { c.Issuer = "/api/v2" }},
		{"issuer with query", func(c *Config) { c.Issuer = "https://fc.example/api/v2?x=1" }},
		{"ftp issuer", func(c *Config) { c.Issuer = "ftp://fc.example" }},
		{"no client id", func(c *Config) { c.ClientID = "" }},
		{"no secret", func(c *Config) { c.ClientSecret = "" }},
		{"no redirect URI", func(c *Config) { c.RedirectURI = "" }},
		{"redirect URI with fragment", func(c *Config) { c.RedirectURI = "https://p.example/cb#x" }},
		{"bad post-logout URI", func(c *Config) { c.PostLogoutRedirectURI = "nope" }},
		{"scopes without openid", func(c *Config) { c.Scopes = []string{"email"} }},
		{"scope with a space", func(c *Config) { c.Scopes = []string{"openid", "a b"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if _, err := New(ctx, cfg); err == nil {
				t.Fatal("New accepted the config")
			}
		})
	}
}
