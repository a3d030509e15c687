package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"procura/authz"
	"procura/db"
	"procura/db/dbtest"
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

var choiceButton = regexp.MustCompile(`name="permission_id" value="([0-9a-f-]{36})">([^<]+)<`)

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
		resp, body := e.post(c, "/connexion", url.Values{"csrf_token": {e.pageToken(c, "/connexion?service=1")}, "email": {aidant.Account.Email},
			"password": {"correct horse battery"}, "code": {e.totp(aidant.TOTPSecret)}})
		if resp.Header.Get("Location") != "/oidc/choix" {
			t.Fatalf("sign-in during a request → %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		// No mandate yet: nobody to choose. Viewing the page writes no
		// journal entry, however often.
		refusals := func() (n int64) {
			d.Conn(context.Background()).Raw(`SELECT COUNT(*) FROM audit_entries WHERE action = 'delegated_login.refused'
				AND client_id = ? AND CAST(details AS TEXT) LIKE '%no_eligible_usager%'`, service).Scan(&n)
			return n
		}
		e.follow(c, "/oidc/choix")
		_, body = e.follow(c, "/oidc/choix")
		if !strings.Contains(body, "Aucun usager") || choiceButton.MatchString(body) || !strings.Contains(body, `name="cancel" value="nobody"`) {
			t.Fatalf("choice without mandates: %s", body)
		}
		if n := refusals(); n != 0 {
			t.Errorf("%d refusals audited by viewing the page, want 0", n)
		}
		// Back to the service: access_denied, with the state; the refusal
		// is audited once.
		resp, _ = e.post(c, "/oidc/choix", url.Values{"csrf_token": {csrfInput.FindStringSubmatch(body)[1]}, "cancel": {"nobody"}})
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, serviceCallback) || !strings.Contains(loc, "error=access_denied") || !strings.Contains(loc, "state=state-1234567890") {
			t.Fatalf("cancel → %s", loc)
		}
		if n := refusals(); n != 1 {
			t.Errorf("%d refusals audited, want 1", n)
		}

		// With a mandate for social only, the choice offers exactly it.
		e.createMandate(c, aidant, "jean-luc-darcy", "social", "papiers")
		e.follow(c, authorizePath(service, nil))
		_, body = e.follow(c, "/oidc/choix")
		buttons := choiceButton.FindAllStringSubmatch(body, -1)
		if len(buttons) != 1 || buttons[0][2] != "Social - Santé" || !strings.Contains(body, "Jean-Luc D&#39;Arcy") {
			t.Fatalf("choice: %v %s", buttons, body)
		}
		resp, _ = e.post(c, "/oidc/choix", url.Values{"csrf_token": {csrfInput.FindStringSubmatch(body)[1]}, "permission_id": {buttons[0][1]}})
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("code") == "" || loc.Query().Get("state") != "state-1234567890" {
			t.Fatalf("grant → %d %s", resp.StatusCode, loc)
		}
		// The request is used up: posting again is refused.
		resp, _ = e.post(c, "/oidc/choix", url.Values{"csrf_token": {csrfInput.FindStringSubmatch(body)[1]}, "permission_id": {buttons[0][1]}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("second grant = %d, want 400", resp.StatusCode)
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
		e.follow(c, authorizePath(service, nil))
		_, body := e.follow(c, "/oidc/choix")
		if strings.Contains(body, "Élodie") {
			t.Error("another organisation's usager is listed")
		}
		resp, body = e.post(c, "/oidc/choix", url.Values{"csrf_token": {csrfInput.FindStringSubmatch(body)[1]}, "permission_id": {foreign}})
		if resp.StatusCode == http.StatusSeeOther && strings.Contains(resp.Header.Get("Location"), "code=") {
			t.Fatal("a code was issued under another organisation's permission")
		}
		if !strings.Contains(body, "Autorisation introuvable") {
			t.Errorf("forged permission = %d %.300s", resp.StatusCode, body)
		}
		var forged int64
		d.Conn(context.Background()).Raw(`SELECT COUNT(*) FROM audit_entries WHERE action = 'delegated_login.refused'
			AND actor_id = ? AND CAST(details AS TEXT) LIKE '%Autorisation introuvable%'`, stranger.Account.ID).Scan(&forged)
		if forged != 1 {
			t.Errorf("%d forged choices audited, want 1", forged)
		}
		// Without a pending request, the choice refuses clearly.
		tok := e.pageToken(c, "/aidant/usagers")
		resp, body = e.post(e.signInAidant(stranger), "/oidc/choix", url.Values{"csrf_token": {tok}, "permission_id": {foreign}})
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
