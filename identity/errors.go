package identity

import (
	"errors"
	"fmt"

	"procura/problem"
)

// ErrInvalidClaims: an identity claim breaks FranceConnect's rules; a
// *ClaimError in the chain names it.
var ErrInvalidClaims = errors.New("identity: invalid identity claims")

// MsgInvalidClaims is the safe message of ErrInvalidClaims, in French.
const MsgInvalidClaims = "FranceConnect a transmis une identité incomplète ou non conforme : l'usager ne peut pas être " +
	"identifié et rien n'a été enregistré. Contactez l'assistance."

// ClaimError names the identity claim that broke a rule, for the log: the
// claim's name and the rule, never its value.
type ClaimError struct {
	Claim  string // e.g. "birthdate"
	Reason string // the rule broken, in English
}

func (e *ClaimError) Error() string { return "claim " + e.Claim + ": " + e.Reason }

// InvalidClaim returns the ErrInvalidClaims problem for one claim; both
// errors.Is(err, ErrInvalidClaims) and errors.As(err, **ClaimError) hold.
func InvalidClaim(claim, reason string) error {
	return &problem.Error{Code: problem.Invalid, Message: MsgInvalidClaims,
		Err: fmt.Errorf("%w: %w", ErrInvalidClaims, &ClaimError{Claim: claim, Reason: reason})}
}
