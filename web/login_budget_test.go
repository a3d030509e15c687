package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

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
	svc := e.journeyService("social")
	c := e.signInAidant(aidant)
	e.createMandate(c, aidant, "jean-luc-darcy", "social")
	// Warm: the signing keys are read once per RefreshInterval, not per
	// login.
	if _, err := svc.Login(context.Background(), e.browser(c), nil, firstPermission, nil); err != nil {
		t.Fatalf("delegated login: %v\n%s", err, e.logs.String())
	}

	counter.Reset()
	if _, err := svc.Login(context.Background(), e.browser(c), nil, firstPermission, nil); err != nil {
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

// Codes and tokens end by the provider's clock, not the system's.
func TestTokensExpireOnTheInjectedClock(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, dbtest.SQLite(t))
	_, aidant := e.orgAndAidant(true)
	svc := e.journeyService("social")
	c := e.signInAidant(aidant)
	e.createMandate(c, aidant, "jean-luc-darcy", "social")

	tokens, err := svc.Login(ctx, e.browser(c), nil, firstPermission, nil) // UserInfo at once included
	if err != nil {
		t.Fatalf("delegated login: %v\n%s", err, e.logs.String())
	}
	e.clock.Advance(5*time.Minute + time.Second) // the access token's lifespan
	if _, err := svc.UserInfo(ctx, tokens.AccessToken); answerStatus(err) != http.StatusUnauthorized {
		t.Errorf("userinfo after the access token's lifespan → %v, want 401", err)
	}

	r := journey.NewRequest()
	choice := e.openChoice(c, svc.AuthorizeURL(r, nil))
	callback, err := e.browser(c).Choose(ctx, choice, choice.Permissions()[0])
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute + time.Second) // the code's lifespan
	if _, err := svc.Exchange(ctx, callback.Query().Get("code"), r); answerStatus(err) != http.StatusBadRequest {
		t.Errorf("token after the code's lifespan → %v, want 400", err)
	}
}

// firstPermission picks the first permission the choice page offers.
func firstPermission(c *journey.Choice) (string, error) {
	if ids := c.Permissions(); len(ids) > 0 {
		return ids[0], nil
	}
	return "", errors.New("no permission offered")
}

// answerStatus is the HTTP status of a journey's error, 0 when none.
func answerStatus(err error) int {
	var failed *journey.Error
	if errors.As(err, &failed) {
		return failed.Status
	}
	return 0
}

// newServiceWithSecret registers a confidential service serving procedures
// and returns its id and secret; the provider's signing keys are made.
func (e *env) newServiceWithSecret(procedures ...string) (string, string) {
	e.t.Helper()
	id := fmt.Sprintf("service-%d", time.Now().UnixNano())
	_, secret, err := e.oauth.CreateClient(context.Background(), authz.ClientRegistration{ID: id, Name: "Caisse démo",
		RedirectURIs: []string{serviceCallback}, Procedures: procedures})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.keys.Ensure(context.Background(), keyring.PurposeOIDC, jose.ES256); err != nil {
		e.t.Fatal(err)
	}
	return id, secret
}

// journeyService is a new confidential service serving procedures, for the
// journey driver.
func (e *env) journeyService(procedures ...string) *journey.Service {
	e.t.Helper()
	id, secret := e.newServiceWithSecret(procedures...)
	return &journey.Service{BaseURL: e.ts.URL, ClientID: id, Secret: secret, RedirectURI: serviceCallback, Client: e.newClient()}
}
