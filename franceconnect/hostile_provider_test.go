package franceconnect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// hostileProvider is a tiny OpenID Provider whose every answer a test can
// bend: it issues whatever ID token and userinfo the test asks for, so the
// client's checks can be tried one by one without the sandbox.
type hostileProvider struct {
	srv    *httptest.Server
	issuer string
	es     *ecdsa.PrivateKey
	rs     *rsa.PrivateKey
	other  *ecdsa.PrivateKey // a key the provider does not publish

	mu    sync.Mutex
	clock time.Time
	// knobs, all guarded by mu
	down            bool                        // discovery and JWKS answer 503
	discoveryIssuer string                      // "" means issuer
	announceISS     bool                        // authorization_response_iss_parameter_supported
	published       []jose.JSONWebKey           // nil means es and rs
	jwksHits        int                         // JWKS requests served
	editIDToken     func(map[string]any)        // changes the ID token's claims
	signIDToken     func(map[string]any) string // nil means ES256 with es
	rawIDToken      string                      // served as is when set
	tokenStatus     int                         // 0 means 200
	tokenBody       string                      // served as is when set
	editUserinfo    func(map[string]any)
	signUserinfo    func(map[string]any) string // nil means ES256 with es
	userinfoJSON    bool                        // answer plain JSON
	userinfoStatus  int
	userinfoType    string // with userinfoBody: served as is
	userinfoBody    string
}

const (
	hostileClientID     = "procura-test"
	hostileClientSecret = "s3cret-for-tests"
	hostileRedirectURI  = "https://procura.test/franceconnect/callback"
	hostileSub          = "7b1f1c5e3e0a4c3f9a2a1d2e3f4a5b6c7d8e9f00112233445566778899aabbccv1"
	esKid               = "es-1"
	rsKid               = "rs-1"
)

// testKeys are generated once: an RSA key takes a while, and keys are
// never changed by a test.
var testKeys = sync.OnceValue(func() (k struct {
	es, other *ecdsa.PrivateKey
	rs        *rsa.PrivateKey
}) {
	var err error
	if k.es, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.other, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.rs, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	return k
})

func newHostileProvider(tb testing.TB) *hostileProvider {
	tb.Helper()
	keys := testKeys()
	hp := &hostileProvider{clock: time.Now().UTC().Truncate(time.Second), es: keys.es, other: keys.other, rs: keys.rs}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/.well-known/openid-configuration", hp.discovery)
	mux.HandleFunc("GET /api/v2/jwks", hp.jwks)
	mux.HandleFunc("POST /api/v2/token", hp.token)
	mux.HandleFunc("GET /api/v2/userinfo", hp.userinfo)
	hp.srv = httptest.NewServer(mux)
	tb.Cleanup(hp.srv.Close)
	hp.issuer = hp.srv.URL + "/api/v2"
	return hp
}

func (hp *hostileProvider) now() time.Time {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	return hp.clock
}

func (hp *hostileProvider) advance(d time.Duration) {
	hp.mu.Lock()
	hp.clock = hp.clock.Add(d)
	hp.mu.Unlock()
}

func (hp *hostileProvider) set(f func(hp *hostileProvider)) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	f(hp)
}

// client returns a Client of this provider; cfg's zero fields get the
// provider's values.
func (hp *hostileProvider) client(tb testing.TB, cfg Config) *Client {
	tb.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = hp.issuer
	}
	cfg.ClientID, cfg.ClientSecret, cfg.RedirectURI = hostileClientID, hostileClientSecret, hostileRedirectURI
	cfg.PostLogoutRedirectURI = "https://procura.test/franceconnect/logout-callback"
	cfg.Now = hp.now
	c, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

// flow is a flow as Begin would have made it, with a fixed state and nonce,
// and the callback that goes with it.
func (hp *hostileProvider) flow() (Flow, url.Values) {
	return Flow{State: "state-0123456789-0123456789", Nonce: "nonce-0123456789-0123456789", CreatedAt: hp.now()},
		url.Values{"state": {"state-0123456789-0123456789"}, "code": {"code-1"}}
}

func (hp *hostileProvider) idTokenClaims(nonce string) map[string]any {
	now := hp.clock
	return map[string]any{
		"iss": hp.issuer, "sub": hostileSub, "aud": hostileClientID,
		"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "auth_time": now.Unix(),
		"nonce": nonce, "acr": "eidas1",
	}
}

func (hp *hostileProvider) userinfoClaims() map[string]any {
	now := hp.clock
	return map[string]any{
		"iss": hp.issuer, "sub": hostileSub, "aud": hostileClientID,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"given_name": "Camille", "family_name": "Nguyen", "birthdate": "2001-02-28", "gender": "unspecified",
		"birthplace": "59350", "birthcountry": "99100", "email": "camille.nguyen@example.com",
	}
}

// sign returns claims (a map, or raw payload bytes) as a compact JWS with
// alg, key and kid; it panics on error, which only a broken test can cause.
func sign(alg jose.SignatureAlgorithm, key any, kid string, claims any) string {
	payload, ok := claims.([]byte)
	if !ok {
		var err error
		if payload, err = json.Marshal(claims); err != nil {
			panic(err)
		}
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		panic(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

func (hp *hostileProvider) signES256(claims map[string]any) string {
	return sign(jose.ES256, hp.es, esKid, claims)
}

// unsignedJWT is an alg=none token (RFC 7519 §6.1).
func unsignedJWT(claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"` + esKid + `"}`))
	return head + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// publicKeyPEM is the provider's public key as a confused verifier would use
// it for an HMAC secret.
func publicKeyPEM(pub any) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (hp *hostileProvider) discovery(w http.ResponseWriter, r *http.Request) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	if hp.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	iss := hp.discoveryIssuer
	if iss == "" {
		iss = hp.issuer
	}
	writeTestJSON(w, http.StatusOK, map[string]any{
		"issuer":                 iss,
		"authorization_endpoint": hp.issuer + "/authorize",
		"token_endpoint":         hp.issuer + "/token",
		"userinfo_endpoint":      hp.issuer + "/userinfo",
		"jwks_uri":               hp.issuer + "/jwks",
		"end_session_endpoint":   hp.issuer + "/session/end",
		"authorization_response_iss_parameter_supported": hp.announceISS,
	})
}

func (hp *hostileProvider) jwks(w http.ResponseWriter, r *http.Request) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	if hp.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	hp.jwksHits++
	keys := hp.published
	if keys == nil {
		keys = []jose.JSONWebKey{
			{Key: &hp.es.PublicKey, KeyID: esKid, Algorithm: "ES256", Use: "sig"},
			{Key: &hp.rs.PublicKey, KeyID: rsKid, Algorithm: "RS256", Use: "sig"},
		}
	}
	writeTestJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: keys})
}

func (hp *hostileProvider) token(w http.ResponseWriter, r *http.Request) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	if r.PostFormValue("client_id") != hostileClientID || r.PostFormValue("client_secret") != hostileClientSecret ||
		r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("redirect_uri") != hostileRedirectURI {
		writeTestJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if hp.tokenBody != "" || hp.tokenStatus != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(max(hp.tokenStatus, 200))
		_, _ = w.Write([]byte(hp.tokenBody))
		return
	}
	idToken := hp.rawIDToken
	if idToken == "" {
		claims := hp.idTokenClaims("nonce-0123456789-0123456789")
		if hp.editIDToken != nil {
			hp.editIDToken(claims)
		}
		if hp.signIDToken != nil {
			idToken = hp.signIDToken(claims)
		} else {
			idToken = hp.signES256(claims)
		}
	}
	writeTestJSON(w, http.StatusOK, map[string]any{
		"access_token": "access-token-1", "token_type": "Bearer", "expires_in": 60, "id_token": idToken,
	})
}

func (hp *hostileProvider) userinfo(w http.ResponseWriter, r *http.Request) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer access-token-1" {
		writeTestJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	if hp.userinfoStatus != 0 {
		writeTestJSON(w, hp.userinfoStatus, map[string]string{"error": "nope"})
		return
	}
	if hp.userinfoType != "" {
		w.Header().Set("Content-Type", hp.userinfoType)
		_, _ = w.Write([]byte(hp.userinfoBody))
		return
	}
	claims := hp.userinfoClaims()
	if hp.editUserinfo != nil {
		hp.editUserinfo(claims)
	}
	if hp.userinfoJSON {
		writeTestJSON(w, http.StatusOK, claims)
		return
	}
	var jwt string
	if hp.signUserinfo != nil {
		jwt = hp.signUserinfo(claims)
	} else {
		jwt = hp.signES256(claims)
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(jwt))
}

func writeTestJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
