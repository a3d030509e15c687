package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
	"procura/devtools/journey"
	"procura/keyring"
)

// notMeLink is the "Ce n'était pas moi" link of a message's text, on the
// test server.
var notMeLink = regexp.MustCompile(`Ce n'était pas moi[^:\n]* : (http://localhost:8080/usager/pas-moi\?\S+)`)

func (e *env) notMeLinkOf(text string) string {
	e.t.Helper()
	m := notMeLink.FindStringSubmatch(text)
	if m == nil {
		e.t.Fatalf("no \"Ce n'était pas moi\" link in:\n%s", text)
	}
	return strings.TrimPrefix(m[1], "http://localhost:8080")
}

// notMeIdentify follows link with c, identifies as identity through the
// sandbox and returns the page the identification leads to.
func (e *env) notMeIdentify(c *http.Client, link, identity string) (*http.Response, string) {
	e.t.Helper()
	resp, body := e.follow(c, link)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "tait pas moi") {
		e.t.Fatalf("link = %d %s", resp.StatusCode, body)
	}
	tok := csrfInput.FindStringSubmatch(body)[1]
	resp, _ = e.post(c, PathNotMe, url.Values{"csrf_token": {tok}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), e.fcServer.URL) {
		e.t.Fatalf("identification = %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	answer, err := e.browser(c).SandboxIdentity(context.Background(), resp.Header.Get("Location"), identity, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	callback, err := answer.Next()
	if err != nil {
		e.t.Fatal(err)
	}
	resp, _ = e.follow(c, callback.String())
	return e.followAll(c, resp.Header.Get("Location"))
}

// "Ce n'était pas moi": the link of the usager's message, after their
// FranceConnect identification, suspends the mandate at once — revoked with
// its reason, tokens revoked, audited, the structure's managers told — and
// the aidant's next delegated login under it is refused. Another usager
// following the link is refused and changes nothing; an altered link is
// refused.
func TestNotMeSuspendsTheMandate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		manager := e.addAccount(org.ID, account.RoleManager)
		svc := e.journeyService("social")
		c := e.signInAidant(aidant)
		if _, err := e.keys.Ensure(ctx, keyring.PurposeMandate, jose.ES256); err != nil {
			t.Fatal(err)
		}
		id, err := e.browser(c).CreateMandate(ctx, e.journeyAidant(aidant),
			journey.Mandate{Procedures: []string{"social"}, Days: 182, Usager: "jean-luc-darcy", Notify: true})
		if err != nil {
			t.Fatal(err)
		}
		tokens, err := svc.Login(ctx, e.browser(c), nil, firstPermission, nil)
		if err != nil {
			t.Fatal(err)
		}
		const usagerAddress = "jean-luc.darcy@example.com"
		created := e.mailTo(usagerAddress, "mandate_created")
		if len(created) != 1 {
			t.Fatalf("%d creation messages", len(created))
		}
		link := e.notMeLinkOf(created[0].Message.Text)
		if !strings.Contains(created[0].Message.HTML, "Ce n'était pas moi</a>") {
			t.Errorf("html lacks the link:\n%s", created[0].Message.HTML)
		}
		// The login notice carries the same link.
		if err := e.notices.Batch(ctx); err != nil {
			t.Fatal(err)
		}
		logins := e.mailTo(usagerAddress, "usager_logins")
		if len(logins) != 1 || e.notMeLinkOf(logins[0].Message.Text) != link {
			t.Fatalf("login notice: %+v", logins)
		}

		// An altered link is refused.
		for _, bad := range []string{strings.Replace(link, "jeton=", "jeton=x", 1), PathNotMe + "?mandat=" + id, PathNotMe} {
			if resp, body := e.follow(e.newClient(), bad); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "est pas valide") {
				t.Errorf("altered link %s = %d", bad, resp.StatusCode)
			}
		}
		// Without following a link, the confirmation has no mandate.
		if resp, _ := e.post(e.signInUsager("jean-luc-darcy"), PathNotMeConfirm, url.Values{"csrf_token": {"x"}}); resp.StatusCode == http.StatusSeeOther {
			t.Errorf("confirmation without link → %s", resp.Header.Get("Location"))
		}

		// Another usager following the link is refused, and nothing changes.
		other := e.newClient()
		resp, body := e.notMeIdentify(other, link, "ange-colonna")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "est pas celle qui a donné ce mandat") {
			t.Fatalf("another usager = %d %s", resp.StatusCode, body)
		}
		tok := e.pageToken(other, "/usager/espace")
		if resp, _ := e.post(other, PathNotMeConfirm, url.Values{"csrf_token": {tok}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("another usager's suspension = %d, want 403", resp.StatusCode)
		}
		var revoked int64
		d.Conn(ctx).Raw("SELECT COUNT(*) FROM mandates WHERE id = ? AND revoked_at IS NOT NULL", id).Scan(&revoked)
		if revoked != 0 {
			t.Fatal("another usager suspended the mandate")
		}

		// The usager: identification, confirmation, suspension.
		u := e.newClient()
		resp, body = e.notMeIdentify(u, link, "jean-luc-darcy")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Suspendre ce mandat") || !strings.Contains(body, org.Name) ||
			!strings.Contains(body, "Social - Santé") {
			t.Fatalf("confirmation page = %d %s", resp.StatusCode, body)
		}
		tok = csrfInput.FindStringSubmatch(body)[1]
		resp, _ = e.post(u, PathNotMeConfirm, url.Values{"csrf_token": {tok}})
		if resp.Header.Get("Location") != PathUsagerSpace+"?suspendu=1" {
			t.Fatalf("suspension → %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = e.follow(u, PathUsagerSpace+"?suspendu=1")
		if !strings.Contains(body, "Le mandat est suspendu") || !strings.Contains(body, "Vous avez suspendu ce mandat") {
			t.Errorf("space after suspension: %s", body)
		}
		var reason string
		d.Conn(ctx).Raw("SELECT revoked_reason FROM mandates WHERE id = ? AND revoked_at IS NOT NULL AND revoked_by_kind = 'usager'", id).Scan(&reason)
		if reason != "not_me" {
			t.Errorf("revoked_reason = %q", reason)
		}
		var entries int64
		d.Conn(ctx).Raw(`SELECT COUNT(*) FROM audit_entries WHERE action = 'mandate.revoked' AND mandate_id = ? AND actor_kind = 'usager'
			AND CAST(details AS TEXT) LIKE '%not_me%'`, id).Scan(&entries)
		if entries != 1 {
			t.Errorf("%d suspension entries, want 1", entries)
		}
		// The tokens issued before stop working; the next login is refused.
		if _, err := svc.UserInfo(ctx, tokens.AccessToken); answerStatus(err) != http.StatusUnauthorized {
			t.Errorf("UserInfo after suspension: %v, want 401", err)
		}
		if _, err := svc.Login(ctx, e.browser(c), nil, firstPermission, nil); err == nil || !strings.Contains(err.Error(), "no permission offered") {
			t.Errorf("delegated login after suspension: %v, want no permission offered", err)
		}
		// The structure's managers are told, the usager too.
		told := e.mailTo(manager.Account.Email, "structure_mandate_suspended")
		if len(told) != 1 || !strings.Contains(told[0].Message.Text, id) || !strings.Contains(told[0].Message.Text, "Ce n'était pas moi") {
			t.Fatalf("managers told: %+v", told)
		}
		if len(e.mailTo(aidant.Account.Email, "structure_mandate_suspended")) != 0 {
			t.Error("an aidant who is not a manager was told")
		}
		if got := e.mailTo(usagerAddress, "mandate_suspended"); len(got) != 1 || strings.Contains(got[0].Message.Text, "/usager/pas-moi") {
			t.Errorf("usager's suspension message: %+v", got)
		}

		// Following the link again: the mandate has already ended.
		resp, body = e.notMeIdentify(e.newClient(), link, "jean-luc-darcy")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Ce mandat a déjà pris fin") {
			t.Errorf("link after suspension = %d %s", resp.StatusCode, body)
		}
	})
}
