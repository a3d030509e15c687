package app

import (
	"context"
	"strings"

	"procura/account"
	"procura/audit"
	"procura/authz"
)

// RegisterClient registers a service (an OpenID Connect client) with its
// audit entry, in one transaction; it returns the client and its secret,
// to be shown once.
func (a *App) RegisterClient(ctx context.Context, actor account.Actor, reg authz.ClientRegistration) (*authz.Client, string, error) {
	var client *authz.Client
	var secret string
	err := a.DB.InTx(ctx, func(ctx context.Context) error {
		var err error
		if client, secret, err = a.OAuth.CreateClient(ctx, reg); err != nil {
			return err
		}
		return a.Journal.Record(ctx, audit.Entry{Action: audit.ActionClientRegistered, ActorKind: actor.Kind, ActorID: actor.ID,
			ClientID: client.ID, Details: map[string]string{"procedures": strings.Join(client.Procedures, ",")}})
	})
	return client, secret, err
}
