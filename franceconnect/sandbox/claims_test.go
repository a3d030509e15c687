package sandbox_test

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"procura/franceconnect/sandbox"
)

func TestScopeFiltering(t *testing.T) {
	tests := []struct {
		name     string
		scope    string
		identity string
		want     map[string]any // besides sub, iss, aud, iat, exp
	}{
		{"openid only", "openid", "elodie-lefevre", map[string]any{}},
		{"email", "openid email", "elodie-lefevre", map[string]any{"email": "elodie.lefevre@example.com"}},
		{"given_name with its array", "openid given_name", "marie-therese-le-goff",
			map[string]any{"given_name": "Marie-Thérèse Yvonne", "given_name_array": []any{"Marie-Thérèse", "Yvonne"}}},
		{"nom d'usage", "openid preferred_username family_name", "aissatou-diop",
			map[string]any{"preferred_username": "N'Diaye", "family_name": "Diop"}},
		{"no nom d'usage, left out", "openid preferred_username", "jean-luc-darcy", map[string]any{}},
		{"born abroad: empty birthplace is sent", "openid birthplace birthcountry", "fatima-zohra-benali",
			map[string]any{"birthplace": "", "birthcountry": "99352"}},
		{"group birth", "openid birth", "ange-colonna", map[string]any{"birthplace": "2A004", "birthcountry": "99100"}},
		{"group profile", "openid profile", "camille-nguyen", map[string]any{
			"given_name": "Camille", "given_name_array": []any{"Camille"}, "family_name": "Nguyen",
			"birthdate": "2001-02-28", "gender": "unspecified"}},
		{"group identite_pivot", "openid identite_pivot", "joao-da-silva", map[string]any{
			"given_name": "João Pedro", "given_name_array": []any{"João", "Pedro"}, "family_name": "da Silva Gonçalves",
			"birthdate": "1990-07-00", "gender": "male", "birthplace": "", "birthcountry": "99139"}},
		{"unknown scope ignored", "openid address phone email", "noel-lecoeur", map[string]any{"email": "noel.lecoeur@example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRP(t, setup{})
			r.oauth.Scopes = strings.Fields(tc.scope)
			tok, err := r.exchange(r.login(tc.identity))
			if err != nil {
				t.Fatal(err)
			}
			idt := r.verifyIDToken(tok)
			claims := r.userinfo(tok.AccessToken)
			for _, k := range []string{"sub", "iss", "aud", "iat", "exp"} {
				if claims[k] == nil {
					t.Errorf("userinfo lacks %s", k)
				}
				delete(claims, k)
			}
			if !jsonEqual(claims, tc.want) {
				t.Errorf("userinfo claims:\ngot  %v\nwant %v", claims, tc.want)
			}
			// The ID token carries no identity claim, whatever the scope.
			var all map[string]any
			if err := idt.Claims(&all); err != nil {
				t.Fatal(err)
			}
			for k := range all {
				if !slices.Contains([]string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "at_hash"}, k) {
					t.Errorf("id_token has unexpected claim %s", k)
				}
			}
		})
	}
}

func TestAMRWhenAskedWithClaimsParameter(t *testing.T) {
	r := newRP(t, setup{})
	tok, err := r.exchange(r.login("camille-nguyen", oauth2.SetAuthURLParam("claims", `{"id_token":{"amr":{"essential":true}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		AMR []string `json:"amr"`
	}
	if err := r.verifyIDToken(tok).Claims(&c); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.AMR, []string{"pwd"}) {
		t.Errorf("amr = %v, want [pwd]", c.AMR)
	}
}

func TestInvalidIdentitiesOnlyWhenAsked(t *testing.T) {
	invalid, err := sandbox.InvalidIdentities()
	if err != nil {
		t.Fatal(err)
	}
	r := newRP(t, setup{config: func(c *sandbox.Config) { c.IncludeInvalidIdentities = true }})
	page := r.openIdentityPage(r.authorizeURL())
	for _, id := range invalid {
		if !slices.Contains(page.identities, id.ID) {
			t.Errorf("page lacks invalid identity %s", id.ID)
		}
	}
	if !strings.Contains(page.body, "Identités invalides") {
		t.Error("invalid identities are not set apart")
	}
	// The relying party receives the defect as is.
	tok, err := r.exchange(r.login("invalide-genre"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.userinfo(tok.AccessToken)["gender"]; got != "M" {
		t.Errorf("gender = %v, want the invalid M", got)
	}
}

func TestCustomIdentities(t *testing.T) {
	custom := []sandbox.Identity{{ID: "seule", GivenName: "Zoé", FamilyName: "Unique", Birthdate: "2000-01-01",
		Gender: "female", Birthplace: "75056", Birthcountry: "99100", Email: "zoe@example.com"}}
	r := newRP(t, setup{config: func(c *sandbox.Config) { c.Identities = custom }})
	if page := r.openIdentityPage(r.authorizeURL()); !slices.Equal(page.identities, []string{"seule"}) {
		t.Errorf("page offers %v", page.identities)
	}
}
