package authz

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/ory/fosite"
	"golang.org/x/oauth2"

	"procura/db"
	"procura/db/dbtest"
)

// The provider's one-query look-ups must answer exactly as the Store's.
func TestProviderLookupsMatchStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		fs := &fositeStore{Store: f.store, clients: newClientCache(f.store, 0)}
		used, active := f.newRequest(t, newDelegation(t)), f.newRequest(t, newDelegation(t))
		for _, step := range []error{
			f.store.CreateAuthorizeCodeSession(ctx, "used", used),
			f.store.InvalidateAuthorizeCodeSession(ctx, "used"),
			f.store.CreateAuthorizeCodeSession(ctx, "active", active),
			f.store.CreatePKCERequestSession(ctx, "active", active),
			f.store.CreateOpenIDConnectSession(ctx, "raw-code", active),
			f.store.CreateAccessTokenSession(ctx, "at", active),
			f.store.CreateRefreshTokenSession(ctx, "rt", "at", active),
			f.store.CreateAccessTokenSession(ctx, "revoked", used),
			f.store.RevokeAccessToken(ctx, used.ID),
		} {
			if step != nil {
				t.Fatal(step)
			}
		}
		check := func(name string, viaStore, viaProvider func() (fosite.Requester, error)) {
			r1, err1 := viaStore()
			r2, err2 := viaProvider()
			if !errors.Is(err2, err1) && !(err1 == nil && err2 == nil) {
				t.Errorf("%s: store %v, provider %v", name, err1, err2)
			}
			if (r1 == nil) != (r2 == nil) || (r1 != nil && (r1.GetID() != r2.GetID() ||
				!reflect.DeepEqual(r1.GetSession(), r2.GetSession()) || r1.GetClient().GetID() != r2.GetClient().GetID())) {
				t.Errorf("%s: store %+v, provider %+v", name, r1, r2)
			}
		}
		for _, sig := range []string{"used", "active", "unknown"} {
			check("code "+sig,
				func() (fosite.Requester, error) { return f.store.GetAuthorizeCodeSession(ctx, sig, nil) },
				func() (fosite.Requester, error) { return fs.GetAuthorizeCodeSession(ctx, sig, nil) })
			check("pkce "+sig,
				func() (fosite.Requester, error) { return f.store.GetPKCERequestSession(ctx, sig, nil) },
				func() (fosite.Requester, error) { return fs.GetPKCERequestSession(ctx, sig, nil) })
		}
		for _, sig := range []string{"at", "revoked", "unknown"} {
			check("access "+sig,
				func() (fosite.Requester, error) { return f.store.GetAccessTokenSession(ctx, sig, nil) },
				func() (fosite.Requester, error) { return fs.GetAccessTokenSession(ctx, sig, nil) })
		}
		check("refresh", func() (fosite.Requester, error) { return f.store.GetRefreshTokenSession(ctx, "rt", nil) },
			func() (fosite.Requester, error) { return fs.GetRefreshTokenSession(ctx, "rt", nil) })
		check("oidc", func() (fosite.Requester, error) { return f.store.GetOpenIDConnectSession(ctx, "raw-code", nil) },
			func() (fosite.Requester, error) { return fs.GetOpenIDConnectSession(ctx, "raw-code", nil) })

		// Disabled: not found at once, though the client is cached.
		if _, err := fs.GetAccessTokenSession(ctx, "at", nil); err != nil {
			t.Fatal(err)
		}
		if err := f.store.DisableClient(ctx, f.client.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.GetAccessTokenSession(ctx, "at", nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("token of a disabled client: got %v, want not found", err)
		}
	})
}

func TestDisabledClientTokensEndAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{})
		tok, _, _ := rp.login(t)
		if err := op.store.DisableClient(context.Background(), rp.client.ID); err != nil {
			t.Fatal(err)
		}
		if resp := op.userinfoRaw(t, tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("userinfo: got %d, want 401", resp.StatusCode)
		}
		if _, err := rp.conf.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveError(err) == "" {
			t.Errorf("refresh: got %v, want an error", err)
		}
	})
}
