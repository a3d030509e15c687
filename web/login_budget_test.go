package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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
	c := e.signInAidant(aidant)
	e.createMandate(c, aidant, "jean-luc-darcy", "social")
	// Warm: the signing keys are read once per RefreshInterval, not per
	// login.
	e.userinfo(t, e.exchange(t, service, secret, e.delegatedCode(t, c, service)).AccessToken)

	counter.Reset()
	tokens := e.exchange(t, service, secret, e.delegatedCode(t, c, service))
	if status := e.userinfo(t, tokens.AccessToken); status != http.StatusOK {
		t.Fatalf("userinfo → %d", status)
	}
	statements, commits := counter.Counts()
	if len(statements) > loginStatementBudget || commits > loginCommitBudget {
		t.Errorf("one delegated login: %d statements, %d commits; budget %d and %d:\n%s",
			len(statements), commits, loginStatementBudget, loginCommitBudget, strings.Join(statements, "\n"))
	} else {
		t.Logf("one delegated login: %d statements, %d commits", len(statements), commits)
	}
}

// Codes and tokens end by the provider's clock, not the system's.
func TestTokensExpireOnTheInjectedClock(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	_, aidant := e.orgAndAidant(true)
	service, secret := e.newServiceWithSecret("social")
	c := e.signInAidant(aidant)
	e.createMandate(c, aidant, "jean-luc-darcy", "social")

	tokens := e.exchange(t, service, secret, e.delegatedCode(t, c, service))
	if status := e.userinfo(t, tokens.AccessToken); status != http.StatusOK {
		t.Fatalf("userinfo at once → %d", status)
	}
	e.clock.Advance(5*time.Minute + time.Second) // the access token's lifespan
	if status := e.userinfo(t, tokens.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo after the access token's lifespan → %d, want 401", status)
	}

	code := e.delegatedCode(t, c, service)
	e.clock.Advance(time.Minute + time.Second) // the code's lifespan
	if status, _ := e.tryExchange(service, secret, code); status != http.StatusBadRequest {
		t.Errorf("token after the code's lifespan → %d, want 400", status)
	}
}

// delegatedCode walks a delegated login of the signed-in aidant c at
// service up to the code, choosing the first permission offered.
func (e *env) delegatedCode(t *testing.T, c *http.Client, service string) string {
	t.Helper()
	resp, _ := e.follow(c, authorizePath(service, nil))
	if resp.Header.Get("Location") != "/oidc/choix" {
		t.Fatalf("authorize → %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := e.follow(c, "/oidc/choix")
	buttons := choiceButton.FindAllStringSubmatch(body, -1)
	if len(buttons) == 0 {
		t.Fatalf("choice: %s", body)
	}
	resp, _ = e.post(c, "/oidc/choix", url.Values{"csrf_token": {csrfInput.FindStringSubmatch(body)[1]}, "permission_id": {buttons[0][1]}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("choice → %d %s", resp.StatusCode, loc)
	}
	return code
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
}

// exchange redeems code at the token endpoint (client_secret_basic, the
// verifier of authorizePath).
func (e *env) exchange(t *testing.T, service, secret, code string) tokenResponse {
	t.Helper()
	status, tokens := e.tryExchange(service, secret, code)
	if status != http.StatusOK || tokens.AccessToken == "" || tokens.IDToken == "" {
		t.Fatalf("token → %d %+v\n%s", status, tokens, e.logs.String())
	}
	return tokens
}

func (e *env) tryExchange(service, secret, code string) (int, tokenResponse) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {serviceCallback},
		"code_verifier": {strings.Repeat("v", 50)}}
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+authz.PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(service, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tokens tokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&tokens)
	return resp.StatusCode, tokens
}

// userinfo reads UserInfo with access and returns the status.
func (e *env) userinfo(t *testing.T, access string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+authz.PathUserinfo, nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
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
