package sandbox_test

import (
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"procura/franceconnect/sandbox"
)

// fcViolations lists the FranceConnect rules an identity breaks, by claim:
// what a relying party is entitled to check (DESIGN.md §5) and what
// FranceConnect itself enforces on identity providers.
func fcViolations(id sandbox.Identity) []string {
	var bad []string
	for claim, v := range map[string]string{"given_name": id.GivenName, "family_name": id.FamilyName} {
		if strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > 256 {
			bad = append(bad, claim)
		}
	}
	if !slices.Contains([]string{"female", "male", "unspecified"}, id.Gender) {
		bad = append(bad, "gender")
	}
	if !validBirthdate(id.Birthdate) {
		bad = append(bad, "birthdate")
	}
	if !regexp.MustCompile(`^[0-9]{5}$`).MatchString(id.Birthcountry) {
		bad = append(bad, "birthcountry")
	}
	// Birthplace is a COG commune code (Corsica's start 2A or 2B) when born
	// in France, and empty otherwise.
	cog := regexp.MustCompile(`^(?:2[AB]|[0-9]{2})[0-9]{3}$`)
	if (id.Birthcountry == "99100") != cog.MatchString(id.Birthplace) || (id.Birthcountry != "99100" && id.Birthplace != "") {
		bad = append(bad, "birthplace")
	}
	if a, err := mail.ParseAddress(id.Email); err != nil || a.Address != id.Email || a.Name != "" ||
		!strings.Contains(id.Email[strings.LastIndex(id.Email, "@")+1:], ".") {
		bad = append(bad, "email")
	}
	slices.Sort(bad)
	return bad
}

// validBirthdate accepts YYYY-MM-DD (a real date), YYYY-MM-00 and YYYY-00-00.
func validBirthdate(s string) bool {
	if !regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`).MatchString(s) {
		return false
	}
	month, _ := strconv.Atoi(s[5:7])
	day, _ := strconv.Atoi(s[8:10])
	switch {
	case month == 0:
		return day == 0
	case month > 12:
		return false
	case day == 0:
		return true
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func TestShippedIdentitiesAreValidAndCoverTheCases(t *testing.T) {
	list, err := sandbox.DefaultIdentities()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 8 {
		t.Errorf("%d identities, want at least 8", len(list))
	}
	seen := map[string]bool{}
	for _, id := range list {
		if bad := fcViolations(id); len(bad) > 0 {
			t.Errorf("identity %s breaks FranceConnect rules on %v", id.ID, bad)
		}
		if id.Defect != "" {
			t.Errorf("identity %s has a defect in the valid set", id.ID)
		}
		if seen[id.ID] {
			t.Errorf("identity %s listed twice", id.ID)
		}
		seen[id.ID] = true
	}
	covers := []struct {
		what string
		ok   func(sandbox.Identity) bool
	}{
		{"born in France, 5-digit birthplace", func(i sandbox.Identity) bool {
			return i.Birthcountry == "99100" && regexp.MustCompile(`^[0-9]{5}$`).MatchString(i.Birthplace)
		}},
		{"born in Corsica (2A/2B birthplace)", func(i sandbox.Identity) bool { return strings.HasPrefix(i.Birthplace, "2A") }},
		{"born abroad, empty birthplace", func(i sandbox.Identity) bool { return i.Birthcountry != "99100" && i.Birthplace == "" }},
		{"birthdate YYYY-00-00", func(i sandbox.Identity) bool { return strings.HasSuffix(i.Birthdate, "-00-00") }},
		{"birthdate YYYY-MM-00", func(i sandbox.Identity) bool {
			return strings.HasSuffix(i.Birthdate, "-00") && !strings.HasSuffix(i.Birthdate, "-00-00")
		}},
		{"gender female", func(i sandbox.Identity) bool { return i.Gender == "female" }},
		{"gender male", func(i sandbox.Identity) bool { return i.Gender == "male" }},
		{"gender unspecified", func(i sandbox.Identity) bool { return i.Gender == "unspecified" }},
		{"accented name", func(i sandbox.Identity) bool {
			return strings.ContainsAny(i.GivenName+i.FamilyName, "éèêëÉàâçïîôöœùûü")
		}},
		{"hyphenated name", func(i sandbox.Identity) bool { return strings.Contains(i.GivenName+i.FamilyName, "-") }},
		{"apostrophe in a name", func(i sandbox.Identity) bool { return strings.Contains(i.FamilyName, "'") }},
		{"several given names", func(i sandbox.Identity) bool { return len(strings.Fields(i.GivenName)) > 1 }},
		{"nom d'usage", func(i sandbox.Identity) bool { return i.PreferredUsername != "" }},
		{"no nom d'usage", func(i sandbox.Identity) bool { return i.PreferredUsername == "" }},
	}
	for _, c := range covers {
		if !slices.ContainsFunc(list, c.ok) {
			t.Errorf("no identity covers: %s", c.what)
		}
	}
}

func TestInvalidIdentitiesBreakExactlyTheirDefect(t *testing.T) {
	list, err := sandbox.InvalidIdentities()
	if err != nil {
		t.Fatal(err)
	}
	defects := map[string]bool{}
	for _, id := range list {
		if got := fcViolations(id); !slices.Equal(got, []string{id.Defect}) {
			t.Errorf("invalid identity %s breaks %v, want exactly [%s]", id.ID, got, id.Defect)
		}
		defects[id.Defect] = true
	}
	for _, want := range []string{"gender", "birthplace", "email"} {
		if !defects[want] {
			t.Errorf("no invalid identity with a bad %s", want)
		}
	}
	valid, err := sandbox.DefaultIdentities()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range list {
		if slices.ContainsFunc(valid, func(v sandbox.Identity) bool { return v.ID == id.ID }) {
			t.Errorf("invalid identity %s shares its id with a valid one", id.ID)
		}
	}
}

// The rules themselves, so that a lax check cannot pass the data above.
func TestFCViolationsCatchesEachRule(t *testing.T) {
	good := sandbox.Identity{ID: "x", GivenName: "Zoé", FamilyName: "Test", Birthdate: "2000-02-29", Gender: "female",
		Birthplace: "75056", Birthcountry: "99100", Email: "zoe@example.com"}
	if bad := fcViolations(good); len(bad) != 0 {
		t.Fatalf("good identity reported %v", bad)
	}
	tests := []struct {
		name   string
		change func(*sandbox.Identity)
		want   string
	}{
		{"gender F", func(i *sandbox.Identity) { i.Gender = "F" }, "gender"},
		{"gender empty", func(i *sandbox.Identity) { i.Gender = "" }, "gender"},
		{"birthdate 2001-02-29", func(i *sandbox.Identity) { i.Birthdate = "2001-02-29" }, "birthdate"},
		{"birthdate 2000-00-05", func(i *sandbox.Identity) { i.Birthdate = "2000-00-05" }, "birthdate"},
		{"birthdate 2000-13-00", func(i *sandbox.Identity) { i.Birthdate = "2000-13-00" }, "birthdate"},
		{"birthdate 01/02/2000", func(i *sandbox.Identity) { i.Birthdate = "01/02/2000" }, "birthdate"},
		{"birthcountry France", func(i *sandbox.Identity) { i.Birthcountry, i.Birthplace = "France", "" }, "birthcountry"},
		{"birthcountry 4 digits", func(i *sandbox.Identity) { i.Birthcountry, i.Birthplace = "9910", "" }, "birthcountry"},
		{"born in France without birthplace", func(i *sandbox.Identity) { i.Birthplace = "" }, "birthplace"},
		{"birthplace not a code", func(i *sandbox.Identity) { i.Birthplace = "Paris" }, "birthplace"},
		{"born abroad with a birthplace", func(i *sandbox.Identity) { i.Birthcountry = "99139" }, "birthplace"},
		{"email without @", func(i *sandbox.Identity) { i.Email = "zoe.example.com" }, "email"},
		{"email with a name", func(i *sandbox.Identity) { i.Email = "Zoé <zoe@example.com>" }, "email"},
		{"empty family name", func(i *sandbox.Identity) { i.FamilyName = " " }, "family_name"},
	}
	for _, tc := range tests {
		id := good
		tc.change(&id)
		if got := fcViolations(id); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: got %v, want [%s]", tc.name, got, tc.want)
		}
	}
}
