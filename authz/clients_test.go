package authz

import (
	"context"
	"errors"
	"slices"
	"testing"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/problem"
)

// Registering and disabling a service commit with their audit entries; a
// refused change records nothing.
func TestClientRegistry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		j := audit.New(d, f.clock.Now)
		clients := NewClients(f.store, j)
		actor := account.Actor{Kind: audit.ActorOperator, ID: randomID(t, "operator-")}
		entries := func(clientID string) []audit.Action {
			t.Helper()
			list, err := j.List(ctx, audit.Filter{ActorID: actor.ID})
			if err != nil {
				t.Fatal(err)
			}
			var out []audit.Action
			for _, e := range list {
				if e.ClientID == clientID {
					out = append(out, e.Action)
				}
			}
			return out
		}

		id := randomID(t, "client-")
		reg := ClientRegistration{ID: id, Name: "Caisse", RedirectURIs: []string{"https://caisse.example/cb"}, Procedures: []string{"social"}}
		c, secret, err := clients.Register(ctx, actor, reg)
		if err != nil || c.ID != id || secret == "" {
			t.Fatalf("Register = %+v, %q, %v", c, secret, err)
		}
		if _, _, err := clients.Register(ctx, actor, reg); !errors.Is(err, ErrClientExists) {
			t.Errorf("second registration: %v, want ErrClientExists", err)
		}
		bad := reg
		bad.ID, bad.RedirectURIs = randomID(t, "client-"), []string{"javascript:alert(1)"}
		if _, _, err := clients.Register(ctx, actor, bad); problem.CodeOf(err) != problem.Invalid {
			t.Errorf("bad registration: %v, want invalid", err)
		}
		if got := entries(bad.ID); len(got) != 0 {
			t.Errorf("refused registration recorded %v", got)
		}

		if err := clients.Disable(ctx, actor, id); err != nil {
			t.Fatal(err)
		}
		if _, err := clients.Client(ctx, id); err == nil {
			t.Error("a disabled client is still found")
		}
		if err := clients.Disable(ctx, actor, "no-such-client"); !errors.Is(err, ErrClientNotFound) {
			t.Errorf("disabling an unknown client: %v, want ErrClientNotFound", err)
		}
		if got, want := entries(id), []audit.Action{audit.ActionClientRegistered, audit.ActionClientDisabled}; !slices.Equal(got, want) {
			t.Errorf("entries = %v, want %v", got, want)
		}
		list, err := clients.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(list, func(c *Client) bool { return c.ID == id }); i < 0 || !list[i].Disabled {
			t.Errorf("List does not show %s as disabled", id)
		}
	})
}
