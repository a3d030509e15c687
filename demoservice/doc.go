// Package demoservice is a small public service (a fictitious "Caisse
// d'allocations de démonstration") that signs in with Procura the way any
// outside service would: through an independent, OpenID-certified client
// library (github.com/zitadel/oidc/v3/pkg/client/rp), over HTTP only, with no
// import of Procura's own packages. It shows what the service received: the
// usager's identity, the procedure authorised (rep_scope) and the RFC 8693
// act claim naming the aidant who acted.
//
// It is for development, demonstrations and end-to-end tests; never in
// front of real users.
//
// # Routes
//
// Relative to the service's base URL (Config.BaseURL, mount prefix included):
//
//	GET  /            home page, "Se connecter avec Procura"
//	GET  /connexion   starts the authorization code flow (PKCE S256, state, nonce, acr_values=eidas1)
//	GET  /callback    redirect URI: code exchange, ID token and UserInfo verification
//	GET  /compte      what Procura sent about the signed-in usager
//	POST /deconnexion RP-initiated logout at Procura's end_session_endpoint
//	GET  /deconnecte  post-logout redirect URI: checks state, says the session ended
//
// # Registering the service at Procura
//
// Register one client with:
//
//	redirect_uris:             <BaseURL>/callback
//	post_logout_redirect_uris: <BaseURL>/deconnecte
//	token_endpoint_auth_method client_secret_basic
//	grant type                 authorization_code, PKCE S256
//	procedures                 at least those of Config.Procedures
//
// (Service.RedirectURI and Service.PostLogoutRedirectURI return the exact
// values.) UserInfo may be registered as JSON or as a signed JWT
// (userinfo_signed_response_alg ES256 or RS256): both are accepted, a JWT
// being verified with the provider's JWKS like the ID token.
//
// # Mounting under a prefix
//
// The handler works at the root of its own server or under a path prefix:
//
//	svc, _ := demoservice.New(demoservice.Config{BaseURL: "http://localhost:8080/demo-service", …})
//	mux.Handle("/demo-service/", http.StripPrefix("/demo-service", svc))
//
// Discovery is lazy: New contacts nobody; the provider's metadata is fetched
// on first use and fetched again on the next request while it fails, so the
// service can be built before the provider listens (procura dev serves both
// on one port).
//
// # State
//
// The service keeps no state on the server: the login in progress (state,
// nonce, PKCE verifier), then the claims received and the ID token (for
// id_token_hint), then the logout state, live in one cookie encrypted and
// authenticated with AES-256-GCM under Config.CookieKey.
package demoservice
