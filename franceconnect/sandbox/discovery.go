package sandbox

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

// discovery is the OpenID Provider metadata (OpenID Connect Discovery 1.0
// §3), limited to what the sandbox does.
type discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	ACRValuesSupported                []string `json:"acr_values_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	UserinfoSigningAlgValuesSupported []string `json:"userinfo_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsParameterSupported          bool     `json:"claims_parameter_supported"`
	RequestParameterSupported         bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
}

func (p *Provider) discovery() discovery {
	claims := []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash"}
	scopes := slices.Sorted(maps.Keys(scopeClaims))
	for _, s := range scopes {
		for _, c := range scopeClaims[s] {
			if !slices.Contains(claims, c) {
				claims = append(claims, c)
			}
		}
	}
	return discovery{
		Issuer:                            p.issuer,
		AuthorizationEndpoint:             p.endpoint("/authorize"),
		TokenEndpoint:                     p.endpoint("/token"),
		UserinfoEndpoint:                  p.endpoint("/userinfo"),
		JWKSURI:                           p.endpoint("/jwks"),
		EndSessionEndpoint:                p.endpoint("/session/end"),
		ScopesSupported:                   scopes,
		ClaimsSupported:                   claims,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               []string{"authorization_code"},
		SubjectTypesSupported:             []string{"pairwise"},
		ACRValuesSupported:                []string{acrEIDAS1},
		IDTokenSigningAlgValuesSupported:  []string{"ES256"},
		UserinfoSigningAlgValuesSupported: []string{"ES256"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post"},
		ClaimsParameterSupported:          true,
	}
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.discovery())
}

func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.keys.jwks())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
