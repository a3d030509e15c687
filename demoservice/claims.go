package demoservice

import (
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// signedIn is what the service keeps once the usager is signed in: what it
// shows, and the ID token for id_token_hint at logout.
type signedIn struct {
	IDToken        string   `json:"id_token"`
	Subject        string   `json:"sub"`
	Identity       identity `json:"identity"`
	RepScope       []string `json:"rep_scope,omitempty"`
	ACR            string   `json:"acr,omitempty"`
	AMR            []string `json:"amr,omitempty"`
	AuthTime       int64    `json:"auth_time,omitempty"`
	Actor          *actor   `json:"act,omitempty"`
	UserinfoFormat string   `json:"userinfo_format"`
}

// identity is the usager's identity as UserInfo gave it (FranceConnect
// claim names).
type identity struct {
	GivenName         string `json:"given_name,omitempty"`
	FamilyName        string `json:"family_name,omitempty"`
	Birthdate         string `json:"birthdate,omitempty"`
	Gender            string `json:"gender,omitempty"`
	Birthplace        string `json:"birthplace,omitempty"`
	Birthcountry      string `json:"birthcountry,omitempty"`
	Email             string `json:"email,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
}

// actor is the RFC 8693 §4.1 act claim: who acted for the subject. Procura
// names the aidant by a pseudonym for this service and the organisation by
// its SIRET.
type actor struct {
	Subject string `json:"sub"`
	Org     string `json:"org,omitempty"`
}

// newSignedIn gathers what the verified ID token and UserInfo said.
func newSignedIn(rawIDToken string, claims *oidc.IDTokenClaims, info *oidc.UserInfo, userinfoFormat string) *signedIn {
	u := &signedIn{
		IDToken:        rawIDToken,
		Subject:        claims.Subject,
		RepScope:       stringList(claims.Claims["rep_scope"]),
		ACR:            claims.AuthenticationContextClassReference,
		AMR:            claims.AuthenticationMethodsReferences,
		UserinfoFormat: userinfoFormat,
		Identity: identity{
			GivenName:         info.GivenName,
			FamilyName:        info.FamilyName,
			Birthdate:         info.Birthdate,
			Gender:            string(info.Gender),
			Birthplace:        claimString(info.Claims, "birthplace"),
			Birthcountry:      claimString(info.Claims, "birthcountry"),
			Email:             info.Email,
			PreferredUsername: info.PreferredUsername,
		},
	}
	if claims.AuthTime != 0 {
		u.AuthTime = claims.AuthTime.AsTime().Unix()
	}
	if act := claims.Actor; act != nil {
		u.Actor = &actor{Subject: act.Subject, Org: claimString(act.Claims, "org")}
	}
	return u
}

// stringList reads a claim that is a list of strings or a single string.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil
		}
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func claimString(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}
