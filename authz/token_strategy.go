package authz

import (
	"context"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
)

// clockedTokens is fosite's HMAC token strategy (opaque "ory_at_…",
// "ory_rt_…", "ory_ac_…" values keyed by the token key) with expiry judged
// by the provider's clock instead of the system's: the store re-bases the
// expiries it stores on that clock (Store.rebaseExpiry), so both ends agree
// and tests can move time.
type clockedTokens struct {
	*oauth2.HMACSHAStrategy
	now func() time.Time
}

var _ oauth2.CoreStrategy = (*clockedTokens)(nil)

func (c *clockedTokens) ValidateAccessToken(ctx context.Context, r fosite.Requester, token string) error {
	lifespan := c.Config.GetAccessTokenLifespan(ctx)
	return c.validate(ctx, r, fosite.AccessToken, lifespan, strings.TrimPrefix(token, "ory_at_"), "Access token")
}

func (c *clockedTokens) ValidateRefreshToken(ctx context.Context, r fosite.Requester, token string) error {
	// A refresh token stored without expiry does not expire (fosite's rule).
	return c.validate(ctx, r, fosite.RefreshToken, 0, strings.TrimPrefix(token, "ory_rt_"), "Refresh token")
}

func (c *clockedTokens) ValidateAuthorizeCode(ctx context.Context, r fosite.Requester, token string) error {
	lifespan := c.Config.GetAuthorizeCodeLifespan(ctx)
	return c.validate(ctx, r, fosite.AuthorizeCode, lifespan, strings.TrimPrefix(token, "ory_ac_"), "Authorization code")
}

// validate refuses an expired token (its stored expiry, or requested_at +
// lifespan when none was stored and lifespan > 0), then checks its HMAC.
func (c *clockedTokens) validate(ctx context.Context, r fosite.Requester, tt fosite.TokenType, lifespan time.Duration, token, what string) error {
	exp := r.GetSession().GetExpiresAt(tt)
	if exp.IsZero() && lifespan > 0 {
		exp = r.GetRequestedAt().Add(lifespan)
	}
	if !exp.IsZero() && exp.Before(c.now().UTC()) {
		return fosite.ErrTokenExpired.WithHintf("%s expired at '%s'.", what, exp)
	}
	return c.Enigma.Validate(ctx, token)
}
