package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's password storage recommendation (19 MiB, two
// passes, one lane), which keeps a sign-in near 30 ms and memory bounded.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// MinPasswordLength is the shortest password accepted (ASVS 2.1.1).
const MinPasswordLength = 12

// checkPassword states the password rules: length, and no more than 128
// characters so that hashing stays cheap to refuse.
func checkPassword(p string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case !utf8.ValidString(p):
		return invalid("Le mot de passe contient des caractères invalides.")
	case n < MinPasswordLength:
		return invalid(fmt.Sprintf("Le mot de passe doit comporter au moins %d caractères.", MinPasswordLength))
	case n > 128:
		return invalid("Le mot de passe doit comporter au plus 128 caractères.")
	}
	return nil
}

// hashPassword returns the PHC string of an argon2id hash of p.
func hashPassword(p string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(p), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// verifyPassword reports whether p matches the PHC string encoded, using the
// parameters stored with it.
func verifyPassword(encoded, p string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("account: password hash is not argon2id")
	}
	var version int
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("account: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false, fmt.Errorf("account: argon2 parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("account: argon2 salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("account: argon2 key: %w", err)
	}
	got := argon2.IDKey([]byte(p), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when the email is unknown, so that an
// unknown account costs the same time as a wrong password.
var dummyHash = sync.OnceValue(func() string { return hashPassword("procura-dummy-password") })
