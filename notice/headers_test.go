package notice_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
	"procura/mandate"
)

// The messages added with issue 12 (to the structure on a suspension, to an
// aidant before their habilitation ends) keep names on one line, whatever
// an organisation's or a person's name holds: no header can be injected
// through them, and the outbox would refuse one anyway.
func TestNewMessagesKeepHeadersOnOneLine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		// A name as a careless import could leave it.
		if err := d.Conn(ctx).Exec("UPDATE organisations SET name = ? WHERE id = ?", "Maison\r\nBcc: espion@example.com", f.org.ID).Error; err != nil {
			t.Fatal(err)
		}
		manager, err := f.dir.CreateAccount(ctx, account.Operator, account.NewAccount{Email: uniqueEmail("responsable"), GivenName: "Rémi",
			FamilyName: "Responsable", Password: "correct horse battery", OrganisationID: f.org.ID, Roles: []account.Role{account.RoleManager}})
		if err != nil {
			t.Fatal(err)
		}
		m := mandate.Mandate{ID: "5b1f6a2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b", OrganisationID: f.org.ID, AidantID: manager.Account.ID,
			SignedAt: f.now, Permissions: []mandate.Permission{{Procedure: "social"}}}
		if err := d.InTx(ctx, func(ctx context.Context) error { return f.notices.MandateSuspended(ctx, m, nil) }); err != nil {
			t.Fatal(err)
		}
		got := f.mailTo(t, manager.Account.Email)
		if len(got) != 1 {
			t.Fatalf("%d messages to the manager", len(got))
		}
		if msg := got[0].Message; strings.ContainsAny(msg.Subject+msg.ToName, "\r\n") || !strings.Contains(msg.Subject, "Maison Bcc: espion@example.com") {
			t.Errorf("subject %q, name %q", msg.Subject, msg.ToName)
		}

		until := f.now.Add(10 * 24 * time.Hour)
		msg, err := f.notices.HabilitationEnding(account.Account{ID: "a", Email: "aidant@example.fr", GivenName: "Camille\r\nBcc: x@example.com",
			FamilyName: "Martin", HabilitatedUntil: &until}, 30)
		if err != nil {
			t.Fatal(err)
		}
		msg.Key = "habilitation-test"
		if err := msg.Validate(); err != nil || strings.ContainsAny(msg.ToName, "\r\n") || !strings.Contains(msg.Text, "dans 10 jours") {
			t.Errorf("habilitation message: %v, name %q", err, msg.ToName)
		}
	})
}
