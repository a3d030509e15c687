package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"
	"golang.org/x/crypto/argon2"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"procura/problem"
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

// ErrWeakPassword refuses a password that is long enough but easy to guess.
var ErrWeakPassword = problem.New(problem.Invalid,
	"Ce mot de passe est trop facile à deviner : il ressemble à un mot de passe courant, à une suite de touches "+
		"ou de chiffres, ou reprend votre nom ou votre adresse. Choisissez plutôt trois ou quatre mots sans rapport "+
		"entre eux, par exemple « cerise-tambour-nuage-plume ».")

// minPasswordScore is the zxcvbn score (0 to 4) a password must reach:
// 3, "safely unguessable: moderate protection from offline slow-hash
// scenario" (Wheeler, USENIX Security 2016), with argon2id at rest.
const minPasswordScore = 3

// checkPassword states the password rules (OWASP ASVS 5.0 §6.2): at least
// MinPasswordLength characters, at most 128 (so that hashing stays cheap
// to refuse), and hard to guess by the zxcvbn estimator, which knows
// common and leaked passwords, keyboard walks, sequences, repeats and
// dates; it is also given a short list of common French passwords and
// personal, the person's own names and email, so that none of them makes
// a password.
func checkPassword(p string, personal ...string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case !utf8.ValidString(p):
		return invalid("Le mot de passe contient des caractères invalides.")
	case n < MinPasswordLength:
		return invalid(fmt.Sprintf("Le mot de passe doit comporter au moins %d caractères.", MinPasswordLength))
	case n > 128:
		return invalid("Le mot de passe doit comporter au plus 128 caractères.")
	}
	inputs := append(slices.Clone(frenchCommonPasswords), personalWords(personal)...)
	if zxcvbn.PasswordStrength(p, inputs).Score < minPasswordScore {
		return ErrWeakPassword
	}
	return nil
}

// personalWords splits names and emails into the words a password should
// not be built on ("camille.lefevre@mairie.fr" gives camille, lefevre,
// mairie…), lower-cased, with and without accents.
func personalWords(personal []string) []string {
	var words []string
	unaccent := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	for _, s := range personal {
		s = strings.ToLower(s)
		if folded, _, err := transform.String(unaccent, s); err == nil && folded != s {
			words = append(words, folded)
			words = append(words, strings.FieldsFunc(folded, func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsDigit(r)
			})...)
		}
		words = append(words, s)
		words = append(words, strings.FieldsFunc(s, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})...)
	}
	return words
}

// frenchCommonPasswords are frequent French passwords and their bases,
// which zxcvbn's English lists do not hold.
var frenchCommonPasswords = []string{
	"motdepasse", "azerty", "azertyuiop", "qsdfghjklm", "wxcvbn", "doudou", "loulou", "chouchou", "soleil", "bonjour",
	"bonsoir", "coucou", "marseille", "paris", "lyon", "toulouse", "bordeaux", "nantes", "lille", "france", "nicolas",
	"camille", "julien", "thomas", "alexandre", "isabelle", "nathalie", "sandrine", "stephanie", "amour", "jetaime",
	"chocolat", "princesse", "vacances", "bisous", "doudoune", "maison", "famille", "liberte", "pompier", "voiture",
	"football", "olivier", "printemps", "automne", "bienvenue", "mamour", "cheval", "papillon", "tresor", "bebe",
	"procura", "aidant", "aidants", "mandat", "franceservices", "mairie",
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

// CheckPassword applies the password rules to p for a person known by
// personal (names, email), so that a form can say what is wrong before
// anything is stored.
func CheckPassword(p string, personal ...string) error { return checkPassword(p, personal...) }

// newPassword reads the account a link (invitation, recovery) sets the
// password of, checks the new password typed twice (the rules, and not the
// person's own names or email), and returns the account, the password's
// hash and the account's memberships (the journal's actor): what setting a
// password through a link needs before its transaction.
func (d *Directory) newPassword(ctx context.Context, accountID, password, confirm string) (Account, string, []Membership, error) {
	acc, err := d.Account(ctx, accountID)
	if err != nil {
		return Account{}, "", nil, err
	}
	if err := checkPassword(password, acc.Email, acc.GivenName, acc.FamilyName); err != nil {
		return Account{}, "", nil, err
	}
	if password != confirm {
		return Account{}, "", nil, ErrPasswordMismatch
	}
	var hash string
	if err := d.argon2(ctx, func() { hash = hashPassword(password) }); err != nil {
		return Account{}, "", nil, err
	}
	ms, err := d.Memberships(ctx, accountID)
	if err != nil {
		return Account{}, "", nil, err
	}
	return acc, hash, ms, nil
}
