// Package sandbox is a FranceConnect-like OpenID Provider for development and
// tests: a real OIDC provider over HTTP that behaves like FranceConnect v2
// ("FranceConnect low", eIDAS level eidas1) toward a relying party, with a
// page listing test identities instead of identity providers. It is never
// meant to face real users: state lives in memory and nobody authenticates.
//
// # URL layout
//
// Like FranceConnect v2, whose issuer is "https://<host>/api/v2", the issuer
// ends with IssuerPath ("/api/v2") and every endpoint lives under it:
//
//	<issuer>/.well-known/openid-configuration   discovery (issuer = Config.Issuer, byte for byte)
//	<issuer>/jwks                               ES256 public key (kid, use=sig, alg=ES256)
//	<issuer>/authorize                          GET, authorization code flow only
//	<issuer>/interaction/{id}/identity          POST, from the identity page
//	<issuer>/interaction/{id}/abort             POST, "Annuler" → error=access_denied
//	<issuer>/token                              POST, client_secret_post only
//	<issuer>/userinfo                           GET or POST with a Bearer token → signed JWT
//	<issuer>/session/end                        GET, RP-initiated logout
//
// The Provider is an http.Handler that serves those paths relative to the
// point where it is mounted, which is the issuer minus IssuerPath
// (Provider.MountPath). Standalone with issuer "http://localhost:9090/api/v2"
// it is mounted at the root; inside another server with issuer
// "http://localhost:8080/fc-sandbox/api/v2" it is mounted with
//
//	mux.Handle("/fc-sandbox/", http.StripPrefix("/fc-sandbox", provider))
//
// Every URL it publishes (discovery, form actions) derives from Config.Issuer.
//
// # Behaviour, as FranceConnect v2 does it
//
//   - authorize requires response_type=code, a known client_id, a redirect_uri
//     registered for it (exact match), a scope containing openid, a state, a
//     nonce of at least 22 characters and acr_values=eidas1. An unknown client
//     or an unregistered redirect_uri shows a French error page and never
//     redirects; every later error goes back to the redirect_uri with error,
//     error_description and state (OpenID Connect Core §3.1.2.6). Unknown
//     parameters and unknown scope values are ignored.
//   - The identity page lists the test identities; choosing one redirects with
//     code and state, "Annuler" with error=access_denied.
//   - token accepts client_secret_post only and grant_type=authorization_code.
//     Codes live 30 s and are single-use; replaying one is invalid_grant and
//     revokes the access token first issued with it (RFC 6749 §4.1.2). The
//     answer holds access_token (60 s), token_type=Bearer, expires_in, scope and
//     an ES256 id_token with iss, sub, aud, exp, iat, auth_time, nonce,
//     acr=eidas1, at_hash, and amr when asked for with the claims parameter
//     {"id_token":{"amr":{"essential":true}}}.
//   - sub is pairwise: a hex SHA-256 of the client and the identity, suffixed
//     "v1" like FranceConnect's; it is stable across restarts and keys.
//   - userinfo answers an ES256 JWT (Content-Type: application/jwt) with iss,
//     aud, sub, iat, exp and the claims the granted scopes allow: the claim
//     scopes (given_name, family_name, birthdate, gender, birthplace,
//     birthcountry, email, preferred_username) and FranceConnect's groups
//     profile, birth and identite_pivot. given_name also yields
//     given_name_array. A person born abroad has birthplace "" (as
//     FranceConnect sends it); an empty preferred_username is left out.
//   - session/end requires an id_token_hint signed by this provider (an
//     expired one is accepted, OpenID Connect RP-Initiated Logout §2), a
//     post_logout_redirect_uri registered for the token's audience, and a
//     state, which is echoed. Anything else shows an error page.
//
// Interactions live 10 minutes, codes 30 s, access tokens 60 s; each kind is
// capped at MaxPending entries, expired entries are swept as new ones come.
//
// # Identities
//
// The test identities are identities.json, embedded. Config.IncludeInvalidIdentities
// adds identities_invalid.json, each breaking one FranceConnect rule (named in
// its "defect" field), to test a relying party's validation; they are off by
// default.
//
// # Standalone
//
// cmd/fc-sandbox runs a Provider on its own. Flags, each with an environment
// fallback:
//
//	-listen              FC_SANDBOX_LISTEN              address, default 127.0.0.1:9090
//	-issuer              FC_SANDBOX_ISSUER              default http://localhost:9090/api/v2
//	-clients             FC_SANDBOX_CLIENTS             JSON array of clients, or @file holding it
//	-signing-key         FC_SANDBOX_SIGNING_KEY_FILE    PEM EC P-256 private key; default a fresh key
//	-invalid-identities  FC_SANDBOX_INVALID_IDENTITIES  also list the invalid identities
//
// A client, as JSON:
//
//	{"id": "procura", "secret": "…",
//	 "redirect_uris": ["http://localhost:8080/franceconnect/callback"],
//	 "post_logout_redirect_uris": ["http://localhost:8080/franceconnect/logout-callback"]}
package sandbox
