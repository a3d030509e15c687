package authz

import (
	"context"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
)

// fositeConfig is fosite's configuration with the token URLs widened: a
// private_key_jwt assertion may name as its audience the token endpoint
// (OpenID Connect Core 1.0 §9), the issuer (RFC 7523 §3, what most client
// libraries send) or the endpoint it authenticates to.
type fositeConfig struct {
	*fosite.Config
	tokenURLs []string
}

func (c *fositeConfig) GetTokenURLs(context.Context) []string { return c.tokenURLs }

// compose builds fosite with only the factories Procura serves (DESIGN.md
// §5): authorization code, PKCE, OpenID Connect (explicit, and a new ID
// token at refresh), refresh, revocation and introspection. Neither implicit nor hybrid flows, client
// credentials, password grant, PAR nor JWT access tokens.
func (p *Provider) compose(tokenKey []byte, codeLifespan time.Duration) {
	cfg := &fositeConfig{
		Config: &fosite.Config{
			IDTokenIssuer:         p.issuer,
			AccessTokenIssuer:     p.issuer,
			TokenURL:              p.urls.token,
			AccessTokenLifespan:   p.accessLifespan,
			RefreshTokenLifespan:  p.refreshLifespan,
			AuthorizeCodeLifespan: codeLifespan,
			IDTokenLifespan:       p.accessLifespan,
			GlobalSecret:          tokenKey,
			ClientSecretsHasher:   SecretHasher{},
			// PKCE is required per client, in parseAuthorize: fosite's
			// setting is global. Plain challenges are refused everywhere.
			EnforcePKCE:                    false,
			EnforcePKCEForPublicClients:    false,
			EnablePKCEPlainChallengeMethod: false,
			// Every code grant gets a refresh token, bounded by its
			// lifespan: services do not ask for offline_access.
			RefreshTokenScopes: []string{},
			// A client gets exactly the scopes it registered: the default
			// hierarchic strategy would let "openid" grant "openid.x".
			ScopeStrategy:          fosite.ExactScopeStrategy,
			AllowedPromptValues:    []string{"none", "login", "consent", "select_account"},
			OmitRedirectScopeParam: true,
			RedirectSecureChecker:  fosite.IsRedirectURISecureStrict,
			// A code's row keeps what PKCE and OpenID Connect need at the
			// token endpoint (storage_code.go).
			SanitationWhiteList: codeFormParameters,
		},
		tokenURLs: []string{p.urls.token, p.issuer, p.urls.revoke, p.urls.introspect},
	}
	p.tokens = &clockedTokens{HMACSHAStrategy: compose.NewOAuth2HMACStrategy(cfg), now: p.now}
	strategy := &compose.CommonStrategy{
		CoreStrategy:               p.tokens,
		OpenIDConnectTokenStrategy: p.signer,
		Signer:                     p.signer,
	}
	storage := p.store
	p.fosite = fosite.NewOAuth2Provider(storage, cfg)
	for _, factory := range []compose.Factory{
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2PKCEFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenRevocationFactory,
		compose.OAuth2TokenIntrospectionFactory,
	} {
		h := factory(cfg, storage, strategy)
		if ah, ok := h.(fosite.AuthorizeEndpointHandler); ok {
			cfg.AuthorizeEndpointHandlers.Append(ah)
		}
		if th, ok := h.(fosite.TokenEndpointHandler); ok {
			cfg.TokenEndpointHandlers.Append(th)
		}
		if ti, ok := h.(fosite.TokenIntrospector); ok {
			cfg.TokenIntrospectionHandlers.Append(ti)
		}
		if rh, ok := h.(fosite.RevocationHandler); ok {
			cfg.RevocationHandlers.Append(rh)
		}
	}
}
