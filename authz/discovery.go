package authz

import (
	"encoding/json"
	"net/http"

	"procura/procedure"
)

// discoveryDocument is the provider's metadata (OpenID Connect Discovery
// 1.0 §3, RFC 8414 §2, RP-Initiated Logout 1.0 §3.1, RFC 7009, RFC 7662).
type discoveryDocument struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	UserinfoSigningAlgValuesSupported          []string `json:"userinfo_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationEndpointAuthSigningAlgs          []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthSigningAlgs       []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	ClaimTypesSupported                        []string `json:"claim_types_supported"`
	ClaimsParameterSupported                   bool     `json:"claims_parameter_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
	ACRValuesSupported                         []string `json:"acr_values_supported"`
	PromptValuesSupported                      []string `json:"prompt_values_supported"`
	UILocalesSupported                         []string `json:"ui_locales_supported"`
	FrontchannelLogoutSupported                bool     `json:"frontchannel_logout_supported"`
	BackchannelLogoutSupported                 bool     `json:"backchannel_logout_supported"`
}

// discoveryDocument builds the metadata once: it changes only with the
// code and the issuer.
func (p *Provider) discoveryDocument() ([]byte, error) {
	scopes := []string{"openid", "profile", "email", "birth", "identite_pivot"}
	for _, c := range identityClaims {
		if c != "email" {
			scopes = append(scopes, c)
		}
	}
	for _, proc := range procedure.All() {
		scopes = append(scopes, ProcedureScope(proc.ID))
	}
	claims := append([]string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash",
		ClaimRepScope, ClaimAct, ClaimSessionID}, identityClaims...)
	authMethods := []string{AuthMethodSecretBasic, AuthMethodSecretPost, AuthMethodPrivateKeyJWT}
	assertionAlgs := []string{AlgES256, AlgRS256, AlgPS256}
	signingAlgs := []string{AlgES256, AlgRS256}
	return json.Marshal(discoveryDocument{
		Issuer:                                     p.issuer,
		AuthorizationEndpoint:                      p.urls.authorize,
		TokenEndpoint:                              p.urls.token,
		UserinfoEndpoint:                           p.urls.userinfo,
		JWKSURI:                                    p.urls.jwks,
		EndSessionEndpoint:                         p.urls.logout,
		RevocationEndpoint:                         p.urls.revoke,
		IntrospectionEndpoint:                      p.urls.introspect,
		ScopesSupported:                            scopes,
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{"authorization_code", "refresh_token"},
		SubjectTypesSupported:                      []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:           signingAlgs,
		UserinfoSigningAlgValuesSupported:          signingAlgs,
		TokenEndpointAuthMethodsSupported:          authMethods,
		TokenEndpointAuthSigningAlgValuesSupported: assertionAlgs,
		RevocationEndpointAuthMethodsSupported:     authMethods,
		RevocationEndpointAuthSigningAlgs:          assertionAlgs,
		IntrospectionEndpointAuthMethodsSupported:  authMethods,
		IntrospectionEndpointAuthSigningAlgs:       assertionAlgs,
		CodeChallengeMethodsSupported:              []string{"S256"},
		ClaimsSupported:                            claims,
		ClaimTypesSupported:                        []string{"normal"},
		ClaimsParameterSupported:                   true,
		ACRValuesSupported:                         []string{ACREidas1},
		PromptValuesSupported:                      []string{"none", "login", "consent", "select_account"},
		UILocalesSupported:                         []string{"fr"},
	})
}

// ServeDiscovery answers GET PathDiscovery. The document is public and
// changes only with a new release, so it may be cached for a while; any
// origin may read it (a browser-based client fetches it).
func (p *Provider) ServeDiscovery(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(p.discovery)
}
