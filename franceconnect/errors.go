package franceconnect

import (
	"errors"
	"fmt"

	"procura/identity"
	"procura/problem"
)

// Kinds of failure. Every error returned by Begin, Complete and Check wraps
// exactly one of them, so callers test it with errors.Is; the same error is
// a *problem.Error whose code and safe French message are what a person is
// shown (problem.MessageOf). The error text, for the log only, says what was
// wrong: which claim, what the provider answered. It never holds a claim's
// value, a token or a secret.
var (
	// ErrCancelled: the usager cancelled at the provider (error=access_denied).
	ErrCancelled = errors.New("franceconnect: identification cancelled by the usager")
	// ErrRefused: the provider answered the authorization request with an
	// error other than access_denied.
	ErrRefused = errors.New("franceconnect: the provider refused the authorization request")
	// ErrState: no flow in progress, or the callback's state is not the
	// flow's (forged, mixed up or replayed callback).
	ErrState = errors.New("franceconnect: unknown, replayed or mismatched state")
	// ErrFlowExpired: the callback came more than FlowTTL after Begin.
	ErrFlowExpired = errors.New("franceconnect: identification flow expired")
	// ErrUnavailable: the provider could not be reached, answered 5xx, or its
	// discovery document or key set is unusable.
	ErrUnavailable = errors.New("franceconnect: provider unavailable")
	// ErrTokenRefused: the token or userinfo endpoint refused our request
	// (invalid_grant for a used or expired code, invalid_client…).
	ErrTokenRefused = errors.New("franceconnect: token exchange refused")
	// ErrMalformed: an answer of the provider does not parse.
	ErrMalformed = errors.New("franceconnect: malformed answer from the provider")
	// ErrSignature: a JWS is unsigned, signed with an algorithm other than
	// ES256 or RS256, by no key of the provider's JWKS, or does not verify.
	ErrSignature = errors.New("franceconnect: bad signature")
	// ErrIssuer: iss is not the configured issuer.
	ErrIssuer = errors.New("franceconnect: wrong issuer")
	// ErrAudience: aud (or azp) does not name this client.
	ErrAudience = errors.New("franceconnect: wrong audience")
	// ErrNonce: the ID token's nonce is not the flow's.
	ErrNonce = errors.New("franceconnect: wrong nonce")
	// ErrACR: the ID token's acr is not eidas1.
	ErrACR = errors.New("franceconnect: wrong acr")
	// ErrTokenTime: exp, iat or auth_time is missing or out of range.
	ErrTokenTime = errors.New("franceconnect: token expired or not yet valid")
	// ErrSubject: sub is missing or malformed, or userinfo's sub is not the
	// ID token's.
	ErrSubject = errors.New("franceconnect: sub missing or inconsistent")
	// ErrUnsignedUserinfo: userinfo answered plain JSON and
	// Config.AllowUnsignedUserinfo is off.
	ErrUnsignedUserinfo = errors.New("franceconnect: unsigned userinfo refused")
	// ErrInvalidClaims: an identity claim breaks FranceConnect's rules; an
	// *identity.ClaimError in the chain names it (identity.Validate).
	ErrInvalidClaims = identity.ErrInvalidClaims
)

// Safe messages, in French. Failures of verification share one message: the
// person can do nothing different about a bad signature or a bad nonce, and
// telling which check failed would help only an attacker.
const (
	msgCancelled = "L'identification avec FranceConnect a été annulée : l'usager n'a pas été identifié."
	msgRefused   = "FranceConnect n'a pas pu identifier l'usager. Recommencez l'identification ; " +
		"si le problème persiste, contactez l'assistance."
	msgState = "Cette réponse de FranceConnect ne correspond à aucune identification en cours, " +
		"ou a déjà été utilisée. Recommencez l'identification."
	msgExpired     = "L'identification avec FranceConnect a pris plus de 10 minutes et a expiré. Recommencez l'identification."
	msgUnavailable = "FranceConnect est momentanément injoignable. Réessayez dans quelques instants."
	msgUnverified  = "La réponse de FranceConnect n'a pas pu être vérifiée : par sécurité, l'usager n'a pas été identifié. " +
		"Recommencez l'identification ; si le problème persiste, contactez l'assistance."
)

// problemOf gives each kind its code and safe message.
func problemOf(kind error) (problem.Code, string) {
	switch kind {
	case ErrCancelled:
		return problem.Unauthorized, msgCancelled
	case ErrRefused:
		return problem.Unauthorized, msgRefused
	case ErrState:
		return problem.Invalid, msgState
	case ErrFlowExpired:
		return problem.Invalid, msgExpired
	case ErrUnavailable:
		return problem.Unavailable, msgUnavailable
	case ErrInvalidClaims:
		return problem.Invalid, identity.MsgInvalidClaims
	default:
		return problem.Unauthorized, msgUnverified
	}
}

// fail returns a problem of the given kind with a detail for the log.
func fail(kind error, format string, args ...any) error {
	code, msg := problemOf(kind)
	return &problem.Error{Code: code, Message: msg, Err: fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)}
}

// kinds lists every error kind, for Reason.
var kinds = []struct {
	err    error
	reason string
}{
	{ErrCancelled, "cancelled"}, {ErrRefused, "refused"}, {ErrState, "state"}, {ErrFlowExpired, "flow_expired"},
	{ErrUnavailable, "unavailable"}, {ErrTokenRefused, "token_refused"}, {ErrMalformed, "malformed"},
	{ErrSignature, "signature"}, {ErrIssuer, "issuer"}, {ErrAudience, "audience"}, {ErrNonce, "nonce"},
	{ErrACR, "acr"}, {ErrTokenTime, "token_time"}, {ErrSubject, "subject"},
	{ErrUnsignedUserinfo, "unsigned_userinfo"}, {ErrInvalidClaims, "invalid_claims"},
}

// Reason names the kind of an identification failure, for the audit
// journal: a word, never personal data. "other" when err is of no kind.
func Reason(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.reason
		}
	}
	return "other"
}
