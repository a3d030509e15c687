package authz

import (
	"encoding/json"
	"net/http"
	"procura/db"
)

// jwksMaxAge is how long services may cache the key set. A new key is
// published as soon as it exists; a service that meets an unknown kid
// fetches the set again (OpenID Connect Core 1.0 §10.1.1), so this only
// bounds how long a retired key keeps verifying at services.
const jwksMaxAge = "public, max-age=300"

// ServeJWKS answers GET PathJWKS: the public part of every non-retired
// oidc key, with kid, alg and use (RFC 7517 §5), so that ID tokens and
// UserInfo responses signed before a rotation keep verifying.
func (p *Provider) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	set, err := p.keys.JWKS(r.Context())
	var body []byte
	if err == nil {
		body, err = json.Marshal(set)
	}
	if err != nil {
		p.logInternal(r.Context(), "authz: jwks", err)
		writeServerError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", jwksMaxAge)
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(body)
}

// writeJSONError writes an OAuth 2.0 error object (RFC 6749 §5.2).
func writeJSONError(w http.ResponseWriter, status int, code, description string) {
	body := map[string]string{"error": code}
	if description != "" {
		body["error_description"] = description
	}
	writeJSON(w, status, body)
}

// writeServerError answers a failure of ours: 503 temporarily_unavailable
// with Retry-After while the database is unreachable (the client may retry),
// 500 server_error otherwise.
func writeServerError(w http.ResponseWriter, err error) {
	if db.IsUnavailable(err) {
		w.Header().Set("Retry-After", db.RetryAfterSeconds)
		writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The service is temporarily unavailable: retry later.")
		return
	}
	writeJSONError(w, http.StatusInternalServerError, "server_error", "")
}

// writeJSON writes v as an uncacheable JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
