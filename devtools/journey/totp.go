package journey

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Codes gives an aidant's TOTP codes that the server has not seen yet.
type Codes interface {
	Code(ctx context.Context) (string, error)
}

// CodeFunc is a Codes of a function: tests on a settable clock compute the
// code of their clock's step.
type CodeFunc func(ctx context.Context) (string, error)

func (f CodeFunc) Code(ctx context.Context) (string, error) { return f(ctx) }

// The server's TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps; it
// accepts the current step and one either side (drift), each step once
// and only after the last one it accepted from the aidant (account).
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
)

// TOTP gives the codes of one seed on the real clock, as the server takes
// them: a step at most once, in increasing order. A fresh aidant gets up to
// three codes at once (the previous step while it is not about to be
// refused, the current one, the next one); beyond that, Code waits for the
// next step. Every code of an aidant must come from one TOTP, shared by all
// the aidant's browsers.
type TOTP struct {
	seed string

	mu   sync.Mutex
	last int64 // the last step used
}

// NewTOTP returns the codes of seed after lastStep, the last step already
// used (0 when none).
func NewTOTP(seed string, lastStep int64) *TOTP {
	return &TOTP{seed: seed, last: lastStep}
}

// LastStep is the last step Code used, to be kept for a later run.
func (t *TOTP) LastStep() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// Code returns the code of the first step the server still accepts.
func (t *TOTP) Code(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now().Unix()
	current := now / totpPeriod
	lowest := current
	if now%totpPeriod < totpPeriod-5 {
		lowest = current - 1 // accepted for 5 s more at least
	}
	step := max(t.last+1, lowest)
	if step > current+1 {
		// Wait until step is the next one.
		wait := time.Until(time.Unix((step-1)*totpPeriod, 0)) + 200*time.Millisecond
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return "", ctx.Err()
		}
	}
	code, err := TOTPCode(t.seed, time.Unix(step*totpPeriod, 0))
	if err != nil {
		return "", err
	}
	t.last = step
	return code, nil
}

// TOTPCode is the code of seed at time at.
func TOTPCode(seed string, at time.Time) (string, error) {
	code, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", fmt.Errorf("journey: TOTP code: %w", err)
	}
	return code, nil
}
