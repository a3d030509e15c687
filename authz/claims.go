package authz

import (
	"slices"
	"time"
)

// Claims Procura adds to OpenID Connect's (DESIGN.md §5).
const (
	// ClaimRepScope lists the procedure the aidant acts for, as
	// FranceConnect's rep_scope value.
	ClaimRepScope = "rep_scope"
	// ClaimAct says who acted (RFC 8693 §4.1): {"sub": the aidant's
	// pairwise pseudonym, "org": the organisation's SIRET}.
	ClaimAct = "act"
	// ClaimSessionID is the aidant's web session, when the web layer names
	// it (OpenID Connect Front-Channel Logout 1.0 §3).
	ClaimSessionID = "sid"
	// ACREidas1 is the only authentication context Procura asserts.
	ACREidas1 = "eidas1"
)

// newDelegatedSession is the session stored with the code Grant issues:
// the ID token claims and the delegation. Expiries are set by fosite.
func (p *Provider) newDelegatedSession(ar *AuthorizeRequest, d Delegation) *Session {
	client := ar.Client
	sub := p.pairwise.usager(client.ID, d.UsagerID)
	s := NewSession()
	s.SetSubject(sub)
	s.AidantID, s.UsagerID = d.AidantID, d.UsagerID
	s.OrganisationID, s.OrganisationSIRET = d.OrganisationID, d.OrganisationSIRET
	s.PermissionID, s.MandateID, s.Procedure = d.PermissionID, d.MandateID, d.Procedure
	s.AuthTime = d.AuthTime.UTC()

	c := s.IDTokenClaims()
	c.Issuer, c.Subject, c.Nonce = p.issuer, sub, ar.Nonce
	// fosite checks prompt and max_age against these two (ValidatePrompt).
	c.AuthTime, c.RequestedAt = d.AuthTime.UTC(), ar.RequestedAt.UTC()
	c.AuthenticationContextClassReference = ACREidas1
	c.AuthenticationMethodsReferences = slices.Clone(d.AMR)
	c.Add(ClaimRepScope, []string{d.ProcedureLabel})
	if !client.FranceConnectCompat {
		c.Add(ClaimAct, map[string]string{"sub": p.pairwise.aidant(client.ID, d.AidantID), "org": d.OrganisationSIRET})
	}
	if d.SessionID != "" {
		c.Add(ClaimSessionID, d.SessionID)
	}
	return s
}

// idTokenClaims is the payload of the ID token of sess for client, issued
// by issuer at now (OpenID Connect Core 1.0 §2). aud is the client_id alone, as a
// string: some relying parties accept nothing else.
func idTokenClaims(issuer string, sess *Session, client *Client, now time.Time, lifespan time.Duration) map[string]any {
	c := sess.IDTokenClaims()
	m := make(map[string]any, len(c.Extra)+12)
	for k, v := range c.Extra {
		m[k] = v
	}
	m["iss"] = issuer
	m["sub"] = c.Subject
	m["aud"] = client.ID
	m["iat"] = now.Unix()
	m["exp"] = now.Add(lifespan).Unix()
	m["auth_time"] = c.AuthTime.Unix()
	m["acr"] = ACREidas1
	if c.Nonce != "" {
		m["nonce"] = c.Nonce
	}
	if len(c.AuthenticationMethodsReferences) > 0 {
		m["amr"] = c.AuthenticationMethodsReferences
	}
	if c.AccessTokenHash != "" {
		m["at_hash"] = c.AccessTokenHash
	}
	return m
}

// scopeClaims maps each identity scope to the UserInfo claims it releases,
// as FranceConnect does: one scope per claim, and the groups profile,
// birth and identite_pivot.
var scopeClaims = map[string][]string{
	"given_name":         {"given_name"},
	"family_name":        {"family_name"},
	"birthdate":          {"birthdate"},
	"gender":             {"gender"},
	"birthplace":         {"birthplace"},
	"birthcountry":       {"birthcountry"},
	"email":              {"email"},
	"preferred_username": {"preferred_username"},
	"profile":            {"given_name", "family_name", "birthdate", "gender", "preferred_username"},
	"birth":              {"birthplace", "birthcountry"},
	"identite_pivot":     {"given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry"},
}

// identityClaims lists every UserInfo claim, in the order documents show
// them.
var identityClaims = []string{"given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry",
	"email", "preferred_username"}

// userinfoClaims returns the claims of id that scopes release, and sub.
// An empty optional value (email, preferred_username) is left out;
// birthplace is sent even when empty (born abroad), as FranceConnect does.
func userinfoClaims(sub string, id Identity, scopes []string) map[string]any {
	m := map[string]any{"sub": sub}
	for _, s := range scopes {
		for _, name := range scopeClaims[s] {
			if v := claimOf(id, name); v != "" || name == "birthplace" {
				m[name] = v
			}
		}
	}
	return m
}

// claimOf is the value of the UserInfo claim name of id.
func claimOf(id Identity, name string) string {
	switch name {
	case "given_name":
		return id.GivenName
	case "family_name":
		return id.FamilyName
	case "birthdate":
		return id.Birthdate
	case "gender":
		return id.Gender
	case "birthplace":
		return id.Birthplace
	case "birthcountry":
		return id.Birthcountry
	case "email":
		return id.Email
	case "preferred_username":
		return id.PreferredUsername
	}
	return ""
}
