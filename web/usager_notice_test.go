package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/devtools/journey"
	"procura/keyring"
	"procura/mandate"
	"procura/outbox"

	jose "github.com/go-jose/go-jose/v4"
)

// mailTo lists the outbox's messages of kind to address, newest first.
func (e *env) mailTo(address, kind string) []outbox.Record {
	e.t.Helper()
	all, err := e.outbox.List(context.Background(), outbox.Filter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	var mine []outbox.Record
	for _, r := range all {
		if r.Message.To == address && r.Message.Kind == kind {
			mine = append(mine, r)
		}
	}
	return mine
}

// A usager who opted in at signature is told by email of each delegated
// login in their name, at most once an hour, every act listed; a usager
// who did not opt in is told nothing.
func TestUsagerToldOfDelegatedLogins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		svc := e.journeyService("social")
		c := e.signInAidant(aidant)
		if _, err := e.keys.Ensure(ctx, keyring.PurposeMandate, jose.ES256); err != nil {
			t.Fatal(err)
		}
		if _, err := e.browser(c).CreateMandate(ctx, e.journeyAidant(aidant),
			journey.Mandate{Procedures: []string{"social"}, Days: 182, Usager: "oceane-payet", Notify: true}); err != nil {
			t.Fatal(err)
		}
		e.createMandate(c, aidant, "noel-lecoeur", "social") // no opt-in
		const oceane, noel = "oceane.payet@example.com", "noel.lecoeur@example.com"

		login := func(name string) {
			t.Helper()
			pick := func(ch *journey.Choice) (string, error) { return ch.Permission(name, "Social - Santé") }
			if _, err := svc.Login(ctx, e.browser(c), nil, pick, nil); err != nil {
				t.Fatalf("delegated login for %s: %v\n%s", name, err, e.logs.String())
			}
		}
		login("Océane Payet")
		login("Océane Payet")
		login("Noël Lecœur")
		if err := e.notices.Batch(ctx); err != nil {
			t.Fatal(err)
		}
		got := e.mailTo(oceane, "usager_logins")
		if len(got) != 1 {
			t.Fatalf("%d messages to the usager who opted in, want 1", len(got))
		}
		m := got[0].Message
		if m.Subject != "Procura : 2 connexions ont été faites en votre nom" || m.ToName != "Océane Payet" {
			t.Errorf("subject %q to %q", m.Subject, m.ToName)
		}
		line := " : Caisse démo, démarche « Social - Santé », par un aidant de " + org.Name + "\n"
		if strings.Count(m.Text, line) != 2 || !strings.Contains(m.Text, "- le 2 mars 2026 à 10 h ") || !strings.Contains(m.Text, "Vous recevez ce courriel parce que vous avez demandé") ||
			!strings.Contains(m.Text, "http://localhost:8080/usager/espace") {
			t.Errorf("text:\n%s", m.Text)
		}
		if !strings.Contains(m.HTML, "<strong>Caisse démo</strong>") || strings.Contains(m.HTML, "<img") {
			t.Errorf("html:\n%s", m.HTML)
		}
		if n := len(e.mailTo(noel, "usager_logins")); n != 0 {
			t.Errorf("%d messages to the usager who did not opt in", n)
		}

		// Within the hour: the next login waits for the next message.
		login("Océane Payet")
		if err := e.notices.Batch(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(e.mailTo(oceane, "usager_logins")); n != 1 {
			t.Fatalf("%d messages within the hour, want 1", n)
		}
		e.clock.Advance(time.Hour)
		if err := e.notices.Batch(ctx); err != nil {
			t.Fatal(err)
		}
		got = e.mailTo(oceane, "usager_logins")
		if len(got) != 2 || got[0].Message.Subject != "Procura : une connexion a été faite en votre nom" ||
			strings.Count(got[0].Message.Text, "Caisse démo") != 1 {
			t.Fatalf("after the hour: %+v", got)
		}
	})
}

// A login whose usager opted in costs one INSERT more (the pending notice,
// in the code's transaction), and stays within the login's budget.
func TestDelegatedLoginBudgetWithNotice(t *testing.T) {
	ctx := context.Background()
	counter := &dbtest.Statements{}
	e := newEnv(t, dbtest.PostgresTraced(t, counter))
	_, aidant := e.orgAndAidant(true)
	svc := e.journeyService("social")
	c := e.signInAidant(aidant)
	if _, err := e.keys.Ensure(ctx, keyring.PurposeMandate, jose.ES256); err != nil {
		t.Fatal(err)
	}
	if _, err := e.browser(c).CreateMandate(ctx, e.journeyAidant(aidant),
		journey.Mandate{Procedures: []string{"social"}, Days: 182, Usager: "camille-nguyen", Notify: true}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the first warms the signing keys
		counter.Reset()
		if _, err := svc.Login(ctx, e.browser(c), nil, firstPermission, nil); err != nil {
			t.Fatalf("delegated login %d: %v\n%s", i, err, e.logs.String())
		}
	}
	statements, commits := counter.Counts()
	inserts := 0
	for _, s := range statements {
		if strings.Contains(s, "usager_notices") {
			inserts++
		}
	}
	if inserts != 1 || len(statements) > loginStatementBudget || commits > loginCommitBudget {
		t.Errorf("one delegated login with a notice: %d statements (%d on usager_notices), %d commits; budget %d and %d:\n%s",
			len(statements), inserts, commits, loginStatementBudget, loginCommitBudget, strings.Join(statements, "\n"))
	} else {
		t.Logf("one delegated login with a notice: %d statements, %d commits", len(statements), commits)
	}
}

// A usager who opted in is told of the creation and the revocation of their
// mandate, in the transaction of each; one who did not is told nothing.
func TestUsagerToldOfMandateChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		c := e.signInAidant(aidant)
		if _, err := e.keys.Ensure(ctx, keyring.PurposeMandate, jose.ES256); err != nil {
			t.Fatal(err)
		}
		id, err := e.browser(c).CreateMandate(ctx, e.journeyAidant(aidant),
			journey.Mandate{Procedures: []string{"social", "logement"}, Days: 31, Usager: "aissatou-diop", Notify: true})
		if err != nil {
			t.Fatal(err)
		}
		quiet := e.createMandate(c, aidant, "ange-colonna", "social")
		const aissatou = "aissatou.diop@example.com"
		created := e.mailTo(aissatou, "mandate_created")
		if len(created) != 1 || created[0].Message.Subject != "Procura : vous avez donné un mandat à "+org.Name {
			t.Fatalf("creation messages: %+v", created)
		}
		for _, want := range []string{"Vous avez donné le 2 mars 2026 un mandat à " + org.Name, "Jusqu'au 2 avril 2026 à ",
			"- Social - Santé\n", "- Logement\n", "Vous recevez ce courriel parce que"} {
			if !strings.Contains(created[0].Message.Text, want) {
				t.Errorf("creation text lacks %q:\n%s", want, created[0].Message.Text)
			}
		}
		by := mandate.Actor{Kind: audit.ActorAidant, ID: aidant.Account.ID}
		if _, err := e.srv.mandates.RevokeMandate(ctx, by, mandate.OfOrganisation(org.ID), id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.srv.mandates.RevokeMandate(ctx, by, mandate.OfOrganisation(org.ID), quiet); err != nil {
			t.Fatal(err)
		}
		revoked := e.mailTo(aissatou, "mandate_revoked")
		if len(revoked) != 1 || !strings.Contains(revoked[0].Message.Text, "a été révoqué le 2 mars 2026") {
			t.Fatalf("revocation messages: %+v", revoked)
		}
		for _, kind := range []string{"mandate_created", "mandate_revoked"} {
			if got := e.mailTo("ange.colonna@example.com", kind); len(got) != 0 {
				t.Errorf("%s told to a usager who did not opt in", kind)
			}
		}
	})
}
