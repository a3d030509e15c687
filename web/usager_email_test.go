package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/devtools/journey"
	"procura/keyring"
	"procura/mandate"
	"procura/outbox"
	"procura/outbox/smtptest"
)

// notifiedMandate creates a 182-day mandate for identity, told by email
// (at email when not "").
func (e *env) notifiedMandate(c *http.Client, aidant account.Created, identity, email string, days int) (string, error) {
	e.t.Helper()
	if _, err := e.keys.Ensure(context.Background(), keyring.PurposeMandate, jose.ES256); err != nil {
		e.t.Fatal(err)
	}
	return e.browser(c).CreateMandate(context.Background(), e.journeyAidant(aidant),
		journey.Mandate{Procedures: []string{"social"}, Days: days, Usager: identity, Notify: true, Email: email})
}

// The usager may give another address at signature: a malformed one is
// refused with a French message and nothing is stored; a valid one
// receives the messages from then on, audited without the address.
func TestUsagerAddressGivenAtSignature(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		settings := e.countRows("SELECT COUNT(*) FROM usager_email_settings")
		for _, bad := range []string{"pas une adresse", "jean@exemple", "Jean <jean@example.fr>", "jean@example.fr\r\nBcc: x@example.com",
			"a@b.fr, c@d.fr"} {
			before := e.countRows("SELECT COUNT(*) FROM mandates")
			_, err := e.notifiedMandate(c, aidant, "camille-nguyen", bad, 182)
			if answerStatus(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "adresse électronique de l") {
				t.Errorf("address %q: %v, want 400 with the French message", bad, err)
			}
			if e.countRows("SELECT COUNT(*) FROM mandates") != before || e.countRows("SELECT COUNT(*) FROM usager_email_settings") != settings {
				t.Errorf("address %q: something was stored", bad)
			}
		}
		id, err := e.notifiedMandate(c, aidant, "camille-nguyen", "  c.nguyen@example.org ", 182)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.mailTo("c.nguyen@example.org", "mandate_created"); len(got) != 1 {
			t.Fatalf("%d creation messages to the address given", len(got))
		}
		for _, r := range e.mailTo("camille.nguyen@example.com", "mandate_created") {
			if strings.Contains(r.Message.Key, id) {
				t.Errorf("the FranceConnect address was written to too")
			}
		}
		if n := e.countRows(`SELECT COUNT(*) FROM audit_entries WHERE action = 'usager.email_set' AND mandate_id = ? AND actor_kind = 'aidant'
			AND CAST(details AS TEXT) NOT LIKE '%nguyen%'`, id); n != 1 {
			t.Errorf("%d address entries, want 1", n)
		}
		u := e.signInUsager("camille-nguyen")
		if _, body := e.follow(u, PathUsagerSpace); !strings.Contains(body, "c.nguyen@example.org (donnée lors de la signature)") {
			t.Errorf("space: %s", body)
		}
	})
}

var unsubscribeLink = regexp.MustCompile(`Pour ne plus recevoir de courriels de Procura : (http://localhost:8080\S+)`)

// The usager stops the messages from the link of a message (a page with one
// button, or a mail client's one-click POST without session) or from their
// space; each is audited, and nothing is written to them afterwards. The
// link alone changes nothing; an altered link is refused.
func TestUsagerStopsTheMessages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		first, err := e.notifiedMandate(c, aidant, "fatima-zohra-benali", "", 182)
		if err != nil {
			t.Fatal(err)
		}
		created := e.mailTo("f.benali@example.com", "mandate_created")
		if len(created) != 1 || created[0].Message.Unsubscribe == "" || !strings.Contains(created[0].Message.HTML, "Ne plus recevoir de courriels") {
			t.Fatalf("creation message: %+v", created)
		}
		m := unsubscribeLink.FindStringSubmatch(created[0].Message.Text)
		if m == nil || m[1] != created[0].Message.Unsubscribe {
			t.Fatalf("text link %v, header %q", m, created[0].Message.Unsubscribe)
		}
		link := strings.TrimPrefix(m[1], "http://localhost:8080")

		if resp, body := e.follow(e.newClient(), strings.Replace(link, "jeton=", "jeton=x", 1)); resp.StatusCode != http.StatusNotFound ||
			!strings.Contains(body, "lien de désabonnement") {
			t.Errorf("altered link = %d", resp.StatusCode)
		}
		resp, body := e.follow(e.newClient(), link)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Ne plus recevoir de courriels") {
			t.Fatalf("link page = %d %s", resp.StatusCode, body)
		}
		if n := e.countRows("SELECT COUNT(*) FROM usager_email_settings WHERE stopped_at IS NOT NULL"); n != 0 {
			t.Fatal("following the link stopped the messages")
		}
		// The page's button (no session token needed: the link is the credential).
		resp, _ = e.post(e.newClient(), link, url.Values{})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "fait=1") {
			t.Fatalf("stop = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := e.follow(e.newClient(), resp.Header.Get("Location")); !strings.Contains(body, "ne vous enverra plus de courriels") {
			t.Errorf("after stop: %s", body)
		}
		if n := e.countRows(`SELECT COUNT(*) FROM audit_entries WHERE action = 'usager.notifications_stopped' AND actor_kind = 'usager'
			AND CAST(details AS TEXT) LIKE '%link%'`); n != 1 {
			t.Errorf("%d stop entries, want 1", n)
		}
		// Stopping twice changes nothing.
		e.post(e.newClient(), link, url.Values{})
		if n := e.countRows("SELECT COUNT(*) FROM audit_entries WHERE action = 'usager.notifications_stopped'"); n != 1 {
			t.Errorf("%d stop entries after a second stop, want 1", n)
		}
		// Nothing more is written to her, whatever happens.
		// (These identities are this test's only: the package's tests share
		// a database, and a stop is the usager's, whatever the mandate.)
		if _, err := e.srv.mandates.RevokeMandate(ctx, mandateActor(aidant), orgScope(org), first); err != nil {
			t.Fatal(err)
		}
		if got := e.mailTo("f.benali@example.com", "mandate_revoked"); len(got) != 0 {
			t.Errorf("a message after the stop: %+v", got)
		}
		u := e.signInUsager("fatima-zohra-benali")
		if _, body := e.follow(u, PathUsagerSpace); !strings.Contains(body, "Vous avez arrêté les courriels de Procura le") {
			t.Errorf("space after stop: %s", body)
		}
		// Asking again at a new signature resumes them, audited.
		again, err := e.notifiedMandate(c, aidant, "fatima-zohra-benali", "", 182)
		if err != nil {
			t.Fatal(err)
		}
		resumed := 0
		for _, r := range e.mailTo("f.benali@example.com", "mandate_created") {
			if strings.Contains(r.Message.Key, again) {
				resumed++
			}
		}
		if resumed != 1 || e.countRows("SELECT COUNT(*) FROM audit_entries WHERE action = 'usager.notifications_resumed' AND mandate_id = ?", again) != 1 {
			t.Errorf("after a new opt-in: %d messages", resumed)
		}

		// One-click (RFC 8058): a mail client's POST, no session.
		if _, err := e.notifiedMandate(c, aidant, "joao-da-silva", "", 182); err != nil {
			t.Fatal(err)
		}
		noel := e.mailTo("joao.dasilva@example.com", "mandate_created")[0].Message.Unsubscribe
		req, _ := http.NewRequest(http.MethodPost, strings.Replace(noel, "http://localhost:8080", e.ts.URL, 1),
			strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("one-click = %d", resp.StatusCode)
		}

		// From the space.
		if _, err := e.notifiedMandate(c, aidant, "marie-therese-le-goff", "", 182); err != nil {
			t.Fatal(err)
		}
		a := e.signInUsager("marie-therese-le-goff")
		tok := e.pageToken(a, PathUsagerSpace)
		resp, _ = e.post(a, PathUsagerStopEmails, url.Values{"csrf_token": {tok}})
		if resp.Header.Get("Location") != PathUsagerSpace+"?courriels=arretes" {
			t.Fatalf("stop from the space → %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := e.post(a, PathUsagerStopEmails, url.Values{"csrf_token": {"faux"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("stop without the session's token = %d", resp.StatusCode)
		}
		if n := e.countRows(`SELECT COUNT(*) FROM audit_entries WHERE action = 'usager.notifications_stopped'`); n != 3 {
			t.Errorf("%d stop entries, want 3", n)
		}
	})
}

// An address the mail server refuses for good (550 at RCPT) is marked: the
// usager's space says so, and Procura no longer writes to it.
func TestRefusedAddressIsMarked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		srv := smtptest.Start(t)
		srv.RefuseRecipient("absent@example.org")
		sender, err := outbox.NewSMTP(srv.Config())
		if err != nil {
			t.Fatal(err)
		}
		w := &outbox.Worker{Outbox: e.outbox, Sender: sender, OnRefused: e.notices.Bounced}
		id, err := e.notifiedMandate(c, aidant, "ange-colonna", "absent@example.org", 182)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Deliver(ctx, 50); err != nil {
			t.Fatal(err)
		}
		if n := e.countRows("SELECT COUNT(*) FROM usager_email_settings WHERE bounced_address = 'absent@example.org' AND bounced_at IS NOT NULL"); n != 1 {
			t.Fatalf("%d bounced rows", n)
		}
		if n := e.countRows("SELECT COUNT(*) FROM audit_entries WHERE action = 'usager.email_bounced'"); n != 1 {
			t.Errorf("%d bounce entries, want 1", n)
		}
		u := e.signInUsager("ange-colonna")
		if _, body := e.follow(u, PathUsagerSpace); !strings.Contains(body, `id="adresse-refusee"`) || !strings.Contains(body, "absent@example.org") {
			t.Errorf("space: %s", body)
		}
		if _, err := e.srv.mandates.RevokeMandate(ctx, mandateActor(aidant), orgScope(org), id); err != nil {
			t.Fatal(err)
		}
		if got := e.mailTo("absent@example.org", "mandate_revoked"); len(got) != 0 {
			t.Errorf("written again to a refused address: %+v", got)
		}
		// A new address at the next signature is written to.
		if _, err := e.notifiedMandate(c, aidant, "ange-colonna", "ange@example.org", 182); err != nil {
			t.Fatal(err)
		}
		if got := e.mailTo("ange@example.org", "mandate_created"); len(got) != 1 {
			t.Errorf("%d messages to the new address", len(got))
		}
	})
}

// Reminders: a mandate given for 182 days is told 30 and 7 days before its
// end, a 31-day one only 7 days before, each once whatever the runs; an
// aidant is told before their habilitation ends, again for a new end.
func TestExpiryReminders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		long, err := e.notifiedMandate(c, aidant, "oceane-payet", "", 182)
		if err != nil {
			t.Fatal(err)
		}
		short, err := e.notifiedMandate(c, aidant, "noel-lecoeur", "", 31)
		if err != nil {
			t.Fatal(err)
		}
		// The package's tests share a database: what counts is what is
		// written about these mandates, run after run.
		reminders := func(address, mandateID string) int {
			t.Helper()
			for range 2 {
				if _, err := e.mandates.RemindExpiries(ctx, 1000); err != nil {
					t.Fatal(err)
				}
			}
			n := 0
			for _, r := range e.mailTo(address, "mandate_expiring") {
				if strings.Contains(r.Message.Key, mandateID) {
					n++
				}
			}
			return n
		}
		const noel, oceane = "noel.lecoeur@example.com", "oceane.payet@example.com"
		remind := func(wantNoel, wantOceane int) {
			t.Helper()
			if n, o := reminders(noel, short), reminders(oceane, long); n != wantNoel || o != wantOceane {
				t.Fatalf("reminders: Noël %d, Océane %d; want %d and %d", n, o, wantNoel, wantOceane)
			}
		}
		remind(0, 0)
		e.clock.Advance(26 * 24 * time.Hour) // Noël: 5 days left
		remind(1, 0)
		if got := e.mailTo(noel, "mandate_expiring"); len(got) < 1 || !strings.Contains(got[0].Message.Key, short) ||
			!strings.Contains(got[0].Message.Text, "prend fin le ") || !strings.Contains(got[0].Message.Text, "dans 5 jours") ||
			!strings.Contains(got[0].Message.Text, "Ce n'était pas moi : ") {
			t.Fatalf("Noël's reminder: %+v", got)
		}
		e.clock.Advance((182 - 26 - 20) * 24 * time.Hour) // Océane: 20 days left
		remind(1, 1)
		e.clock.Advance(14 * 24 * time.Hour) // 6 days left
		remind(1, 2)
		var got []outbox.Record
		for _, r := range e.mailTo(oceane, "mandate_expiring") {
			if strings.Contains(r.Message.Key, long) {
				got = append(got, r)
			}
		}
		if len(got) != 2 || !strings.Contains(got[0].Message.Text, "dans 6 jours") || !strings.Contains(got[1].Message.Text, "dans 20 jours") {
			t.Fatalf("Océane's reminders: %+v", got)
		}

		// Habilitations.
		late := e.addAccount(org.ID, account.RoleAidant)
		if err := e.srv.directory.Habilitate(ctx, account.Operator, late.Account.ID, e.clock.Now().Add(20*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		habilitations := func(want int) {
			t.Helper()
			for range 2 {
				if _, err := e.srv.directory.RemindHabilitationExpiries(ctx, 1000, e.notices.HabilitationEnding); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(e.mailTo(late.Account.Email, "aidant_habilitation_expiring")); n != want {
				t.Fatalf("%d habilitation reminders, want %d", n, want)
			}
		}
		habilitations(1)
		got = e.mailTo(late.Account.Email, "aidant_habilitation_expiring")
		if len(got) != 1 || !strings.Contains(got[0].Message.Text, "dans 20 jours") || !strings.Contains(got[0].Message.Subject, "prend fin le") {
			t.Fatalf("habilitation reminder: %+v", got)
		}
		if err := e.srv.directory.Habilitate(ctx, account.Operator, late.Account.ID, e.clock.Now().Add(25*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		habilitations(2)
	})
}

func mandateActor(a account.Created) mandate.Actor {
	return mandate.Actor{Kind: audit.ActorAidant, ID: a.Account.ID}
}

func orgScope(o account.Organisation) mandate.Scope { return mandate.OfOrganisation(o.ID) }
