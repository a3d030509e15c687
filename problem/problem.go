// Package problem gives domain errors a code and a message safe to show a
// person (in French). The web layer maps the code to an HTTP status; the
// wrapped detail goes to the log only.
package problem

import (
	"errors"
	"fmt"
)

// Code classifies an error for whoever has to answer it.
type Code string

const (
	Invalid      Code = "invalid"      // the input is wrong; the person can fix it
	NotFound     Code = "not_found"    // no such thing, or not theirs to see
	Conflict     Code = "conflict"     // the state forbids it (already exists, already revoked…)
	Unauthorized Code = "unauthorized" // not signed in, or credentials refused
	Forbidden    Code = "forbidden"    // signed in, but not allowed
	TooMany      Code = "too_many"     // locked out or rate limited
	Unavailable  Code = "unavailable"  // a service we depend on does not answer; try again later
	Internal     Code = "internal"     // our fault; nothing to show but an apology
)

// Error is an error with a code and a safe message.
type Error struct {
	Code    Code
	Message string // safe to show, in French
	Err     error  // detail for the log; may be nil
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, target) true when both are *Error with the same
// code and message: sentinel problems can be declared as package variables.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == e.Message
}

// New returns a problem with a code and a safe message.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Errorf returns a problem with a safe message and a detail for the log.
func Errorf(code Code, message string, format string, args ...any) *Error {
	return &Error{Code: code, Message: message, Err: fmt.Errorf(format, args...)}
}

// CodeOf returns the code of the first problem in err's chain, Internal if
// there is none.
func CodeOf(err error) Code {
	var p *Error
	if errors.As(err, &p) {
		return p.Code
	}
	return Internal
}

// MessageOf returns the safe message of the first problem in err's chain,
// or a generic apology.
func MessageOf(err error) string {
	var p *Error
	if errors.As(err, &p) && p.Message != "" {
		return p.Message
	}
	return "Une erreur interne est survenue. Réessayez dans quelques instants ; si elle persiste, contactez le support."
}
