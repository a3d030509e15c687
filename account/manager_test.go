package account_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/problem"
)

// newManager creates an enrolled manager (not an aidant) of org.
func (f *fixture) newManager(t *testing.T, orgID string) (account.Created, account.Manager) {
	t.Helper()
	c, err := f.dir.CreateAccount(context.Background(), account.Operator, account.NewAccount{
		Email: fmt.Sprintf("manager%d@example.fr", emailSeq.Add(1)), GivenName: "Rémi", FamilyName: "Responsable",
		Password: "correct horse battery", OrganisationID: orgID, Roles: []account.Role{account.RoleManager}, EnrolTOTP: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, account.Manager{AccountID: c.Account.ID, OrganisationID: orgID}
}

// otherOrganisation creates a second organisation.
func (f *fixture) otherOrganisation(t *testing.T) account.Organisation {
	t.Helper()
	o, err := f.dir.CreateOrganisation(context.Background(), account.Operator, account.NewOrganisation{SIRET: validSIRET(t), Name: "Autre structure"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (f *fixture) crossAttempts(t *testing.T, managerID string) int {
	t.Helper()
	return countActions(f.actions(t, managerID), audit.ActionCrossOrganisationRefused)
}

func countActions(as []audit.Action, a audit.Action) int {
	n := 0
	for _, x := range as {
		if x == a {
			n++
		}
	}
	return n
}

func TestManagerActsOnlyOnTheirTeam(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		aidant := f.newAidant(t, true)
		other := f.otherOrganisation(t)
		_, stranger := f.newManager(t, other.ID)
		_, own := f.newManager(t, f.org.ID)

		if _, err := f.dir.Member(ctx, own, aidant.Account.ID); err != nil {
			t.Fatalf("own manager: %v", err)
		}
		acts := map[string]func() error{
			"member":     func() error { _, err := f.dir.Member(ctx, stranger, aidant.Account.ID); return err },
			"deactivate": func() error { return f.dir.DeactivateMember(ctx, stranger, aidant.Account.ID) },
			"habilitate": func() error {
				return f.dir.RecordHabilitation(ctx, stranger, aidant.Account.ID, f.clock.Now().AddDate(0, 0, -1), 12)
			},
			"end":    func() error { return f.dir.EndHabilitation(ctx, stranger, aidant.Account.ID) },
			"remove": func() error { return f.dir.RemoveMember(ctx, stranger, aidant.Account.ID) },
			"role":   func() error { return f.dir.SetRole(ctx, stranger, aidant.Account.ID, account.RoleManager, true) },
			"reset":  func() error { return f.dir.ResetTOTP(ctx, stranger, aidant.Account.ID) },
		}
		for name, act := range acts {
			before := f.crossAttempts(t, stranger.AccountID)
			if err := act(); !errors.Is(err, account.ErrAccountNotFound) {
				t.Errorf("%s by another organisation's manager: err = %v, want ErrAccountNotFound", name, err)
			}
			if after := f.crossAttempts(t, stranger.AccountID); after != before+1 {
				t.Errorf("%s: %d cross-organisation entries recorded, want 1", name, after-before)
			}
		}
		a, _ := f.dir.Account(ctx, aidant.Account.ID)
		if !a.Active || !a.HasTOTP || !a.Habilitated(f.clock.Now()) {
			t.Errorf("the aidant changed: %+v", a)
		}
		// An aidant who is not a manager is no manager.
		if _, err := f.dir.Team(ctx, account.Manager{AccountID: aidant.Account.ID, OrganisationID: f.org.ID}, account.TeamFilter{}); !errors.Is(err, account.ErrNotManager) {
			t.Errorf("aidant as manager: err = %v, want ErrNotManager", err)
		}
	})
}

func TestLastManagerCannotBeRemoved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		first, m := f.newManager(t, f.org.ID)
		if err := f.dir.SetRole(ctx, m, first.Account.ID, account.RoleManager, false); !errors.Is(err, account.ErrLastManager) && problem.CodeOf(err) != problem.Conflict {
			t.Errorf("taking back the only role: err = %v, want a conflict", err)
		}
		if err := f.dir.RemoveMember(ctx, m, first.Account.ID); !errors.Is(err, account.ErrLastManager) {
			t.Errorf("last manager leaves: err = %v, want ErrLastManager", err)
		}
		if err := f.dir.DeactivateMember(ctx, m, first.Account.ID); !errors.Is(err, account.ErrSelf) {
			t.Errorf("self-deactivation: err = %v, want ErrSelf", err)
		}
		second, m2 := f.newManager(t, f.org.ID)
		// With two, one may go; then the other is the last.
		if err := f.dir.RemoveMember(ctx, m, first.Account.ID); err != nil {
			t.Fatalf("one of two managers leaves: %v", err)
		}
		if err := f.dir.RemoveMember(ctx, m2, second.Account.ID); !errors.Is(err, account.ErrLastManager) {
			t.Errorf("second, now last, leaves: err = %v, want ErrLastManager", err)
		}
		if err := f.dir.CheckManager(ctx, m); !errors.Is(err, account.ErrNotManager) {
			t.Errorf("removed manager still manages: %v", err)
		}
		// A deactivated manager does not count.
		third, _ := f.newManager(t, f.org.ID)
		if err := f.dir.DeactivateMember(ctx, m2, third.Account.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.dir.RemoveMember(ctx, m2, second.Account.ID); !errors.Is(err, account.ErrLastManager) {
			t.Errorf("last active manager leaves: err = %v, want ErrLastManager", err)
		}
	})
}

func TestHabilitationByManager(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		_, m := f.newManager(t, f.org.ID)
		a := f.newAidant(t, true)
		now := f.clock.Now()
		for _, tt := range []struct {
			name    string
			trained time.Time
			months  int
		}{
			{"future", now.AddDate(0, 0, 2), 12},
			{"already over", now.AddDate(-2, 0, 0), 12},
			{"zero months", now, 0},
			{"too long", now, 37},
		} {
			if err := f.dir.RecordHabilitation(ctx, m, a.Account.ID, tt.trained, tt.months); problem.CodeOf(err) != problem.Invalid {
				t.Errorf("%s: err = %v, want invalid", tt.name, err)
			}
		}
		if err := f.dir.EndHabilitation(ctx, m, a.Account.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := f.dir.Account(ctx, a.Account.ID)
		if got.Habilitated(f.clock.Now()) {
			t.Error("habilitation ended but still habilitated")
		}
		if err := f.dir.CheckAidant(ctx, a.Account.ID, f.org.ID, f.clock.Now()); !errors.Is(err, account.ErrNotHabilitated) {
			t.Errorf("CheckAidant after the end: %v", err)
		}
		trained := now.AddDate(0, -1, 0)
		if err := f.dir.RecordHabilitation(ctx, m, a.Account.ID, trained, account.DefaultHabilitationMonths); err != nil {
			t.Fatal(err)
		}
		got, _ = f.dir.Account(ctx, a.Account.ID)
		if want := trained.AddDate(1, 0, 0); got.HabilitatedUntil == nil || !got.HabilitatedUntil.Equal(want) || got.TrainedOn == nil {
			t.Errorf("habilitated until %v (trained %v), want %v", got.HabilitatedUntil, got.TrainedOn, want)
		}
		if err := f.dir.ExtendHabilitation(ctx, m, a.Account.ID, 12); err != nil {
			t.Fatal(err)
		}
		got, _ = f.dir.Account(ctx, a.Account.ID)
		if want := trained.AddDate(2, 0, 0); !got.HabilitatedUntil.Equal(want) {
			t.Errorf("extended to %v, want %v", got.HabilitatedUntil, want)
		}
		acts := f.actions(t, m.AccountID)
		if countActions(acts, audit.ActionHabilitationRecorded) != 2 || countActions(acts, audit.ActionHabilitationEnded) != 1 {
			t.Errorf("manager's entries: %v", acts)
		}
	})
}

func TestDeactivationByManagerEndsSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		_, m := f.newManager(t, f.org.ID)
		a := f.newAidant(t, true)
		now := f.clock.Now()
		if err := d.Conn(ctx).Table("web_sessions").Create(map[string]any{"id_hash": []byte("session-" + a.Account.ID), "account_id": a.Account.ID,
			"data": []byte("{}"), "created_at": now, "last_seen_at": now, "expires_at": now.Add(time.Hour)}).Error; err != nil {
			t.Fatal(err)
		}
		if err := f.dir.DeactivateMember(ctx, m, a.Account.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, "web_sessions", "account_id = ?", a.Account.ID); n != 0 {
			t.Errorf("%d sessions survive", n)
		}
		entries, err := f.journal.List(ctx, audit.Filter{ActorID: m.AccountID, Action: audit.ActionAccountDeactivated})
		if err != nil || len(entries) != 1 {
			t.Fatalf("entries: %v %v", entries, err)
		}
		if e := entries[0]; e.ActorKind != audit.ActorManager || e.OrganisationID != f.org.ID || e.Details["account"] != a.Account.ID {
			t.Errorf("entry = %+v", e)
		}
		if err := f.dir.ReactivateMember(ctx, m, a.Account.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMultiOrganisationMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		a := f.newAidant(t, true)
		other := f.otherOrganisation(t)
		_, m2 := f.newManager(t, other.ID)
		if _, err := f.dir.AddExistingMember(ctx, m2, "nobody@example.fr", []account.Role{account.RoleAidant}); problem.CodeOf(err) != problem.NotFound {
			t.Errorf("unknown email: %v", err)
		}
		if _, err := f.dir.AddExistingMember(ctx, m2, a.Account.Email, []account.Role{account.RoleAidant}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.dir.AddExistingMember(ctx, m2, a.Account.Email, []account.Role{account.RoleAidant}); problem.CodeOf(err) != problem.Conflict {
			t.Errorf("added twice: %v", err)
		}
		team, err := f.dir.Team(ctx, m2, account.TeamFilter{Query: "elodie d’ARCY"})
		if err != nil || len(team) != 1 || team[0].ID != a.Account.ID {
			t.Fatalf("team search: %v %v", team, err)
		}
		if err := f.dir.RemoveMember(ctx, m2, a.Account.ID); err != nil {
			t.Fatal(err)
		}
		ms, _ := f.dir.Memberships(ctx, a.Account.ID)
		if len(ms) != 1 || ms[0].Organisation.ID != f.org.ID {
			t.Errorf("memberships after removal from the other: %+v", ms)
		}
	})
}

func TestUpdateOrganisation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ctx := context.Background()
		_, m := f.newManager(t, f.org.ID)
		for _, in := range []account.OrganisationSettings{
			{Name: "", Procedures: []string{"papiers"}},
			{Name: "X", Procedures: nil},
			{Name: "X", Procedures: []string{"nope"}},
		} {
			if _, err := f.dir.UpdateOrganisation(ctx, m, in); problem.CodeOf(err) != problem.Invalid {
				t.Errorf("%+v: err = %v, want invalid", in, err)
			}
		}
		o, err := f.dir.UpdateOrganisation(ctx, m, account.OrganisationSettings{Name: " Maison France Services ", Procedures: []string{"social", "papiers", "social"}})
		if err != nil {
			t.Fatal(err)
		}
		if o.Name != "Maison France Services" || !slices.Equal(o.Procedures, []string{"papiers", "social"}) || o.SIRET != f.org.SIRET {
			t.Errorf("updated = %+v", o)
		}
	})
}

// Two managers removing each other at once: the organisation lock lets
// one through, and the other then finds itself the last manager.
func TestLastManagerRuleUnderConcurrency(t *testing.T) {
	d := dbtest.Postgres(t)
	f := newFixture(t, d)
	ctx := context.Background()
	a, ma := f.newManager(t, f.org.ID)
	b, mb := f.newManager(t, f.org.ID)
	errs := make(chan error, 2)
	go func() { errs <- f.dir.RemoveMember(ctx, ma, b.Account.ID) }()
	go func() { errs <- f.dir.RemoveMember(ctx, mb, a.Account.ID) }()
	var ok, last int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, account.ErrLastManager), errors.Is(err, account.ErrNotManager), errors.Is(err, account.ErrAccountNotFound):
			last++
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 || last != 1 {
		t.Errorf("%d removals went through, %d refused; want 1 and 1", ok, last)
	}
	if n := f.count(t, "memberships", "organisation_id = ? AND role = 'manager'", f.org.ID); n != 1 {
		t.Errorf("%d managers left, want 1", n)
	}
}
