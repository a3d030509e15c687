package identity

import (
	"errors"
	"strings"
	"testing"

	"procura/problem"
)

func validIdentity() Identity {
	return Identity{
		Issuer: "https://fc.example/api/v2",
		Sub:    "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1",
		Claims: Claims{
			GivenName:    "Élodie Anne",
			FamilyName:   "Lefèvre",
			Birthdate:    "1985-04-12",
			Gender:       "female",
			Birthplace:   "75112",
			Birthcountry: "99100",
			Email:        "elodie.lefevre@example.com",
		},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*Identity)
		wantClaim string // "" when valid
	}{
		{"complete", func(*Identity) {}, ""},
		{"nom d'usage", func(id *Identity) { id.PreferredUsername = "Martin" }, ""},
		{"born abroad", func(id *Identity) { id.Birthcountry, id.Birthplace = "99352", "" }, ""},
		{"Corsica 2A", func(id *Identity) { id.Birthplace = "2A004" }, ""},
		{"Corsica 2B", func(id *Identity) { id.Birthplace = "2B033" }, ""},
		{"day unknown", func(id *Identity) { id.Birthdate = "1990-07-00" }, ""},
		{"month unknown", func(id *Identity) { id.Birthdate = "1978-00-00" }, ""},
		{"leap day", func(id *Identity) { id.Birthdate = "2000-02-29" }, ""},
		{"unspecified gender", func(id *Identity) { id.Gender = "unspecified" }, ""},
		{"apostrophe and hyphen", func(id *Identity) { id.FamilyName = "D'Arcy-Lecœur" }, ""},

		{"no sub", func(id *Identity) { id.Sub = "" }, "sub"},
		{"sub with space", func(id *Identity) { id.Sub = "a b" }, "sub"},
		{"sub too long", func(id *Identity) { id.Sub = strings.Repeat("a", 256) }, "sub"},
		{"no given name", func(id *Identity) { id.GivenName = "" }, "given_name"},
		{"blank given name", func(id *Identity) { id.GivenName = "   " }, "given_name"},
		{"control character", func(id *Identity) { id.GivenName = "Jean\nPaul" }, "given_name"},
		{"bidi override", func(id *Identity) { id.FamilyName = "Dupont\u202e" }, "family_name"},
		{"name too long", func(id *Identity) { id.FamilyName = strings.Repeat("é", 257) }, "family_name"},
		{"invalid UTF-8", func(id *Identity) { id.FamilyName = "Dupont\xff" }, "family_name"},
		{"bad nom d'usage", func(id *Identity) { id.PreferredUsername = "\x00" }, "preferred_username"},
		{"no birthdate", func(id *Identity) { id.Birthdate = "" }, "birthdate"},
		{"30 February", func(id *Identity) { id.Birthdate = "1983-02-30" }, "birthdate"},
		{"29 February, not leap", func(id *Identity) { id.Birthdate = "1900-02-29" }, "birthdate"},
		{"day without month", func(id *Identity) { id.Birthdate = "1983-00-12" }, "birthdate"},
		{"month 13", func(id *Identity) { id.Birthdate = "1983-13-00" }, "birthdate"},
		{"year only", func(id *Identity) { id.Birthdate = "1983" }, "birthdate"},
		{"year 0000", func(id *Identity) { id.Birthdate = "0000-00-00" }, "birthdate"},
		{"slashes", func(id *Identity) { id.Birthdate = "12/04/1985" }, "birthdate"},
		{"gender M", func(id *Identity) { id.Gender = "M" }, "gender"},
		{"gender Female", func(id *Identity) { id.Gender = "Female" }, "gender"},
		{"no birthcountry", func(id *Identity) { id.Birthcountry = "" }, "birthcountry"},
		{"birthcountry a commune", func(id *Identity) { id.Birthcountry = "75112" }, "birthcountry"},
		{"birthcountry 4 digits", func(id *Identity) { id.Birthcountry = "9910" }, "birthcountry"},
		{"France without birthplace", func(id *Identity) { id.Birthplace = "" }, "birthplace"},
		{"birthplace a country", func(id *Identity) { id.Birthplace = "99100" }, "birthplace"},
		{"birthplace 2C", func(id *Identity) { id.Birthplace = "2C004" }, "birthplace"},
		{"birthplace lower-case 2a", func(id *Identity) { id.Birthplace = "2a004" }, "birthplace"},
		{"abroad with birthplace", func(id *Identity) { id.Birthcountry = "99139" }, "birthplace"},
		{"no email", func(id *Identity) { id.Email = "" }, "email"},
		{"double at", func(id *Identity) { id.Email = "hugo.courriel@@example" }, "email"},
		{"no dot in domain", func(id *Identity) { id.Email = "hugo@example" }, "email"},
		{"display name", func(id *Identity) { id.Email = "Hugo <hugo@example.com>" }, "email"},
		{"space", func(id *Identity) { id.Email = "hugo @example.com" }, "email"},
		{"domain literal", func(id *Identity) { id.Email = "hugo@[127.0.0.1]" }, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := validIdentity()
			tt.edit(&id)
			err := Validate(id)
			if tt.wantClaim == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidClaims) {
				t.Fatalf("Validate: %v, want ErrInvalidClaims", err)
			}
			var ce *ClaimError
			if !errors.As(err, &ce) || ce.Claim != tt.wantClaim {
				t.Fatalf("Validate: %v, want claim %q", err, tt.wantClaim)
			}
			if problem.CodeOf(err) != problem.Invalid || strings.Contains(problem.MessageOf(err), tt.wantClaim) {
				t.Fatalf("problem %q %q: want Invalid and a message that names no claim", problem.CodeOf(err), problem.MessageOf(err))
			}
		})
	}
}
