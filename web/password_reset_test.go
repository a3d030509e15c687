package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

// "Mot de passe oublié" end to end: the same answer for any address, a
// link by email, a new password under the policy, every session ended,
// the link single-use, the second factor still asked.
func TestPasswordRecoveryJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		signedIn := e.signInAidant(aidant)
		if e.whoami(signedIn) != aidant.Account.ID {
			t.Fatal("not signed in")
		}
		email := strings.ToLower(aidant.Account.Email)

		c := e.newClient()
		if resp, body := e.follow(c, PathSignIn); resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/mot-de-passe-oublie"`) {
			t.Fatalf("sign-in page without the link: %d", resp.StatusCode)
		}
		ask := func(address string) (int, string) {
			t.Helper()
			resp, body := e.post(c, PathPasswordForgotten, url.Values{"csrf_token": {e.token(c)}, "email": {address}})
			return resp.StatusCode, body
		}
		known, knownBody := ask(email)
		unknown, unknownBody := ask("personne@example.fr")
		if known != http.StatusOK || unknown != http.StatusOK || !strings.Contains(knownBody, "Si un compte Procura existe") ||
			strings.ReplaceAll(knownBody, email, "") != strings.ReplaceAll(unknownBody, "personne@example.fr", "") {
			t.Errorf("answers differ: %d and %d", known, unknown)
		}
		if status, body := ask("pas-une-adresse"); status != http.StatusBadRequest || !strings.Contains(body, "fr-alert--error") {
			t.Errorf("malformed address = %d", status)
		}

		// The outbox worker answers the requests.
		if _, err := e.srv.directory.ProcessPasswordResetRequests(context.Background(), 1000); err != nil {
			t.Fatal(err)
		}
		var link string
		for _, r := range e.mailTo(email, "password_reset") {
			_, rest, _ := strings.Cut(r.Message.Text, "http://localhost:8080")
			link, _, _ = strings.Cut(rest, "\n")
		}
		if !strings.HasPrefix(link, PathPasswordReset+"?jeton=") {
			t.Fatalf("no recovery link; messages: %+v", e.mailTo(email, "password_reset"))
		}
		resp, body := e.follow(c, link)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Choisir un nouveau mot de passe") || !strings.Contains(body, email) {
			t.Fatalf("reset page = %d", resp.StatusCode)
		}
		u, _ := url.Parse(link)
		token := u.Query().Get("jeton")
		set := func(password, confirm string) (*http.Response, string) {
			t.Helper()
			return e.post(c, PathPasswordReset, url.Values{"csrf_token": {e.token(c)}, "jeton": {token}, "password": {password}, "confirm": {confirm}})
		}
		if resp, _ := set("tilleul orage violon prune", "autre chose"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("mismatch = %d", resp.StatusCode)
		}
		if resp, _ := set("tilleul orage violon prune", "tilleul orage violon prune"); resp.StatusCode != http.StatusSeeOther ||
			resp.Header.Get("Location") != PathSignIn+"?mdp=1" {
			t.Fatalf("reset = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if e.whoami(signedIn) == aidant.Account.ID {
			t.Error("the aidant's session survived the new password")
		}
		if resp, body := e.follow(c, link); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Ce lien ne peut plus servir") {
			t.Errorf("used link = %d", resp.StatusCode)
		}
		if resp, _ := e.follow(c, PathPasswordReset+"?jeton=nimporte"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown link = %d", resp.StatusCode)
		}
	})
}
