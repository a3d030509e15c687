package account

import (
	"fmt"
	"time"

	"procura/problem"
)

// The same message answers an unknown email, a wrong password and a wrong
// code, so that sign-in reveals nothing about which accounts exist.
var (
	ErrBadCredentials  = problem.New(problem.Unauthorized, "Adresse électronique, mot de passe ou code incorrect.")
	ErrCodeReplayed    = problem.New(problem.Unauthorized, "Ce code a déjà été utilisé. Attendez le code suivant de votre application et réessayez.")
	ErrInactive        = problem.New(problem.Forbidden, "Ce compte est désactivé. Adressez-vous au responsable de votre structure.")
	ErrEnrolmentNeeded = problem.New(problem.Forbidden, "Ce compte n'a pas encore de code à usage unique : enrôlez une application d'authentification.")
	ErrNotMember       = problem.New(problem.NotFound, "Organisation introuvable.")
	ErrEmailTaken      = problem.New(problem.Conflict, "Un compte existe déjà avec cette adresse électronique.")
	ErrSIRETTaken      = problem.New(problem.Conflict, "Une organisation existe déjà avec ce SIRET.")
	ErrAccountNotFound = problem.New(problem.NotFound, "Compte introuvable.")
	ErrOrgNotFound     = problem.New(problem.NotFound, "Organisation introuvable.")
)

// LockedOutError refuses a sign-in during a lockout.
type LockedOutError struct {
	Until time.Time
}

func (e *LockedOutError) Error() string {
	return fmt.Sprintf("account: locked out until %s", e.Until.Format(time.RFC3339))
}

// Unwrap gives the problem shown to the person.
func (e *LockedOutError) Unwrap() error {
	wait := time.Until(e.Until).Round(time.Minute)
	msg := "Trop de tentatives infructueuses. Réessayez dans une minute."
	if wait > time.Minute {
		msg = fmt.Sprintf("Trop de tentatives infructueuses. Réessayez dans %d minutes.", int(wait.Minutes()))
	}
	return problem.New(problem.TooMany, msg)
}

func invalid(message string) error {
	return problem.New(problem.Invalid, message)
}

func conflict(message string) error {
	return problem.New(problem.Conflict, message)
}

func problemNotFound(message string) error {
	return problem.New(problem.NotFound, message)
}
