package web

import (
	"context"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"procura/authz"
	"procura/db/dbtest"
	"procura/devtools/journey"
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
	svc := &journey.Service{BaseURL: e.ts.URL, ClientID: service, Secret: secret, RedirectURI: serviceCallback, Client: e.newClient()}
	social := func(choice *journey.Choice) (string, error) { return choice.Permission("", "Social - Santé") }
	if _, err := svc.Login(context.Background(), e.browser(c), nil, social, nil); err != nil {
		t.Fatalf("delegated login: %v\n%s", err, e.logs.String())
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
