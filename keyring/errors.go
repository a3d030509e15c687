package keyring

import (
	"errors"
	"fmt"

	"procura/problem"
)

// Errors of key administration.
var (
	ErrUnknownPurpose = problem.New(problem.Invalid, "Usage de clé inconnu (attendu : oidc, mandate ou journal).")
	ErrUnsupportedAlg = problem.New(problem.Invalid, "Algorithme non disponible pour cet usage (oidc : ES256 ou RS256 ; mandate : ES256 ou EdDSA ; journal : EdDSA).")
	ErrKeyNotFound    = problem.New(problem.NotFound, "Clé de signature introuvable.")
	ErrAlreadyRetired = problem.New(problem.Conflict, "Cette clé est déjà retirée.")
	// ErrRetireCurrent refuses to retire the key that signs now, which is
	// also the last active key of its purpose and algorithm: rotate first.
	ErrRetireCurrent = problem.New(problem.Conflict, "Cette clé est la clé de signature en cours : faites d'abord une rotation, puis retirez-la.")
	// ErrNoKey is returned by Signer when no key exists for a purpose and
	// algorithm: Ensure was not called at start-up.
	ErrNoKey = problem.New(problem.Internal, "Aucune clé de signature n'est active.")
	// ErrCorruptKey is returned for a stored key that does not open with the
	// master key or does not match its kid: a wrong master key, or a row
	// written by someone without it.
	ErrCorruptKey = problem.New(problem.Internal, "Une clé de signature est illisible.")
)

// ErrInvalidSignature is every refusal of Verify. The reason, one of the
// errors below, is wrapped inside for errors.Is and for the log.
var ErrInvalidSignature = problem.New(problem.Invalid, "Signature invalide.")

// Reasons Verify refuses a JWS.
var (
	ErrMalformed     = errors.New("keyring: not a JWS in compact serialization")
	ErrAlgNotAllowed = errors.New("keyring: algorithm not allowed") // alg none included
	ErrUnknownKey    = errors.New("keyring: unknown kid")
	ErrKeyRetired    = errors.New("keyring: key retired")
	ErrAlgMismatch   = errors.New("keyring: header alg differs from the key's")
	ErrBadSignature  = errors.New("keyring: signature does not verify")
)

// refuse returns ErrInvalidSignature carrying reason and detail.
func refuse(reason error, format string, args ...any) error {
	return &problem.Error{
		Code:    ErrInvalidSignature.Code,
		Message: ErrInvalidSignature.Message,
		Err:     fmt.Errorf("%w: "+format, append([]any{reason}, args...)...),
	}
}
