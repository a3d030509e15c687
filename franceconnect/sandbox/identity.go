package sandbox

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Identity is a test person, with the claims FranceConnect sends about them
// (the identité pivot, email and nom d'usage) and labels for the page.
type Identity struct {
	// ID names the identity in forms and derives its pairwise sub; stable.
	ID                string `json:"id"`
	GivenName         string `json:"given_name"`
	FamilyName        string `json:"family_name"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	// Birthdate is YYYY-MM-DD, or YYYY-MM-00 / YYYY-00-00 when partly unknown.
	Birthdate string `json:"birthdate"`
	// Gender is female, male or unspecified.
	Gender string `json:"gender"`
	// Birthplace is the INSEE code of the commune of birth, "" when born abroad.
	Birthplace string `json:"birthplace"`
	// Birthcountry is the INSEE code of the country of birth, 99100 for France.
	Birthcountry string `json:"birthcountry"`
	Email        string `json:"email"`
	// BirthplaceLabel and BirthcountryLabel are shown on the page only.
	BirthplaceLabel   string `json:"birthplace_label,omitempty"`
	BirthcountryLabel string `json:"birthcountry_label,omitempty"`
	// Defect names the claim an invalid identity gets wrong on purpose.
	Defect string `json:"defect,omitempty"`
}

// franceCOG is France's INSEE country code: a birthcountry of 99100 requires
// a birthplace.
const franceCOG = "99100"

//go:embed identities.json
var identitiesJSON []byte

//go:embed identities_invalid.json
var invalidIdentitiesJSON []byte

// DefaultIdentities returns the shipped test identities (identities.json).
func DefaultIdentities() ([]Identity, error) {
	return decodeIdentities("identities.json", identitiesJSON)
}

// InvalidIdentities returns the shipped identities that each break one
// FranceConnect rule (identities_invalid.json), for relying-party tests.
func InvalidIdentities() ([]Identity, error) {
	return decodeIdentities("identities_invalid.json", invalidIdentitiesJSON)
}

func decodeIdentities(name string, data []byte) ([]Identity, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var list []Identity
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", name, err)
	}
	return list, nil
}

func indexIdentities(list []Identity) (map[string]Identity, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("sandbox: no identities")
	}
	byID := make(map[string]Identity, len(list))
	for _, id := range list {
		if id.ID == "" {
			return nil, fmt.Errorf("sandbox: an identity has no id")
		}
		if _, dup := byID[id.ID]; dup {
			return nil, fmt.Errorf("sandbox: identity %q listed twice", id.ID)
		}
		byID[id.ID] = id
	}
	return byID, nil
}

// scopeClaims maps each scope FranceConnect v2 accepts to the claims it
// releases; the groups profile, birth and identite_pivot are FranceConnect's.
var scopeClaims = map[string][]string{
	"openid":             {"sub"},
	"given_name":         {"given_name", "given_name_array"},
	"family_name":        {"family_name"},
	"birthdate":          {"birthdate"},
	"gender":             {"gender"},
	"birthplace":         {"birthplace"},
	"birthcountry":       {"birthcountry"},
	"email":              {"email"},
	"preferred_username": {"preferred_username"},
	"profile":            {"given_name", "given_name_array", "family_name", "birthdate", "gender", "preferred_username"},
	"birth":              {"birthplace", "birthcountry"},
	"identite_pivot":     {"given_name", "given_name_array", "family_name", "birthdate", "gender", "birthplace", "birthcountry"},
}

// supportedScopes keeps the known values of a requested scope, in order,
// without duplicates; unknown values are ignored (RFC 6749 §3.3 lets the
// server grant less than asked).
func supportedScopes(requested []string) []string {
	var granted []string
	for _, s := range requested {
		if _, ok := scopeClaims[s]; ok && !slices.Contains(granted, s) {
			granted = append(granted, s)
		}
	}
	return granted
}

// claims returns the identity's claims that scopes release, sub excepted.
// birthplace is sent even when empty (born abroad), as FranceConnect does;
// an empty preferred_username (no nom d'usage) is left out.
func (id Identity) claims(scopes []string) map[string]any {
	out := map[string]any{}
	for _, s := range scopes {
		for _, c := range scopeClaims[s] {
			switch c {
			case "given_name":
				out[c] = id.GivenName
			case "given_name_array":
				out[c] = strings.Fields(id.GivenName)
			case "family_name":
				out[c] = id.FamilyName
			case "birthdate":
				out[c] = id.Birthdate
			case "gender":
				out[c] = id.Gender
			case "birthplace":
				out[c] = id.Birthplace
			case "birthcountry":
				out[c] = id.Birthcountry
			case "email":
				out[c] = id.Email
			case "preferred_username":
				if id.PreferredUsername != "" {
					out[c] = id.PreferredUsername
				}
			}
		}
	}
	return out
}
