package authz

import (
	"slices"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
)

// Token endpoint client authentication methods Procura accepts
// (OpenID Connect Core 1.0 §9). "none" (public clients) is not offered:
// every service is a confidential client.
const (
	AuthMethodSecretBasic   = "client_secret_basic"
	AuthMethodSecretPost    = "client_secret_post"
	AuthMethodPrivateKeyJWT = "private_key_jwt"
)

// Signing algorithms a client may ask for its ID tokens and UserInfo
// responses; ES256 is the default (cheap to sign, DESIGN.md §10).
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
	AlgPS256 = "PS256"
)

// Client is a service registered to accept Procura logins. It implements
// fosite's Client, OpenIDConnectClient and ResponseModeClient.
type Client struct {
	ID   string
	Name string
	// SecretHash is the SHA-256 of the client secret (see SecretHasher);
	// nil for a private_key_jwt client, which has no secret.
	SecretHash             []byte
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	ResponseTypes          []string
	Scopes                 []string
	// TokenEndpointAuthMethod is one of the AuthMethod constants.
	TokenEndpointAuthMethod string
	// TokenEndpointAuthSigningAlg is the algorithm a private_key_jwt client
	// signs its assertions (and request objects) with.
	TokenEndpointAuthSigningAlg string
	// JWKS or JWKSURI holds the public keys of a private_key_jwt client.
	JWKS    *jose.JSONWebKeySet
	JWKSURI string
	// IDTokenSignedResponseAlg is ES256 or RS256.
	IDTokenSignedResponseAlg string
	// UserinfoSignedResponseAlg is "" for a plain JSON UserInfo response, or
	// the algorithm of a signed one.
	UserinfoSignedResponseAlg string
	// PKCERequired refuses authorization requests without an S256
	// code_challenge; relaxed only for a FranceConnect-like federation.
	PKCERequired bool
	// FranceConnectCompat omits the act claim from ID tokens, for relying
	// parties that expect exactly FranceConnect's claims.
	FranceConnectCompat bool
	// Procedures lists the procedure ids the service is registered for.
	Procedures []string
	Disabled   bool
	CreatedAt  time.Time
}

var (
	_ fosite.Client              = (*Client)(nil)
	_ fosite.OpenIDConnectClient = (*Client)(nil)
	_ fosite.ResponseModeClient  = (*Client)(nil)
)

func (c *Client) GetID() string                      { return c.ID }
func (c *Client) GetHashedSecret() []byte            { return c.SecretHash }
func (c *Client) GetRedirectURIs() []string          { return c.RedirectURIs }
func (c *Client) GetGrantTypes() fosite.Arguments    { return c.GrantTypes }
func (c *Client) GetResponseTypes() fosite.Arguments { return c.ResponseTypes }
func (c *Client) GetScopes() fosite.Arguments        { return c.Scopes }

// IsPublic is false: every Procura client authenticates at the token
// endpoint.
func (c *Client) IsPublic() bool { return false }

// GetAudience is empty: access tokens are for Procura's own UserInfo
// endpoint, so a client may request no other audience.
func (c *Client) GetAudience() fosite.Arguments { return nil }

// GetRequestURIs is empty: request_uri would make Procura fetch any URL a
// client names; fosite refuses it for an unregistered URI.
func (c *Client) GetRequestURIs() []string { return nil }

func (c *Client) GetJSONWebKeys() *jose.JSONWebKeySet { return c.JWKS }
func (c *Client) GetJSONWebKeysURI() string           { return c.JWKSURI }
func (c *Client) GetTokenEndpointAuthMethod() string  { return c.TokenEndpointAuthMethod }

// GetTokenEndpointAuthSigningAlgorithm is the registered algorithm, RS256
// (fosite's and most libraries' default) when none was registered.
func (c *Client) GetTokenEndpointAuthSigningAlgorithm() string {
	if c.TokenEndpointAuthSigningAlg == "" {
		return AlgRS256
	}
	return c.TokenEndpointAuthSigningAlg
}

// GetRequestObjectSigningAlgorithm is the client's assertion algorithm. It
// is never empty: fosite would then accept any algorithm, "none" included,
// for a request object (OpenID Connect Core 1.0 §6.1).
func (c *Client) GetRequestObjectSigningAlgorithm() string {
	return c.GetTokenEndpointAuthSigningAlgorithm()
}

// GetResponseModes allows only query, the code flow's default. form_post
// waits for a page of ours: fosite's default one submits itself with an
// inline script, which Procura's Content-Security-Policy blocks.
func (c *Client) GetResponseModes() []fosite.ResponseModeType {
	return []fosite.ResponseModeType{fosite.ResponseModeDefault, fosite.ResponseModeQuery}
}

// ServesProcedure reports whether the service is registered for procedure.
func (c *Client) ServesProcedure(procedure string) bool {
	return slices.Contains(c.Procedures, procedure)
}

// AllowsPostLogoutRedirect reports whether uri is exactly one of the
// registered post-logout redirect URIs (RP-Initiated Logout 1.0 §3).
func (c *Client) AllowsPostLogoutRedirect(uri string) bool {
	return slices.Contains(c.PostLogoutRedirectURIs, uri)
}
