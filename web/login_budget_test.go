package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"procura/authz"
	"procura/db/dbtest"
	"procura/keyring"
)

// The statement and commit budget of one complete delegated login on
// PostgreSQL (issue 8, DESIGN.md §10): authorize → choice page → choice →
// token → userinfo, by an aidant already signed in, counted as the server
// receives them. BEGIN and COMMIT are not statements; a write outside a
// transaction is a commit.
const (
	loginStatementBudget = 18
	loginCommitBudget    = 3
)

func TestDelegatedLoginBudget(t *testing.T) {
	counter := &dbtest.Statements{}
	e := newEnv(t, dbtest.PostgresTraced(t, counter))
	_, aidant := e.orgAndAidant(true)
	service, secret := e.newServiceWithSecret("social")
	if _, err := e.keys.Ensure(context.Background(), keyring.PurposeOIDC, jose.ES256); err != nil {
		t.Fatal(err)
	}
	c := e.signInAidant(aidant)
	e.createMandate(c, aidant, "jean-luc-darcy", "social")

	counter.Reset()
	resp, _ := e.follow(c, authorizePath(service, nil))
	if resp.Header.Get("Location") != "/oidc/choix" {
		t.Fatalf("authorize → %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := e.follow(c, "/oidc/choix")
	buttons := choiceButton.FindAllStringSubmatch(body, -1)
	if len(buttons) != 1 {
		t.Fatalf("choice: %s", body)
	}
	resp, _ = e.post(c, "/oidc/choix", url.Values{"csrf_token": {csrfInput.FindStringSubmatch(body)[1]}, "permission_id": {buttons[0][1]}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("choice → %d %s", resp.StatusCode, loc)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {serviceCallback},
		"code_verifier": {strings.Repeat("v", 50)}}
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+authz.PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(service, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tokens)
	resp.Body.Close()
	if err != nil || tokens.AccessToken == "" || tokens.IDToken == "" {
		t.Fatalf("token → %d %+v %v\n%s", resp.StatusCode, tokens, err, e.logs.String())
	}
	req, _ = http.NewRequest(http.MethodGet, e.ts.URL+authz.PathUserinfo, nil)
	req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo → %d", resp.StatusCode)
	}

	statements, commits := counter.Counts()
	if len(statements) > loginStatementBudget || commits > loginCommitBudget {
		t.Errorf("one delegated login: %d statements, %d commits; budget %d and %d:\n%s",
			len(statements), commits, loginStatementBudget, loginCommitBudget, strings.Join(statements, "\n"))
	} else {
		t.Logf("one delegated login: %d statements, %d commits:\n%s", len(statements), commits, strings.Join(statements, "\n"))
	}
}

// newServiceWithSecret registers a confidential service serving procedures
// and returns its id and secret.
func (e *env) newServiceWithSecret(procedures ...string) (string, string) {
	e.t.Helper()
	id := "budget-service"
	_, secret, err := e.oauth.CreateClient(context.Background(), authz.ClientRegistration{ID: id, Name: "Caisse démo",
		RedirectURIs: []string{serviceCallback}, Procedures: procedures})
	if err != nil {
		e.t.Fatal(err)
	}
	return id, secret
}
