package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"
	"gorm.io/gorm"

	"procura/db"
	"procura/problem"
)

// clientRow is a row of oauth_clients; lists are JSON arrays.
type clientRow struct {
	ID                          string `gorm:"primaryKey"`
	Name                        string
	SecretHash                  []byte
	RedirectURIs                string `gorm:"column:redirect_uris"`
	PostLogoutRedirectURIs      string `gorm:"column:post_logout_redirect_uris"`
	GrantTypes                  string
	ResponseTypes               string
	Scopes                      string
	Procedures                  string
	TokenEndpointAuthMethod     string
	TokenEndpointAuthSigningAlg string
	JWKS                        string `gorm:"column:jwks"`
	JWKSURI                     string `gorm:"column:jwks_uri"`
	IDTokenSignedResponseAlg    string `gorm:"column:id_token_signed_response_alg"`
	UserinfoSignedResponseAlg   string
	PKCERequired                bool `gorm:"column:pkce_required"`
	FranceConnectCompat         bool `gorm:"column:franceconnect_compat"`
	Disabled                    bool
	CreatedAt                   time.Time
}

func (clientRow) TableName() string { return "oauth_clients" }

// ErrClientExists is returned by CreateClient for a client_id in use.
var ErrClientExists = problem.New(problem.Conflict, "Un service porte déjà cet identifiant.")

// CreateClient registers a service and returns it with its secret, in
// plain text: the only time the secret exists outside the service, since
// only its hash is stored. A private_key_jwt client has no secret ("").
//
// It runs in the caller's transaction when there is one: registering a
// service is an act, which the caller audits in the same transaction.
func (s *Store) CreateClient(ctx context.Context, reg ClientRegistration) (*Client, string, error) {
	c, err := reg.client(s.now())
	if err != nil {
		return nil, "", err
	}
	secret := reg.Secret
	switch {
	case c.TokenEndpointAuthMethod == AuthMethodPrivateKeyJWT && secret != "":
		return nil, "", invalidClient("Un service authentifié par private_key_jwt n'a pas de secret.")
	case secret != "" && len(secret) < 32:
		return nil, "", invalidClient("Le secret du service doit comporter au moins 32 caractères.")
	}
	if c.TokenEndpointAuthMethod != AuthMethodPrivateKeyJWT {
		if secret == "" {
			if secret, err = NewClientSecret(); err != nil {
				return nil, "", fmt.Errorf("authz: client secret: %w", err)
			}
		}
		c.SecretHash, _ = SecretHasher{}.Hash(ctx, []byte(secret))
	}
	row, err := c.row(reg.JWKS)
	if err != nil {
		return nil, "", err
	}
	if err := s.db.Conn(ctx).Create(row).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return nil, "", ErrClientExists
		}
		return nil, "", fmt.Errorf("authz: create client: %w", err)
	}
	return c, secret, nil
}

// GetClient returns an enabled client (fosite.ClientManager); a disabled
// or unknown one is fosite.ErrNotFound.
// Served from the store's short cache: fosite loads the client at every
// authorization and client authentication.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	return s.clients.get(ctx, id)
}

// LoadClient is GetClient with Procura's type: an enabled client, or
// fosite.ErrNotFound.
func (s *Store) LoadClient(ctx context.Context, id string) (*Client, error) {
	var row clientRow
	err := s.db.Conn(ctx).Where("id = ? AND NOT disabled", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("authz: load client: %w", err)
	}
	return row.client()
}

// ListClients returns every registered client, disabled ones included, by
// name.
func (s *Store) ListClients(ctx context.Context) ([]*Client, error) {
	var rows []clientRow
	if err := s.db.Conn(ctx).Order("name, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("authz: list clients: %w", err)
	}
	clients := make([]*Client, 0, len(rows))
	for i := range rows {
		c, err := rows[i].client()
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
	}
	return clients, nil
}

// ErrClientNotFound is returned by DisableClient for an unknown client.
var ErrClientNotFound = problem.New(problem.NotFound, "Service inconnu.")

// DisableClient disables a client: from its commit on, the client cannot
// authenticate and none of its codes or tokens is found any more.
func (s *Store) DisableClient(ctx context.Context, id string) error {
	res := s.db.Conn(ctx).Model(&clientRow{}).Where("id = ?", id).Update("disabled", true)
	if res.Error != nil {
		return fmt.Errorf("authz: disable client: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrClientNotFound
	}
	return nil
}

func (c *Client) row(jwks string) (*clientRow, error) {
	r := &clientRow{
		ID: c.ID, Name: c.Name, SecretHash: c.SecretHash,
		RedirectURIs: encodeList(c.RedirectURIs), PostLogoutRedirectURIs: encodeList(c.PostLogoutRedirectURIs),
		GrantTypes: encodeList(c.GrantTypes), ResponseTypes: encodeList(c.ResponseTypes),
		Scopes: encodeList(c.Scopes), Procedures: encodeList(c.Procedures),
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, TokenEndpointAuthSigningAlg: c.TokenEndpointAuthSigningAlg,
		JWKSURI: c.JWKSURI, IDTokenSignedResponseAlg: c.IDTokenSignedResponseAlg,
		UserinfoSignedResponseAlg: c.UserinfoSignedResponseAlg, PKCERequired: c.PKCERequired,
		FranceConnectCompat: c.FranceConnectCompat, Disabled: c.Disabled, CreatedAt: c.CreatedAt.UTC(),
	}
	if c.JWKS != nil {
		b, err := json.Marshal(c.JWKS)
		if err != nil {
			return nil, fmt.Errorf("authz: encode client keys: %w", err)
		}
		r.JWKS = string(b)
	}
	return r, nil
}

func (r *clientRow) client() (*Client, error) {
	c := &Client{
		ID: r.ID, Name: r.Name, SecretHash: r.SecretHash,
		TokenEndpointAuthMethod: r.TokenEndpointAuthMethod, TokenEndpointAuthSigningAlg: r.TokenEndpointAuthSigningAlg,
		JWKSURI: r.JWKSURI, IDTokenSignedResponseAlg: r.IDTokenSignedResponseAlg,
		UserinfoSignedResponseAlg: r.UserinfoSignedResponseAlg, PKCERequired: r.PKCERequired,
		FranceConnectCompat: r.FranceConnectCompat, Disabled: r.Disabled, CreatedAt: r.CreatedAt.UTC(),
	}
	for _, l := range []struct {
		dst *[]string
		src string
	}{
		{&c.RedirectURIs, r.RedirectURIs}, {&c.PostLogoutRedirectURIs, r.PostLogoutRedirectURIs},
		{&c.GrantTypes, r.GrantTypes}, {&c.ResponseTypes, r.ResponseTypes},
		{&c.Scopes, r.Scopes}, {&c.Procedures, r.Procedures},
	} {
		a, err := decodeList(l.src)
		if err != nil {
			return nil, fmt.Errorf("authz: stored client %s: %w", r.ID, err)
		}
		*l.dst = a
	}
	if r.JWKS != "" {
		set, err := parsePublicJWKS(r.JWKS)
		if err != nil {
			return nil, fmt.Errorf("authz: stored client %s keys: %w", r.ID, err)
		}
		c.JWKS = set
	}
	return c, nil
}
