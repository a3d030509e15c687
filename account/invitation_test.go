package account_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
	"procura/outbox"
	"procura/problem"
)

func TestInvitation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		o := outbox.New(d, f.clock.Now)
		f.dir.WithMailer(o, "https://procura.example.fr")
		_, m := f.newManager(t, f.org.ID)
		in := account.NewInvitation{Email: "Nouvelle@Example.fr", GivenName: "Inès", FamilyName: "Nouvelle", Roles: []account.Role{account.RoleAidant}}
		issued, err := f.dir.Invite(ctx, m, in)
		if err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, "invitations", "token_hash = ?", []byte(issued.Token)); n != 0 {
			t.Error("the raw token is stored")
		}
		if _, err := f.dir.Invite(ctx, m, in); problem.CodeOf(err) != problem.Conflict {
			t.Errorf("same email again: %v", err)
		}
		// The link is written to the invited person with the invitation;
		// the refused second invitation wrote nothing.
		invitations := func() []outbox.Record {
			t.Helper()
			recs, err := o.List(ctx, outbox.Filter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			var out []outbox.Record
			for _, r := range recs {
				if r.Message.Kind == "invitation" && r.Message.To == "nouvelle@example.fr" {
					out = append(out, r)
				}
			}
			return out
		}
		if sent := invitations(); len(sent) != 1 || !strings.Contains(sent[0].Message.Text, "https://procura.example.fr/invitation/"+issued.Token) ||
			sent[0].Message.ToName != "Inès Nouvelle" {
			t.Fatalf("invitation messages: %+v", sent)
		}
		// A pending account cannot sign in, whatever password is tried.
		if _, err := f.dir.SignIn(ctx, account.Credentials{Email: in.Email, Password: "procura-dummy-password", Code: "000000"}, f.session); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("pending sign-in: %v", err)
		}
		invitee, err := f.dir.OpenInvitationLink(ctx, issued.Token)
		if err != nil || invitee.Account.Email != "nouvelle@example.fr" || !invitee.Account.Pending || invitee.Organisation.ID != f.org.ID {
			t.Fatalf("open: %+v %v", invitee, err)
		}
		// A new link replaces the former one.
		f.clock.Advance(time.Second)
		again, err := f.dir.ResendInvitation(ctx, m, issued.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.dir.OpenInvitationLink(ctx, issued.Token); !errors.Is(err, account.ErrInvitationInvalid) {
			t.Errorf("former link: %v", err)
		}
		if sent := invitations(); len(sent) != 2 || !strings.Contains(sent[0].Message.Text, again.Token) {
			t.Errorf("after a new link: %+v", sent)
		}
		for _, tt := range []struct{ password, confirm string }{{"short", "short"}, {"correct horse battery", "correct horse batterie"}} {
			if _, err := f.dir.AcceptInvitation(ctx, again.Token, tt.password, tt.confirm); problem.CodeOf(err) != problem.Invalid {
				t.Errorf("accept %q/%q: %v", tt.password, tt.confirm, err)
			}
		}
		a, err := f.dir.AcceptInvitation(ctx, again.Token, "correct horse battery", "correct horse battery")
		if err != nil || a.Pending || a.HasTOTP {
			t.Fatalf("accept: %+v %v", a, err)
		}
		if _, err := f.dir.OpenInvitationLink(ctx, again.Token); !errors.Is(err, account.ErrInvitationUsed) {
			t.Errorf("used link: %v", err)
		}
		if _, err := f.dir.AcceptInvitation(ctx, again.Token, "another good password", "another good password"); !errors.Is(err, account.ErrInvitationUsed) {
			t.Errorf("second acceptance: %v", err)
		}
		// The password works: the next step is enrolment.
		if _, err := f.dir.SignIn(ctx, account.Credentials{Email: in.Email, Password: "correct horse battery"}, f.session); !errors.Is(err, account.ErrEnrolmentNeeded) {
			t.Errorf("sign-in after acceptance: %v", err)
		}
	})
}

func TestInvitationExpiresAndCancels(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		_, m := f.newManager(t, f.org.ID)
		issued, err := f.dir.Invite(ctx, m, account.NewInvitation{Email: "tard@example.fr", GivenName: "Léa", FamilyName: "Tard", Roles: []account.Role{account.RoleAidant}})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(account.InvitationTTL + time.Second)
		if _, err := f.dir.OpenInvitationLink(ctx, issued.Token); !errors.Is(err, account.ErrInvitationExpired) {
			t.Errorf("expired link: %v", err)
		}
		if _, err := f.dir.AcceptInvitation(ctx, issued.Token, "correct horse battery", "correct horse battery"); !errors.Is(err, account.ErrInvitationExpired) {
			t.Errorf("accept expired: %v", err)
		}
		other := f.otherOrganisation(t)
		_, stranger := f.newManager(t, other.ID)
		if err := f.dir.CancelInvitation(ctx, stranger, issued.ID); !errors.Is(err, account.ErrInvitationInvalid) {
			t.Errorf("cancel by another organisation: %v", err)
		}
		if f.crossAttempts(t, stranger.AccountID) != 1 {
			t.Error("cross-organisation cancel not recorded")
		}
		if err := f.dir.CancelInvitation(ctx, m, issued.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, "accounts", "email = ?", "tard@example.fr"); n != 0 {
			t.Errorf("cancelled invitation left its pending account (%d)", n)
		}
		if _, err := f.dir.OpenInvitationLink(ctx, issued.Token); !errors.Is(err, account.ErrInvitationInvalid) {
			t.Errorf("cancelled link: %v", err)
		}
	})
}

const cardSeed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func TestCardImportLinkAndSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		cards, err := account.ParseCardsCSV(strings.NewReader("serial,seed\nC-001," + cardSeed + "\nC-002,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n"))
		if err != nil || len(cards) != 2 {
			t.Fatalf("parse: %v %v", cards, err)
		}
		if n, err := f.dir.ImportCards(ctx, account.Operator, cards); err != nil || n != 2 {
			t.Fatalf("import: %d %v", n, err)
		}
		var sealed []byte
		d.Conn(ctx).Raw("SELECT seed FROM totp_cards WHERE serial = 'C-001'").Scan(&sealed)
		if bytes.Contains(sealed, []byte(cardSeed)) || len(sealed) == 0 {
			t.Error("card seed not sealed")
		}
		if _, err := f.dir.ImportCards(ctx, account.Operator, cards[:1]); problem.CodeOf(err) != problem.Conflict {
			t.Errorf("import twice: %v", err)
		}

		_, m := f.newManager(t, f.org.ID)
		a := f.newAidant(t, false)
		if err := f.dir.LinkCard(ctx, m, a.Account.ID, "C-001", "000000"); problem.CodeOf(err) != problem.Invalid {
			t.Errorf("wrong code: %v", err)
		}
		if err := f.dir.LinkCard(ctx, m, a.Account.ID, "C-999", f.code(t, cardSeed)); !errors.Is(err, account.ErrCardNotFound) {
			t.Errorf("unknown serial: %v", err)
		}
		code := f.code(t, cardSeed)
		if err := f.dir.LinkCard(ctx, m, a.Account.ID, "C-001", code); err != nil {
			t.Fatal(err)
		}
		// The code that proved possession is used up.
		creds := account.Credentials{Email: a.Account.Email, Password: "correct horse battery", Code: code}
		if _, err := f.dir.SignIn(ctx, creds, f.session); !errors.Is(err, account.ErrCodeReplayed) {
			t.Errorf("link code replayed at sign-in: %v", err)
		}
		f.clock.Advance(30 * time.Second)
		creds.Code = f.code(t, cardSeed)
		if _, err := f.dir.SignIn(ctx, creds, f.session); err != nil {
			t.Fatalf("sign-in with the card: %v", err)
		}
		if _, err := f.dir.SignIn(ctx, creds, f.session); !errors.Is(err, account.ErrCodeReplayed) {
			t.Errorf("card code twice: %v", err)
		}
		// Another organisation's manager cannot take the card.
		other := f.otherOrganisation(t)
		_, stranger := f.newManager(t, other.ID)
		b, err := f.dir.CreateAccount(ctx, account.Operator, account.NewAccount{Email: "b@example.fr", GivenName: "B", FamilyName: "B",
			Password: "correct horse battery", OrganisationID: other.ID, Roles: []account.Role{account.RoleAidant}})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(30 * time.Second)
		if err := f.dir.LinkCard(ctx, stranger, b.Account.ID, "C-001", f.code(t, cardSeed)); !errors.Is(err, account.ErrCardNotFound) {
			t.Errorf("another organisation's card: %v", err)
		}
		if f.crossAttempts(t, stranger.AccountID) != 1 {
			t.Error("cross-organisation card not recorded")
		}
		if err := f.dir.UnlinkCard(ctx, m, a.Account.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.dir.Account(ctx, a.Account.ID); got.HasTOTP {
			t.Error("unlinked card still signs in")
		}
		// Once unlinked, it serves another account; its used codes stay used.
		if err := f.dir.LinkCard(ctx, stranger, b.Account.ID, "C-001", creds.Code); problem.CodeOf(err) != problem.Invalid {
			t.Errorf("used code links again: %v", err)
		}
		f.clock.Advance(30 * time.Second)
		if err := f.dir.LinkCard(ctx, stranger, b.Account.ID, "C-001", f.code(t, cardSeed)); err != nil {
			t.Errorf("relink: %v", err)
		}
	})
}

func TestResetTOTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		_, m := f.newManager(t, f.org.ID)
		a := f.newAidant(t, true)
		if err := f.dir.ResetTOTP(ctx, m, a.Account.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.dir.SignIn(ctx, account.Credentials{Email: a.Account.Email, Password: "correct horse battery"}, f.session)
		if !errors.Is(err, account.ErrEnrolmentNeeded) {
			t.Errorf("after reset: %v, want ErrEnrolmentNeeded", err)
		}
		if err := f.dir.ResetTOTP(ctx, m, a.Account.ID); problem.CodeOf(err) != problem.Conflict {
			t.Errorf("reset twice: %v", err)
		}
	})
}

func FuzzParseCardsCSV(f *testing.F) {
	f.Add("serial,seed\nC-1," + cardSeed + "\n")
	f.Add("C-1,abc\n")
	f.Add("\"a\nb\",x")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		cards, err := account.ParseCardsCSV(strings.NewReader(s))
		if err == nil && len(cards) == 0 {
			t.Error("no error and no card")
		}
		if err != nil && problem.CodeOf(err) != problem.Invalid {
			t.Errorf("err = %v, want invalid", err)
		}
	})
}
