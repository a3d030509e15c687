package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"procura/account"
	"procura/authz"
	"procura/db"
	"procura/db/dbtest"
	"procura/devtools/journey"
)

const serviceCallback = "https://service.example.fr/callback"

// newService registers a service serving procedures and returns its id.
func (e *env) newService(procedures ...string) string {
	e.t.Helper()
	id := fmt.Sprintf("service-%d", time.Now().UnixNano())
	_, _, err := e.oauth.CreateClient(context.Background(), authz.ClientRegistration{ID: id, Name: "Caisse démo",
		RedirectURIs: []string{serviceCallback}, PostLogoutRedirectURIs: []string{"https://service.example.fr/bye"}, Procedures: procedures})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// authorizePath is a valid authorization request of the service.
func authorizePath(clientID string, extra url.Values) string {
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {serviceCallback},
		"scope": {"openid profile"}, "state": {"state-1234567890"}, "nonce": {"nonce-1234567890123456789012"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	return "/oidc/authorize?" + q.Encode()
}

// openChoice GETs location with c and follows to the choice page.
func (e *env) openChoice(c *http.Client, location string) *journey.Choice {
	e.t.Helper()
	choice, err := e.browser(c).OpenChoice(context.Background(), location)
	if err != nil {
		e.t.Fatal(err)
	}
	return choice
}

func TestDelegatedLoginPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		service := e.newService("social", "logement")

		// Not signed in: the request waits (in its cookie) while the aidant
		// signs in.
		c := e.newClient()
		resp, _ := e.follow(c, authorizePath(service, nil))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/oidc/choix" {
			t.Fatalf("authorize → %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = e.follow(c, "/oidc/choix")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connexion?service=1" {
			t.Fatalf("choice without session → %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if next, err := e.browser(c).SignIn(context.Background(), e.journeyAidant(aidant)); err != nil || next != "/oidc/choix" {
			t.Fatalf("sign-in during a request → %q, %v", next, err)
		}
		// No mandate yet: nobody to choose. Viewing the page writes no
		// journal entry, however often.
		refusals := func() (n int64) {
			d.Conn(context.Background()).Raw(`SELECT COUNT(*) FROM audit_entries WHERE action = 'delegated_login.refused'
				AND client_id = ? AND CAST(details AS TEXT) LIKE '%no_eligible_usager%'`, service).Scan(&n)
			return n
		}
		e.openChoice(c, "/oidc/choix")
		choice := e.openChoice(c, "/oidc/choix")
		if !strings.Contains(choice.Page.Body, "Aucun usager") || len(choice.Permissions()) != 0 || choice.Cancel != "nobody" {
			t.Fatalf("choice without mandates: %s", choice.Page.Body)
		}
		if n := refusals(); n != 0 {
			t.Errorf("%d refusals audited by viewing the page, want 0", n)
		}
		// Back to the service: access_denied, with the state; the refusal
		// is audited once.
		cb, err := e.browser(c).Choose(context.Background(), choice, "")
		if err != nil || !strings.HasPrefix(cb.String(), serviceCallback) || cb.Query().Get("error") != "access_denied" || cb.Query().Get("state") != "state-1234567890" {
			t.Fatalf("cancel → %s, %v", cb, err)
		}
		if n := refusals(); n != 1 {
			t.Errorf("%d refusals audited, want 1", n)
		}

		// With a mandate for social only, the choice offers exactly it.
		e.createMandate(c, aidant, "jean-luc-darcy", "social", "papiers")
		choice = e.openChoice(c, authorizePath(service, nil))
		if len(choice.Usagers) != 1 || choice.Usagers[0].Name != "Jean-Luc D'Arcy" || len(choice.Permissions()) != 1 ||
			choice.Usagers[0].Procedures["Social - Santé"] == "" {
			t.Fatalf("choice: %+v %s", choice.Usagers, choice.Page.Body)
		}
		cb, err = e.browser(c).Choose(context.Background(), choice, choice.Permissions()[0])
		if err != nil || cb.Query().Get("code") == "" || cb.Query().Get("state") != "state-1234567890" {
			t.Fatalf("grant → %s, %v", cb, err)
		}
		// The request is used up: posting again is refused.
		if again, err := e.browser(c).Submit(context.Background(), choice, choice.Permissions()[0]); err != nil || again.Status != http.StatusBadRequest {
			t.Errorf("second grant = %+v, %v, want 400", again, err)
		}
	})
}

func TestDelegatedLoginRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, owner := e.orgAndAidant(true)
		service := e.newService("social")
		e.createMandate(e.signInAidant(owner), owner, "elodie-lefevre", "social")
		var foreign string
		d.Conn(context.Background()).Raw(`SELECT p.id FROM permissions p JOIN memberships m ON m.organisation_id = p.organisation_id
			JOIN accounts a ON a.id = m.account_id WHERE a.email = ?`, owner.Account.Email).Scan(&foreign)

		_, stranger := e.orgAndAidant(true)
		c := e.signInAidant(stranger)
		// Unknown client or unregistered redirect URI: a French page, no redirect.
		for _, path := range []string{
			authorizePath("unknown-client", nil),
			authorizePath(service, url.Values{"redirect_uri": {"https://evil.example/callback"}}),
		} {
			resp, body := e.follow(c, path)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, `lang="fr"`) {
				t.Errorf("%s → %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		// prompt=none: the aidant must always choose.
		resp, _ := e.follow(c, authorizePath(service, url.Values{"prompt": {"none"}}))
		if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=interaction_required") {
			t.Errorf("prompt=none signed in → %s", loc)
		}
		resp, _ = e.follow(e.newClient(), authorizePath(service, url.Values{"prompt": {"none"}}))
		if loc := resp.Header.Get("Location"); !strings.Contains(loc, "error=login_required") {
			t.Errorf("prompt=none signed out → %s", loc)
		}
		// Another organisation's usager is never listed, and forging its permission gives no code.
		choice := e.openChoice(c, authorizePath(service, nil))
		if strings.Contains(choice.Page.Body, "Élodie") {
			t.Error("another organisation's usager is listed")
		}
		answer, err := e.browser(c).Submit(context.Background(), choice, foreign)
		if err != nil {
			t.Fatal(err)
		}
		if answer.Redirect() && strings.Contains(answer.Location, "code=") {
			t.Fatal("a code was issued under another organisation's permission")
		}
		if !strings.Contains(answer.Body, "Autorisation introuvable") {
			t.Errorf("forged permission = %d %.300s", answer.Status, answer.Body)
		}
		var forged int64
		d.Conn(context.Background()).Raw(`SELECT COUNT(*) FROM audit_entries WHERE action = 'delegated_login.refused'
			AND actor_id = ? AND CAST(details AS TEXT) LIKE '%Autorisation introuvable%'`, stranger.Account.ID).Scan(&forged)
		if forged != 1 {
			t.Errorf("%d forged choices audited, want 1", forged)
		}
		// Without a pending request, the choice refuses clearly.
		tok := e.pageToken(c, "/aidant/usagers")
		resp, body := e.post(e.signInAidant(stranger), "/oidc/choix", url.Values{"csrf_token": {tok}, "permission_id": {foreign}})
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("choice without request = %d %.200s", resp.StatusCode, body)
		}
	})
}

func TestOIDCLogoutWithoutHintAsksToConfirm(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	_, aidant := e.orgAndAidant(true)
	c := e.signInAidant(aidant)
	resp, body := e.follow(c, "/oidc/logout")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Se déconnecter de Procura ?") {
		t.Fatalf("logout without hint = %d %s", resp.StatusCode, body)
	}
	if e.whoami(c) != aidant.Account.ID {
		t.Fatal("signed out before confirming")
	}
	resp, _ = e.post(c, "/oidc/deconnexion", url.Values{"csrf_token": {csrfInput.FindStringSubmatch(body)[1]}, "query": {""}})
	if resp.Header.Get("Location") != "/connexion?fin=1" || e.whoami(c) != "anonymous" {
		t.Errorf("confirmed logout → %s, %s", resp.Header.Get("Location"), e.whoami(c))
	}
	if resp, _ := e.follow(e.newClient(), "/oidc/logout?post_logout_redirect_uri=https://evil.example/"); resp.Header.Get("Location") != "" {
		t.Errorf("unregistered post-logout URI redirected to %s", resp.Header.Get("Location"))
	}
}

// A manager who is not an aidant is told why they cannot act for anyone,
// not that no usager has a mandate.
func TestDelegatedLoginTellsAManagerWhy(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	org, aidant := e.orgAndAidant(true)
	manager := e.addAccount(org.ID, account.RoleManager)
	service := e.newService("social")
	e.createMandate(e.signInAidant(aidant), aidant, "jean-luc-darcy", "social")
	c := e.signInAidant(manager)
	e.follow(c, authorizePath(service, nil))
	resp, body := e.follow(c, "/oidc/choix")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "habilité") || strings.Contains(body, "Aucun usager") ||
		strings.Contains(body, `name="permission_id"`) {
		t.Errorf("choice of a manager who is not an aidant = %d %s", resp.StatusCode, body)
	}
}
