package identity

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Seeds run in every `go test`; `go test -fuzz FuzzX ./identity/` explores.

func FuzzValidBirthdate(f *testing.F) {
	for _, s := range []string{"1985-04-12", "1990-07-00", "1978-00-00", "2000-02-29", "1900-02-29",
		"1983-02-30", "1983-00-12", "1983-13-00", "0000-00-00", "12/04/1985", "", "1985-4-12", "+985-04-12", "１９８５-04-12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidBirthdate(s) {
			return
		}
		if len(s) != 10 || s[4] != '-' || s[7] != '-' {
			t.Fatalf("%q accepted but not YYYY-MM-DD shaped", s)
		}
		switch {
		case s[5:] == "00-00":
		case s[8:] == "00":
			if _, err := time.Parse("2006-01", s[:7]); err != nil {
				t.Fatalf("%q accepted but %q is no month: %v", s, s[:7], err)
			}
		default:
			if _, err := time.Parse("2006-01-02", s); err != nil {
				t.Fatalf("%q accepted but is no date: %v", s, err)
			}
		}
	})
}

func FuzzValidName(f *testing.F) {
	for _, s := range []string{"Élodie Anne", "D'Arcy", "Lecœur", "", " ", "a\nb", "\u202eabc", "\xff", "李", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidName(s) {
			return
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLength || strings.TrimSpace(s) == "" {
			t.Fatalf("%q accepted", s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("%q accepted with control character %U", s, r)
			}
		}
	})
}

func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"a@b.fr", "hugo.courriel@@example", "x@y", "<a@b.fr>", "A <a@b.fr>", "\"a b\"@c.fr", "a@[1.2.3.4]", "é@é.fr", "a@b.123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidEmail(s) {
			return
		}
		local, domain, ok := strings.Cut(s, "@")
		if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(s, " <>\t\r\n") || len(s) > maxEmailLength {
			t.Fatalf("%q accepted", s)
		}
	})
}

func FuzzValidate(f *testing.F) {
	id := validIdentity()
	f.Add(id.Sub, id.GivenName, id.FamilyName, "", id.Birthdate, id.Gender, id.Birthplace, id.Birthcountry, id.Email)
	f.Add("s", "Fatima", "Benali", "Haddad", "1978-00-00", "female", "", "99352", "f@b.fr")
	f.Add("s", "x", "y", "", "1983-02-30", "M", "99100", "99100", "bad")
	f.Fuzz(func(t *testing.T, sub, given, family, usage, birthdate, gender, birthplace, birthcountry, email string) {
		id := Identity{Sub: sub, Claims: Claims{GivenName: given, FamilyName: family, PreferredUsername: usage, Birthdate: birthdate,
			Gender: gender, Birthplace: birthplace, Birthcountry: birthcountry, Email: email}}
		err := Validate(id)
		if err == nil {
			// Consistency with the single-claim validators.
			if !ValidBirthdate(birthdate) || !ValidGender(gender) || !ValidBirthcountry(birthcountry) || !ValidEmail(email) ||
				(birthcountry == BirthcountryFrance) != (birthplace != "") {
				t.Fatalf("%+v accepted", id)
			}
			return
		}
		var ce *ClaimError
		if !errors.Is(err, ErrInvalidClaims) || !errors.As(err, &ce) || ce.Claim == "" {
			t.Fatalf("%+v: %v: want ErrInvalidClaims with a claim", id, err)
		}
	})
}
