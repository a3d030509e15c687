package franceconnect

import (
	"errors"
	"strings"
	"testing"

	"procura/problem"
)

func TestErrorsAreProblems(t *testing.T) {
	for _, kind := range []error{
		ErrCancelled, ErrRefused, ErrState, ErrFlowExpired, ErrUnavailable, ErrTokenRefused, ErrMalformed,
		ErrSignature, ErrIssuer, ErrAudience, ErrNonce, ErrACR, ErrTokenTime, ErrSubject, ErrUnsignedUserinfo, ErrInvalidClaims,
	} {
		err := fail(kind, "detail %d", 42)
		if !errors.Is(err, kind) {
			t.Errorf("fail(%v): errors.Is false", kind)
		}
		var p *problem.Error
		if !errors.As(err, &p) || p.Message == "" || strings.Contains(p.Message, "detail") {
			t.Errorf("fail(%v): %v: want a problem with a safe message", kind, err)
		}
		if !strings.Contains(err.Error(), "detail 42") {
			t.Errorf("fail(%v): %q: want the detail in the log text", kind, err.Error())
		}
	}
	if errors.Is(fail(ErrNonce, "x"), ErrAudience) {
		t.Error("kinds are not distinct")
	}
}
