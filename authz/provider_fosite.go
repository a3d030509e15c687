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
// §5): authorization code, PKCE, OpenID Connect (explicit), refresh,
// revocation and introspection. Neither implicit nor hybrid flows, client
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
		},
		tokenURLs: []string{p.urls.token, p.issuer, p.urls.revoke, p.urls.introspect},
	}
	p.tokens = compose.NewOAuth2HMACStrategy(cfg)
	strategy := &compose.CommonStrategy{
		CoreStrategy:               p.tokens,
		OpenIDConnectTokenStrategy: p.signer,
		Signer:                     p.signer,
	}
	storage := &fositeStore{Store: p.store, clients: p.clients}
	p.fosite = fosite.NewOAuth2Provider(storage, cfg)
	for _, factory := range []compose.Factory{
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2PKCEFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OAuth2RefreshTokenGrantFactory,
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

// fositeStore is the Store as fosite sees it, with client look-ups served
// from the provider's short cache: fosite loads the client at every
// authorization and every client authentication.
type fositeStore struct {
	*Store
	clients *clientCache
}

func (s *fositeStore) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	return s.clients.get(ctx, id)
}

// DeletePKCERequestSession keeps the PKCE state of a code: fosite deletes
// it before it compares the verifier, so a token request with a wrong
// verifier would leave the code without a challenge, and a second request
// without any verifier would pass (PKCE is not enforced globally, only per
// client at the authorization). The state is useless once the code is used,
// and purged when the code expires.
func (s *fositeStore) DeletePKCERequestSession(context.Context, string) error { return nil }
