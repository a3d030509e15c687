// Package franceconnect is Procura's relying-party client of a
// FranceConnect-like OpenID Provider (FranceConnect v2, the fc-sandbox of
// franceconnect/sandbox in development): it identifies a usager by the
// authorization code flow and returns their identity, checked as
// FranceConnect checks it, with the signed tokens that prove it.
//
// # Use
//
// A handler calls it in two steps and keeps the flow state server-side:
//
//	flow, authURL, err := fc.Begin(ctx)      // store flow in the browser's session
//	http.Redirect(w, r, authURL, http.StatusSeeOther)
//
//	// on RedirectURI:
//	flow := takeFlowFromSession(r)            // delete it before Complete: single use
//	id, ev, err := fc.Complete(ctx, flow, r.URL.Query())
//	// then redirect to fc.LogoutURL(ev.IDToken, logoutState) to end the
//	// FranceConnect session, as DESIGN.md §5 asks.
//
// Pointing the client at FranceConnect's integration or production
// environment is a matter of Config only (Issuer, client credentials and
// registered URIs).
//
// # Contract
//
//   - Discovery is fetched from Issuer + "/.well-known/openid-configuration"
//     and its issuer must be Issuer byte for byte. New tries it at start; a
//     provider that is down does not make New fail, only Begin and Complete,
//     which retry on each call (ErrUnavailable). Check is for readiness.
//   - Begin asks for response_type=code, the configured scopes,
//     acr_values=eidas1, prompt=login (the usager is at an aidant's desk,
//     maybe on a shared computer: never reuse someone else's provider
//     session), and a state and a nonce of 256 bits each (43 characters,
//     above FranceConnect's 22). A Flow lives FlowTTL (10 minutes).
//   - Complete checks, in order: a flow exists and the callback's state is
//     its own (constant time); the flow has not expired; error
//     (access_denied is ErrCancelled); iss when present or announced
//     (RFC 9207). It redeems the code with client_secret_post, then verifies
//     the ID token: compact JWS, ES256 or RS256 only (never none nor HMAC),
//     by the provider's key named by kid; iss, aud (and azp), exp, iat and
//     auth_time within ClockLeeway (30 s) and not before the flow began,
//     nonce, acr = eidas1, at_hash if present. Then userinfo, with the
//     access token.
//   - Userinfo must be a signed JWT (application/jwt), verified like the ID
//     token, with iss, aud and the ID token's sub. Plain JSON is refused
//     (ErrUnsignedUserinfo) unless Config.AllowUnsignedUserinfo: FranceConnect
//     v2 always signs, and only the signed answer is evidence of the
//     identity that can be checked later without trusting Procura
//     (Evidence.Userinfo).
//   - The identity (an identity.Identity) must pass identity.Validate:
//     FranceConnect's rules for the identité pivot, plus email. A failure
//     names the claim in the log detail (*identity.ClaimError), never in
//     the message, and never its value.
//   - Keys come from the provider's JWKS, cached; a token naming an unknown
//     kid makes the client refetch it, at most once a minute.
//   - Every error is a problem.Error (code and safe French message) wrapping
//     one of the Err kinds; nothing panics on hostile input.
package franceconnect
