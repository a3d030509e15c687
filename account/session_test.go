package account_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// A sign-in begins the session and records the act in one transaction;
// if the session cannot begin, the sign-in is not recorded (fail closed).
func TestSignInBeginsSessionInItsTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		c := f.newAidant(t, true)
		creds := account.Credentials{Email: c.Account.Email, Password: "correct horse battery", Code: f.code(t, c.TOTPSecret)}
		if _, err := f.dir.SignIn(ctx, creds, f.session); err != nil {
			t.Fatal(err)
		}
		want := account.SignedIn{AccountID: c.Account.ID, OrganisationID: f.org.ID, AuthTime: f.clock.Now()}
		if len(f.session.begun) != 1 || f.session.begun[0] != want || f.session.outsideTx != 0 {
			t.Fatalf("session begun %+v (%d outside a transaction), want %+v inside", f.session.begun, f.session.outsideTx, want)
		}

		f.clock.Advance(30e9)
		broken := &session{fail: errors.New("session store down")}
		creds.Code = f.code(t, c.TOTPSecret)
		if _, err := f.dir.SignIn(ctx, creds, broken); err == nil {
			t.Fatal("sign-in succeeded without its session")
		}
		if n := f.count(t, "audit_entries", "action = ? AND actor_id = ?", audit.ActionSignIn, c.Account.ID); n != 1 {
			t.Errorf("%d sign-in entries, want 1: the failed one must not be recorded", n)
		}
	})
}

// Ending a session records it with the right actor: a manager who is not an
// aidant is recorded as a manager.
func TestEndSessionActor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		aidant := f.newAidant(t, true)
		manager, err := f.dir.CreateAccount(ctx, account.Operator, account.NewAccount{
			Email: fmt.Sprintf("manager%d@example.fr", emailSeq.Add(1)), GivenName: "Dominique", FamilyName: "Rousseau",
			Password: "correct horse battery", OrganisationID: f.org.ID, Roles: []account.Role{account.RoleManager}, EnrolTOTP: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			id   string
			want audit.ActorKind
		}{
			{"aidant", aidant.Account.ID, audit.ActorAidant},
			{"manager", manager.Account.ID, audit.ActorManager},
		} {
			s := &session{}
			if err := f.dir.EndSession(ctx, tt.id, f.org.ID, "sign_out", s); err != nil {
				t.Fatalf("%s: EndSession: %v", tt.name, err)
			}
			if s.ended != 1 || s.outsideTx != 0 {
				t.Errorf("%s: session ended %d times, %d outside a transaction", tt.name, s.ended, s.outsideTx)
			}
			entries, err := f.journal.List(ctx, audit.Filter{ActorID: tt.id})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(entries, func(e audit.Entry) bool { return e.Action == audit.ActionSessionEnded })
			if i < 0 || entries[i].ActorKind != tt.want || entries[i].Details["reason"] != "sign_out" {
				t.Errorf("%s: entries %+v, want a session end by a %s", tt.name, entries, tt.want)
			}
		}

		broken := &session{fail: errors.New("session store down")}
		if err := f.dir.EndSession(ctx, aidant.Account.ID, f.org.ID, "sign_out", broken); err == nil {
			t.Error("session end recorded though the session did not end")
		}
		if n := f.count(t, "audit_entries", "action = ? AND actor_id = ?", audit.ActionSessionEnded, aidant.Account.ID); n != 1 {
			t.Errorf("%d session-end entries for the aidant, want 1", n)
		}
	})
}
