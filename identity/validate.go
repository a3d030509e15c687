package identity

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// BirthcountryFrance is France's INSEE country code.
const BirthcountryFrance = "99100"

// Limits of the validators.
const (
	maxNameLength  = 256 // runes, as FranceConnect bounds given_name and family_name
	maxSubLength   = 255 // OpenID Connect Core §2: sub is at most 255 ASCII characters
	maxEmailLength = 254 // RFC 5321 path limit, less the angle brackets
	minBirthYear   = 1800
)

// Validate checks an identity as FranceConnect validates the identité
// pivot, plus sub and email. It reports the first broken rule as an
// ErrInvalidClaims problem holding a *ClaimError.
func Validate(id Identity) error {
	switch {
	case !ValidSub(id.Sub):
		return InvalidClaim("sub", "missing, longer than 255 characters or not printable ASCII")
	case !ValidName(id.GivenName):
		return InvalidClaim("given_name", "empty, too long, without a letter or with control characters")
	case !ValidName(id.FamilyName):
		return InvalidClaim("family_name", "empty, too long, without a letter or with control characters")
	case id.PreferredUsername != "" && !ValidName(id.PreferredUsername):
		return InvalidClaim("preferred_username", "too long, without a letter or with control characters")
	case !ValidBirthdate(id.Birthdate):
		return InvalidClaim("birthdate", "not YYYY-MM-DD, YYYY-MM-00 or YYYY-00-00, or not a real date")
	case !ValidGender(id.Gender):
		return InvalidClaim("gender", "not female, male or unspecified")
	case !ValidBirthcountry(id.Birthcountry):
		return InvalidClaim("birthcountry", "not an INSEE country code (99 and three digits)")
	case id.Birthcountry == BirthcountryFrance && !ValidBirthplace(id.Birthplace):
		return InvalidClaim("birthplace", "born in France but no valid INSEE commune code")
	case id.Birthcountry != BirthcountryFrance && id.Birthplace != "":
		return InvalidClaim("birthplace", "born abroad but a birthplace is given")
	case !ValidEmail(id.Email):
		return InvalidClaim("email", "not a valid address")
	}
	return nil
}

// ValidSub reports whether s is a usable subject identifier: 1 to 255
// printable ASCII characters.
func ValidSub(s string) bool {
	if s == "" || len(s) > maxSubLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// ValidName reports whether s is acceptable as a given name, family name or
// nom d'usage: valid UTF-8, at most 256 characters, at least one letter, and
// no control, format (bidirectional overrides, zero-width), private-use or
// line-separator characters.
func ValidName(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLength {
		return false
	}
	letter := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError,
			unicode.IsControl(r),
			unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp):
			return false
		case unicode.IsLetter(r):
			letter = true
		}
	}
	return letter
}

// ValidBirthdate reports whether s is a FranceConnect birthdate: YYYY-MM-DD
// for a real calendar date, YYYY-MM-00 when the day is unknown, YYYY-00-00
// when the month is too; the year is at least 1800.
func ValidBirthdate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	year, ok1 := atoi(s[0:4])
	month, ok2 := atoi(s[5:7])
	day, ok3 := atoi(s[8:10])
	switch {
	case !ok1 || !ok2 || !ok3 || year < minBirthYear:
		return false
	case month == 0:
		return day == 0
	case month > 12:
		return false
	case day == 0:
		return true
	}
	// Day 0 of the next month is the last day of this one.
	last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return day <= last
}

// ValidGender reports whether s is one of FranceConnect's genders.
func ValidGender(s string) bool {
	return s == "female" || s == "male" || s == "unspecified"
}

// ValidBirthcountry reports whether s is an INSEE country code: "99" and
// three digits (99100 is France).
func ValidBirthcountry(s string) bool {
	return len(s) == 5 && s[:2] == "99" && digits(s[2:])
}

// ValidBirthplace reports whether s is an INSEE commune code: a department
// (two digits, or 2A / 2B for Corsica) and three digits. Country codes (99…)
// and 00… are not communes.
func ValidBirthplace(s string) bool {
	if len(s) != 5 || !digits(s[2:]) {
		return false
	}
	dept := s[:2]
	if dept == "2A" || dept == "2B" {
		return true
	}
	return digits(dept) && dept != "00" && dept != "99"
}

// ValidEmail reports whether s is a plain address local@domain: no display
// name, no quoting, no spaces or control characters, at most 254 bytes, and
// a domain of at least two dot-separated labels of letters, digits and
// hyphens.
func ValidEmail(s string) bool {
	if s == "" || len(s) > maxEmailLength || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) {
			return false
		}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || strings.Count(s, "@") != 1 {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	return local != "" && validDomain(domain)
}

func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return !digits(labels[len(labels)-1])
}

// digits reports whether s is a non-empty string of ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi parses a short string of ASCII digits.
func atoi(s string) (int, bool) {
	if !digits(s) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
