// Package identity is a usager's identity as an identity provider
// (FranceConnect) verified it: one type that franceconnect produces, usager
// records and services receive, and FranceConnect's rules for its claims.
// It is a leaf: it imports no domain package, so that each of them can use
// it.
package identity

// Claims is what the provider says of the person: the identité pivot
// (given_name, family_name, birthdate, gender, birthplace, birthcountry),
// email and the nom d'usage (preferred_username, optional). The field order
// is authz.Identity's, so that one converts into the other.
type Claims struct {
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	// Birthdate is YYYY-MM-DD, or YYYY-MM-00 / YYYY-00-00 when the day or
	// the month is unknown ("présumé né").
	Birthdate string `json:"birthdate"`
	// Gender is female, male or unspecified.
	Gender string `json:"gender"`
	// Birthplace is the INSEE code of the commune of birth; "" when born
	// abroad.
	Birthplace string `json:"birthplace"`
	// Birthcountry is the INSEE code of the country of birth; BirthcountryFrance
	// for France.
	Birthcountry      string `json:"birthcountry"`
	Email             string `json:"email"`
	PreferredUsername string `json:"preferred_username,omitempty"`
}

// Identity is the person as the provider identified them: who they are
// there (issuer and subject, which Procura keeps only as a pseudonym) and
// their claims.
type Identity struct {
	Issuer string `json:"iss"`
	Sub    string `json:"sub"`
	Claims
}
