package demoservice_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	testClientID     = "demo-service"
	testClientSecret = "demo-secret"
)

// fakeOP is a tiny OpenID Provider standing in for Procura: discovery,
// JWKS (ES256), an authorize endpoint that answers at once with a code, a
// token endpoint checking client_secret_basic and PKCE, UserInfo in JSON or
// as a signed JWT, and end_session. Its knobs change how it answers.
type fakeOP struct {
	t      *testing.T
	srv    *httptest.Server
	key    *ecdsa.PrivateKey
	signer jose.Signer

	mu sync.Mutex
	// knobs
	down        bool           // every endpoint answers 503
	denyWith    string         // authorize answers with this error
	act         map[string]any // act claim; nil for none
	wrongNonce  bool           // ID token carries another nonce
	userinfoJWT bool           // UserInfo as a signed JWT
	logoutState string         // end_session answers with this state instead
	userinfoSub string         // UserInfo carries this sub instead
	userinfoAud string         // UserInfo JWT carries this aud instead
	foreignKey  bool           // UserInfo JWT signed by a key outside the JWKS
	// records
	requests       int
	authorizeQuery url.Values
	logoutQuery    url.Values
	idTokens       []string
	codes          map[string]authorization
}

type authorization struct {
	redirectURI, nonce, challenge string
}

func newFakeOP(t *testing.T) *fakeOP {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	op := &fakeOP{t: t, key: key, signer: signer, codes: map[string]authorization{},
		act: map[string]any{"sub": "aidant-pairwise-42", "org": "13002526500013"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("POST /token", op.token)
	mux.HandleFunc("GET /userinfo", op.userinfo)
	mux.HandleFunc("GET /logout", op.endSession)
	op.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		down := op.down
		op.requests++
		op.mu.Unlock()
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(op.srv.Close)
	return op
}

func (op *fakeOP) issuer() string { return op.srv.URL }

func (op *fakeOP) set(f func(op *fakeOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	f(op)
}

func (op *fakeOP) discovery(w http.ResponseWriter, r *http.Request) {
	iss := op.issuer()
	writeJSON(w, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"userinfo_endpoint":                     iss + "/userinfo",
		"jwks_uri":                              iss + "/jwks",
		"end_session_endpoint":                  iss + "/logout",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"ES256", "RS256"},
		"userinfo_signing_alg_values_supported": []string{"ES256", "RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"acr_values_supported":                  []string{"eidas1"},
		"claims_parameter_supported":            true,
	})
}

func (op *fakeOP) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
}

// authorize checks the request as Procura would and answers at once, as if
// the aidant had chosen the usager and the procedure.
func (op *fakeOP) authorize(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	q := r.URL.Query()
	op.authorizeQuery = q
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != testClientID {
		http.Error(w, "bad client or redirect_uri", http.StatusBadRequest)
		return
	}
	answer := url.Values{"state": {q.Get("state")}}
	switch {
	case op.denyWith != "":
		answer.Set("error", op.denyWith)
		answer.Set("error_description", "L'aidant a annulé.")
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		answer.Set("error", "invalid_request")
	default:
		code := randomString()
		op.codes[code] = authorization{redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
		answer.Set("code", code)
	}
	redirect.RawQuery = answer.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (op *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	id, secret, ok := r.BasicAuth()
	if !ok || id != testClientID || secret != testClientSecret {
		writeJSONStatus(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	code := r.PostFormValue("code")
	authz, found := op.codes[code]
	delete(op.codes, code)
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !found || r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("redirect_uri") != authz.redirectURI ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != authz.challenge {
		writeJSONStatus(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	nonce := authz.nonce
	if op.wrongNonce {
		nonce = "another-nonce-of-at-least-22-characters"
	}
	now := time.Now()
	claims := map[string]any{
		"iss": op.issuer(), "sub": "usager-pairwise-7", "aud": testClientID,
		"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "auth_time": now.Add(-time.Minute).Unix(),
		"nonce": nonce, "acr": "eidas1", "amr": []string{"pwd", "otp"},
		"rep_scope": []string{"Social-Santé"},
	}
	if op.act != nil {
		claims["act"] = op.act
	}
	idToken := op.sign(claims)
	op.idTokens = append(op.idTokens, idToken)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, map[string]any{"access_token": "at-" + randomString(), "token_type": "Bearer", "expires_in": 60, "id_token": idToken})
}

func (op *fakeOP) userinfo(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if len(r.Header.Get("Authorization")) < len("Bearer at-") {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	sub := "usager-pairwise-7"
	if op.userinfoSub != "" {
		sub = op.userinfoSub
	}
	claims := map[string]any{
		"sub": sub, "given_name": "Angela Claire Louise", "family_name": "DUBOIS", "birthdate": "1962-08-24",
		"gender": "female", "birthplace": "75107", "birthcountry": "99100", "email": "angela.dubois@example.fr",
		"preferred_username": "",
	}
	if !op.userinfoJWT {
		writeJSON(w, claims)
		return
	}
	claims["iss"], claims["aud"] = op.issuer(), testClientID
	if op.userinfoAud != "" {
		claims["aud"] = op.userinfoAud
	}
	token := op.sign(claims)
	if op.foreignKey {
		token = foreignSign(op.t, claims)
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(token))
}

func (op *fakeOP) endSession(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	q := r.URL.Query()
	op.logoutQuery = q
	back, err := url.Parse(q.Get("post_logout_redirect_uri"))
	if err != nil || back.String() == "" {
		http.Error(w, "no post_logout_redirect_uri", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	if op.logoutState != "" {
		state = op.logoutState
	}
	back.RawQuery = url.Values{"state": {state}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (op *fakeOP) sign(claims map[string]any) string {
	// Handlers run outside the test goroutine: report, never t.Fatal.
	payload, err := json.Marshal(claims)
	if err != nil {
		op.t.Error(err)
		return ""
	}
	jws, err := op.signer.Sign(payload)
	if err != nil {
		op.t.Error(err)
		return ""
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		op.t.Error(err)
	}
	return token
}

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// foreignSign signs claims with a fresh key of the same kid as the OP's.
func foreignSign(t *testing.T, claims map[string]any) string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	if err != nil {
		t.Error(err)
		return ""
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Error(err)
		return ""
	}
	token, _ := jws.CompactSerialize()
	return token
}
