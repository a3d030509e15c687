package authz

import (
	"context"
	"strings"

	"procura/account"
	"procura/audit"
)

// Clients registers, lists and disables services (OIDC clients). Each
// change is an act: the client row and its audit entry commit in one
// transaction. The operator's CLI and app's wiring (the demo service of
// `procura dev`) both go through it.
type Clients struct {
	store   *Store
	journal *audit.Journal
}

// NewClients returns the client registry kept in store, audited in j.
func NewClients(store *Store, j *audit.Journal) *Clients {
	return &Clients{store: store, journal: j}
}

// Register registers a service and records it; it returns the client and
// its secret, to be shown once ("" for private_key_jwt). Errors: a
// problem.Invalid for a bad registration, ErrClientExists for a client_id
// in use.
func (c *Clients) Register(ctx context.Context, actor account.Actor, reg ClientRegistration) (*Client, string, error) {
	var client *Client
	var secret string
	err := c.store.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		if client, secret, err = c.store.CreateClient(ctx, reg); err != nil {
			return err
		}
		return c.journal.Record(ctx, audit.Entry{Action: audit.ActionClientRegistered, ActorKind: actor.Kind, ActorID: actor.ID,
			ClientID: client.ID, Details: map[string]string{"procedures": strings.Join(client.Procedures, ",")}})
	})
	if err != nil {
		return nil, "", err
	}
	return client, secret, nil
}

// Disable disables a service and records it: from the commit on, it cannot
// authenticate and none of its codes or tokens is found any more.
// ErrClientNotFound for an unknown client_id.
func (c *Clients) Disable(ctx context.Context, actor account.Actor, id string) error {
	return c.store.db.InTx(ctx, func(ctx context.Context) error {
		if err := c.store.DisableClient(ctx, id); err != nil {
			return err
		}
		return c.journal.Record(ctx, audit.Entry{Action: audit.ActionClientDisabled, ActorKind: actor.Kind, ActorID: actor.ID,
			ClientID: id})
	})
}

// List returns every registered service, disabled ones included, by name.
func (c *Clients) List(ctx context.Context) ([]*Client, error) {
	return c.store.ListClients(ctx)
}

// Client returns an enabled service, or fosite.ErrNotFound.
func (c *Clients) Client(ctx context.Context, id string) (*Client, error) {
	return c.store.LoadClient(ctx, id)
}
