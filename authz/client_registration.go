package authz

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"procura/problem"
	"procura/procedure"
)

// ClientRegistration is what an operator registers for a service. Empty
// fields take the defaults documented on each.
type ClientRegistration struct {
	// ID is the client_id; a random 32-hex-digit id when empty.
	ID   string
	Name string
	// RedirectURIs are matched exactly; https, or http on a loopback host.
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// GrantTypes defaults to authorization_code and refresh_token, the only
	// grants Procura serves.
	GrantTypes []string
	// Scopes defaults to DefaultScopes plus procedure:<id> for each of
	// Procedures. An explicit list must contain openid.
	Scopes []string
	// TokenEndpointAuthMethod defaults to client_secret_basic.
	TokenEndpointAuthMethod string
	// TokenEndpointAuthSigningAlg is for private_key_jwt: ES256, RS256 or
	// PS256 (default RS256).
	TokenEndpointAuthSigningAlg string
	// JWKS (a JSON Web Key Set of public keys) or JWKSURI (https): exactly
	// one is required for private_key_jwt, neither is allowed otherwise.
	JWKS    string
	JWKSURI string
	// IDTokenSignedResponseAlg defaults to ES256.
	IDTokenSignedResponseAlg string
	// UserinfoSignedResponseAlg is "" (JSON), ES256 or RS256.
	UserinfoSignedResponseAlg string
	// PKCEOptional lets the client omit PKCE (a FranceConnect-like
	// federation sends none); PKCE S256 is required otherwise.
	PKCEOptional        bool
	FranceConnectCompat bool
	// Procedures are procedure ids (mandate catalogue); at least one.
	Procedures []string
	// Secret, when set, is the client secret instead of a generated one:
	// for the demo service `procura dev` registers, whose secret must be
	// known at every start. At least 32 characters.
	Secret string
}

// DefaultScopes are the identity scopes a service may request: OpenID
// Connect's and FranceConnect's (DESIGN.md §5, UserInfo).
func DefaultScopes() []string {
	return []string{"openid", "profile", "email", "birth", "identite_pivot",
		"given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "preferred_username"}
}

// ProcedureScope is the scope by which a service asks for procedure id.
func ProcedureScope(id string) string { return "procedure:" + id }

var (
	clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$`)
	// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
	scopePattern = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
)

func invalidClient(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return problem.Errorf(problem.Invalid, msg, "authz: client registration: %s", msg)
}

// client validates r and returns the client it describes, without secret.
func (r ClientRegistration) client(now time.Time) (*Client, error) {
	c := &Client{
		ID: r.ID, Name: strings.TrimSpace(r.Name),
		RedirectURIs: r.RedirectURIs, PostLogoutRedirectURIs: r.PostLogoutRedirectURIs,
		GrantTypes: r.GrantTypes, ResponseTypes: []string{"code"}, Scopes: r.Scopes,
		TokenEndpointAuthMethod:     r.TokenEndpointAuthMethod,
		TokenEndpointAuthSigningAlg: r.TokenEndpointAuthSigningAlg,
		JWKSURI:                     r.JWKSURI,
		IDTokenSignedResponseAlg:    r.IDTokenSignedResponseAlg,
		UserinfoSignedResponseAlg:   r.UserinfoSignedResponseAlg,
		PKCERequired:                !r.PKCEOptional,
		FranceConnectCompat:         r.FranceConnectCompat,
		Procedures:                  r.Procedures,
		CreatedAt:                   now.UTC(),
	}
	if c.ID == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("authz: client id: %w", err)
		}
		c.ID = hex.EncodeToString(b)
	}
	if !clientIDPattern.MatchString(c.ID) {
		return nil, invalidClient("Identifiant de service invalide : lettres, chiffres, « . _ : - », 200 caractères au plus.")
	}
	if c.Name == "" || len(c.Name) > 200 {
		return nil, invalidClient("Le nom du service est obligatoire (200 caractères au plus).")
	}
	if len(c.RedirectURIs) == 0 {
		return nil, invalidClient("Au moins une URI de redirection est obligatoire.")
	}
	for _, u := range append(slices.Clone(c.RedirectURIs), c.PostLogoutRedirectURIs...) {
		if err := checkRedirectURI(u); err != nil {
			return nil, err
		}
	}
	if err := c.checkProcedures(); err != nil {
		return nil, err
	}
	if err := c.checkGrantsAndScopes(); err != nil {
		return nil, err
	}
	if err := c.checkAlgorithms(); err != nil {
		return nil, err
	}
	if err := c.checkAuthMethod(r.JWKS); err != nil {
		return nil, err
	}
	return c, nil
}

// checkRedirectURI applies RFC 6749 §3.1.2 (absolute, no fragment) and
// refuses plain http except on a loopback host (RFC 8252 §7.3, dev).
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !fosite.IsValidRedirectURI(u) || u.Host == "" {
		return invalidClient("URI de redirection invalide : %q (URI absolue sans fragment attendue).", raw)
	}
	if !fosite.IsRedirectURISecureStrict(context.Background(), u) {
		return invalidClient("URI de redirection non sécurisée : %q (https obligatoire, sauf sur localhost).", raw)
	}
	return nil
}

func (c *Client) checkProcedures() error {
	if len(c.Procedures) == 0 {
		return invalidClient("Le service doit être enregistré pour au moins une démarche.")
	}
	seen := map[string]bool{}
	for _, p := range c.Procedures {
		if _, ok := procedure.ByID(p); !ok {
			return invalidClient("Démarche inconnue : %q.", p)
		}
		if seen[p] {
			return invalidClient("Démarche en double : %q.", p)
		}
		seen[p] = true
	}
	return nil
}

func (c *Client) checkGrantsAndScopes() error {
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{"authorization_code", "refresh_token"}
	}
	for _, g := range c.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" {
			return invalidClient("Type d'autorisation non pris en charge : %q.", g)
		}
	}
	if !slices.Contains(c.GrantTypes, "authorization_code") {
		return invalidClient("Le type d'autorisation authorization_code est obligatoire.")
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes()
		for _, p := range c.Procedures {
			c.Scopes = append(c.Scopes, ProcedureScope(p))
		}
	}
	for _, s := range c.Scopes {
		if !scopePattern.MatchString(s) {
			return invalidClient("Portée (scope) invalide : %q.", s)
		}
	}
	if !slices.Contains(c.Scopes, "openid") {
		return invalidClient("La portée openid est obligatoire.")
	}
	return nil
}

func (c *Client) checkAlgorithms() error {
	if c.IDTokenSignedResponseAlg == "" {
		c.IDTokenSignedResponseAlg = AlgES256
	}
	if c.IDTokenSignedResponseAlg != AlgES256 && c.IDTokenSignedResponseAlg != AlgRS256 {
		return invalidClient("Algorithme de signature de l'ID token non pris en charge : %q (ES256 ou RS256).", c.IDTokenSignedResponseAlg)
	}
	switch c.UserinfoSignedResponseAlg {
	case "", AlgES256, AlgRS256:
	default:
		return invalidClient("Algorithme de signature UserInfo non pris en charge : %q (vide, ES256 ou RS256).", c.UserinfoSignedResponseAlg)
	}
	return nil
}

func (c *Client) checkAuthMethod(jwks string) error {
	if c.TokenEndpointAuthMethod == "" {
		c.TokenEndpointAuthMethod = AuthMethodSecretBasic
	}
	switch c.TokenEndpointAuthMethod {
	case AuthMethodSecretBasic, AuthMethodSecretPost:
		if jwks != "" || c.JWKSURI != "" || c.TokenEndpointAuthSigningAlg != "" {
			return invalidClient("Clés (JWKS) et algorithme d'assertion réservés à la méthode private_key_jwt.")
		}
		return nil
	case AuthMethodPrivateKeyJWT:
	default:
		return invalidClient("Méthode d'authentification non prise en charge : %q.", c.TokenEndpointAuthMethod)
	}
	if (jwks == "") == (c.JWKSURI == "") {
		return invalidClient("private_key_jwt demande soit un JWKS, soit une jwks_uri (l'un des deux exactement).")
	}
	if c.JWKSURI != "" {
		u, err := url.Parse(c.JWKSURI)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return invalidClient("jwks_uri invalide : %q (https obligatoire).", c.JWKSURI)
		}
		if c.TokenEndpointAuthSigningAlg == "" {
			c.TokenEndpointAuthSigningAlg = AlgRS256
		}
		return checkAssertionAlg(c.TokenEndpointAuthSigningAlg)
	}
	set, err := parsePublicJWKS(jwks)
	if err != nil {
		return invalidClient("JWKS invalide : %v.", err)
	}
	// Without an explicit algorithm, the keys say it: ES256 for P-256
	// keys, RS256 for RSA ones. Either way one key must fit it, or the
	// client could never authenticate.
	if c.TokenEndpointAuthSigningAlg == "" {
		c.TokenEndpointAuthSigningAlg = AlgRS256
		if slices.ContainsFunc(set.Keys, func(k jose.JSONWebKey) bool { return keyFits(k, AlgES256) }) {
			c.TokenEndpointAuthSigningAlg = AlgES256
		}
	}
	if err := checkAssertionAlg(c.TokenEndpointAuthSigningAlg); err != nil {
		return err
	}
	if !slices.ContainsFunc(set.Keys, func(k jose.JSONWebKey) bool { return keyFits(k, c.TokenEndpointAuthSigningAlg) }) {
		return invalidClient("Le JWKS ne contient aucune clé utilisable avec l'algorithme %s.", c.TokenEndpointAuthSigningAlg)
	}
	c.JWKS = set
	return nil
}

func checkAssertionAlg(alg string) error {
	switch alg {
	case AlgES256, AlgRS256, AlgPS256:
		return nil
	}
	return invalidClient("Algorithme d'assertion non pris en charge : %q (ES256, RS256 ou PS256).", alg)
}

// keyFits reports whether k can verify signatures of alg.
func keyFits(k jose.JSONWebKey, alg string) bool {
	if k.Algorithm != "" && k.Algorithm != alg {
		return false
	}
	switch pub := k.Key.(type) {
	case *ecdsa.PublicKey:
		return alg == AlgES256 && pub.Curve == elliptic.P256()
	case *rsa.PublicKey:
		return alg == AlgRS256 || alg == AlgPS256
	}
	return false
}

// parsePublicJWKS parses a key set and refuses private or symmetric keys: a
// client registers only what verifies its signatures.
func parsePublicJWKS(raw string) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		return nil, err
	}
	if len(set.Keys) == 0 {
		return nil, fmt.Errorf("no key")
	}
	for _, k := range set.Keys {
		if !k.Valid() || !k.IsPublic() { // IsPublic is false for symmetric keys too
			return nil, fmt.Errorf("key %q is not a valid public key", k.KeyID)
		}
	}
	return &set, nil
}
