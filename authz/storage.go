package authz

import (
	"crypto/sha256"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"

	"procura/db"
)

// Store is fosite's storage on Procura's database, and the registry of
// clients.
//
// Contract (DESIGN.md §5):
//   - only SHA-256 hashes of fosite's signatures are stored, never a raw
//     token; the OpenID Connect state, which fosite keys by the raw code, is
//     stored under the hash of that code;
//   - GetAuthorizeCodeSession returns the request with
//     fosite.ErrInvalidatedAuthorizeCode for a used code, so that fosite
//     revokes the tokens of a replayed code; GetRefreshTokenSession and
//     GetAccessTokenSession return the request with fosite.ErrInactiveToken
//     for a rotated or revoked token; anything absent is fosite.ErrNotFound;
//   - every method runs on db.Conn(ctx), so it joins the transaction the
//     context carries (db.InTx, or BeginTX);
//   - a request of a disabled client is not found: disabling a client ends
//     its tokens at once (each request is read with its client's disabled
//     flag; the client itself comes from a cache of a few seconds);
//   - a code is one row: its PKCE challenge and its OpenID Connect state
//     are read from the code's row (storage_code.go), never stored apart;
//   - fosite computes expiries from the system clock; the store re-bases
//     them on the injected clock before storing (storage_request.go).
//
// fosite is given the Store itself: the getters its contract tests cover
// are the ones production uses.
type Store struct {
	db      *db.DB
	now     func() time.Time
	clients *clientCache
}

var (
	_ fosite.Storage                     = (*Store)(nil)
	_ fosite.ClientManager               = (*Store)(nil)
	_ oauth2.CoreStorage                 = (*Store)(nil)
	_ oauth2.AuthorizeCodeStorage        = (*Store)(nil)
	_ oauth2.AccessTokenStorage          = (*Store)(nil)
	_ oauth2.RefreshTokenStorage         = (*Store)(nil)
	_ oauth2.TokenRevocationStorage      = (*Store)(nil)
	_ openid.OpenIDConnectRequestStorage = (*Store)(nil)
	_ pkce.PKCERequestStorage            = (*Store)(nil)
	_ storage.Transactional              = (*Store)(nil)
)

// NewStore returns the store on d; now is the clock of expiries and purges.
// Loaded clients are reused for 5 seconds (SetClientCacheTTL).
func NewStore(d *db.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: d, now: now}
	s.clients = newClientCache(s, 5*time.Second)
	return s
}

// SetClientCacheTTL sets how long a loaded client is reused (negative:
// never). A disabled client stops authenticating after at most this long;
// its codes and tokens stop at once. Call it before serving.
func (s *Store) SetClientCacheTTL(ttl time.Duration) {
	s.clients = newClientCache(s, ttl)
}

// kind says what a stored request was stored for.
type kind string

const (
	kindAuthorizeCode kind = "authorize_code"
	kindAccessToken   kind = "access_token"
	kindRefreshToken  kind = "refresh_token"
	kindPKCE          kind = "pkce"
	kindOIDC          kind = "oidc"
)

// key is the primary key of a stored request: SHA-256 over the kind, a zero
// byte and fosite's signature. The kind separates the rows fosite keys by
// the same signature (a code and its PKCE state).
func key(k kind, signature string) []byte {
	h := sha256.New()
	h.Write([]byte(k))
	h.Write([]byte{0})
	h.Write([]byte(signature))
	return h.Sum(nil)
}

// tokenExpiry is the fosite token type whose expiry bounds a row of kind k.
func tokenExpiry(k kind) fosite.TokenType {
	switch k {
	case kindAccessToken:
		return fosite.AccessToken
	case kindRefreshToken:
		return fosite.RefreshToken
	default: // a code, and the PKCE and OpenID Connect state of a code
		return fosite.AuthorizeCode
	}
}
