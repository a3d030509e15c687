package account_test

import (
	"context"
	"strings"
	"testing"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/problem"
)

func goodContact() account.Contact {
	return account.Contact{Address: "12 rue de la Paix, 75002 Paris", Email: "contact@structure.fr",
		DPOName: "Camille Dupont", DPOEmail: "dpo@structure.fr"}
}

func TestUpdateOrganisationContactRefusesBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		_, m := f.newManager(t, f.org.ID)
		for _, tc := range []struct {
			name   string
			change func(c *account.Contact)
			want   string
		}{
			{"no address", func(c *account.Contact) { c.Address = "  " }, "L'adresse postale est requise."},
			{"address too long", func(c *account.Contact) { c.Address = strings.Repeat("é", 301) }, "dépasse 300 caractères"},
			{"address on two lines", func(c *account.Contact) { c.Address = "12 rue de la Paix\r\n75002 Paris" }, "retours à la ligne"},
			{"address with a control character", func(c *account.Contact) { c.Address = "12 rue\x00" }, "caractères de contrôle"},
			{"no email", func(c *account.Contact) { c.Email = "" }, "L'adresse électronique de contact est requise."},
			{"malformed email", func(c *account.Contact) { c.Email = "contact@" }, "de contact n'est pas valide"},
			{"email with a name", func(c *account.Contact) { c.Email = "Contact <contact@structure.fr>" }, "de contact n'est pas valide"},
			{"email with a line feed", func(c *account.Contact) { c.Email = "contact@structure.fr\nBcc: x@y.fr" }, "retours à la ligne"},
			{"DPO name too long", func(c *account.Contact) { c.DPOName = strings.Repeat("a", 201) }, "dépasse 200 caractères"},
			{"DPO name with a line feed", func(c *account.Contact) { c.DPOName = "Camille\nDupont" }, "retours à la ligne"},
			{"no DPO email", func(c *account.Contact) { c.DPOEmail = "" }, "délégué à la protection des données est requise"},
			{"malformed DPO email", func(c *account.Contact) { c.DPOEmail = "dpo.structure.fr" }, "délégué à la protection des données n'est pas valide"},
			{"DPO email too long", func(c *account.Contact) { c.DPOEmail = strings.Repeat("a", 250) + "@x.fr" }, "dépasse 254 caractères"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := goodContact()
				tc.change(&in)
				_, err := f.dir.UpdateOrganisationContact(ctx, m, in)
				if problem.CodeOf(err) != problem.Invalid || !strings.Contains(problem.MessageOf(err), tc.want) {
					t.Errorf("err = %v, want invalid with %q", err, tc.want)
				}
			})
		}
		o, err := f.dir.Organisation(ctx, f.org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Contact != (account.Contact{}) || o.Contact.Filled() {
			t.Errorf("contact after refusals = %+v, want none stored", o.Contact)
		}
		if n := countActions(f.actions(t, m.AccountID), audit.ActionOrganisationContactUpdated); n != 0 {
			t.Errorf("%d contact updates journaled after refusals, want 0", n)
		}
	})
}

func TestUpdateOrganisationContact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		_, m := f.newManager(t, f.org.ID)
		in := goodContact()
		in.Email, in.DPOName = " Contact@Structure.fr ", ""
		o, err := f.dir.UpdateOrganisationContact(ctx, m, in)
		if err != nil {
			t.Fatal(err)
		}
		want := account.Contact{Address: "12 rue de la Paix, 75002 Paris", Email: "contact@structure.fr", DPOEmail: "dpo@structure.fr"}
		if o.Contact != want || !o.Contact.Filled() {
			t.Errorf("contact = %+v, want %+v", o.Contact, want)
		}
		if o.Name != f.org.Name || o.SIRET != f.org.SIRET {
			t.Errorf("organisation = %+v, want its name and SIRET unchanged", o)
		}
		// A second update names the fields changed in the journal.
		if _, err := f.dir.UpdateOrganisationContact(ctx, m, goodContact()); err != nil {
			t.Fatal(err)
		}
		entries, err := f.journal.List(ctx, audit.Filter{ActorID: m.AccountID})
		if err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, e := range entries {
			if e.Action == audit.ActionOrganisationContactUpdated {
				if e.OrganisationID != f.org.ID || e.ActorKind != audit.ActorManager {
					t.Errorf("entry = %+v, want the manager acting on their organisation", e)
				}
				details = append(details, e.Details["changed"])
			}
		}
		if strings.Join(details, " | ") != "address,email,dpo_email | dpo_name" {
			t.Errorf("changed fields journaled = %q", details)
		}

		// The legal notice's list: every organisation, by name (the
		// package's PostgreSQL database holds other tests' too).
		other := f.otherOrganisation(t)
		list, err := f.dir.OrganisationContacts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found, at := map[string]account.ListedOrganisation{}, map[string]int{}
		for i, l := range list {
			found[l.SIRET], at[l.SIRET] = l, i
		}
		if at[other.SIRET] > at[f.org.SIRET] {
			t.Errorf("%q listed after %q, want by name", other.Name, f.org.Name)
		}
		if l := found[f.org.SIRET]; l.Name != f.org.Name || l.Contact != goodContact() {
			t.Errorf("listed = %+v, want its contact", l)
		}
		if l := found[other.SIRET]; l.Name != other.Name || l.Contact.Filled() {
			t.Errorf("listed = %+v, want no contact", l)
		}
	})
}

func TestOnlyAManagerUpdatesTheContact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		aidant := f.newAidant(t, true)
		other := f.otherOrganisation(t)
		_, m := f.newManager(t, f.org.ID)
		for _, who := range []account.Manager{
			{AccountID: aidant.Account.ID, OrganisationID: f.org.ID},
			{AccountID: m.AccountID, OrganisationID: other.ID},
		} {
			if _, err := f.dir.UpdateOrganisationContact(ctx, who, goodContact()); err == nil {
				t.Errorf("%+v updated the contact", who)
			}
		}
		for _, id := range []string{f.org.ID, other.ID} {
			if o, err := f.dir.Organisation(ctx, id); err != nil || o.Contact.Filled() {
				t.Errorf("organisation %s: contact %+v, err %v; want none", id, o.Contact, err)
			}
		}
	})
}
