package account

import (
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters (RFC 6238): 30-second steps, 6 digits, SHA-1 (what every
// authenticator app and physical card supports), one step of drift either way.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1
	totpIssuer = "Procura"
)

// NewTOTPKey returns a TOTP key for the account email: a fresh seed, or the
// given base32 seed when not empty. The key's URL() is the otpauth:// URI an
// authenticator app scans.
func NewTOTPKey(email, seed string) (*otp.Key, error) {
	opts := totp.GenerateOpts{
		Issuer:      totpIssuer,
		AccountName: email,
		Period:      totpPeriod,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
	}
	if seed != "" {
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(seed, "=")))
		if err != nil || len(raw) < 10 {
			return nil, invalid("La graine TOTP doit être en base32 et faire au moins 80 bits.")
		}
		opts.Secret = raw
	}
	return totp.Generate(opts)
}

// matchTOTP returns the time step whose code equals code, trying the current
// step and one either side. ok is false when none matches.
func matchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	if len(code) != 6 {
		return 0, false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	current := now.Unix() / totpPeriod
	for s := current - totpSkew; s <= current+totpSkew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode computes the code of secret at t; used by the dev command and by
// tests that sign in like a person with an authenticator app.
func TOTPCode(secret string, t time.Time) (string, error) {
	code, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{
		Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", fmt.Errorf("account: totp code: %w", err)
	}
	return code, nil
}
