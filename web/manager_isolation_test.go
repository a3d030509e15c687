package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

// managerFixture is an organisation A with a manager, an aidant and an
// open invitation, and another organisation B with its manager.
type managerFixture struct {
	orgA, orgB           account.Organisation
	managerA, aidantA    account.Created
	managerB             account.Created
	invitationA          account.Issued
	managerAM, managerBM account.Manager
}

func (e *env) newManagerFixture() managerFixture {
	e.t.Helper()
	ctx := context.Background()
	var f managerFixture
	f.orgA, f.aidantA = e.orgAndAidant(true)
	f.managerA = e.addAccount(f.orgA.ID, account.RoleManager)
	var anyone account.Created
	f.orgB, anyone = e.orgAndAidant(true)
	_ = anyone
	f.managerB = e.addAccount(f.orgB.ID, account.RoleManager)
	f.managerAM = account.Manager{AccountID: f.managerA.Account.ID, OrganisationID: f.orgA.ID}
	f.managerBM = account.Manager{AccountID: f.managerB.Account.ID, OrganisationID: f.orgB.ID}
	var err error
	f.invitationA, err = e.srv.directory.Invite(ctx, f.managerAM, account.NewInvitation{Email: fmt.Sprintf("invite-%s@example.fr", f.orgA.SIRET),
		GivenName: "Inès", FamilyName: "Invitée", Roles: []account.Role{account.RoleAidant}})
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// addAccount creates an enrolled account of org in role.
func (e *env) addAccount(orgID string, roles ...account.Role) account.Created {
	e.t.Helper()
	c, err := e.srv.directory.CreateAccount(context.Background(), account.Operator, account.NewAccount{
		Email: fmt.Sprintf("compte-%d@example.fr", signInSeq.Add(1)), GivenName: "Rémi", FamilyName: "Responsable",
		Password: "correct horse battery", OrganisationID: orgID, Roles: roles, EnrolTOTP: true,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// orgState is everything of an organisation a manager could change.
func (e *env) orgState(orgID string) string {
	e.t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT name FROM organisations WHERE id = ?",
		"SELECT procedure FROM organisation_procedures WHERE organisation_id = ? ORDER BY procedure",
		"SELECT account_id || ':' || role FROM memberships WHERE organisation_id = ? ORDER BY account_id, role",
		`SELECT a.id || ':' || CASE WHEN a.active THEN 'on' ELSE 'off' END || ':' || COALESCE(CAST(a.habilitated_until AS TEXT), '-') || ':' ||
			CASE WHEN a.totp_secret IS NULL THEN 'no-totp' ELSE 'totp' END || ':' || a.password_hash
			FROM accounts a WHERE a.id IN (SELECT account_id FROM memberships WHERE organisation_id = ?) ORDER BY a.id`,
		"SELECT id || ':' || CAST(expires_at AS TEXT) || ':' || COALESCE(CAST(cancelled_at AS TEXT), '-') FROM invitations WHERE organisation_id = ? ORDER BY id",
		"SELECT COUNT(*) FROM web_sessions WHERE account_id IN (SELECT account_id FROM memberships WHERE organisation_id = ?)",
		"SELECT kind || ':' || COALESCE(CAST(acknowledged_at AS TEXT), 'open') FROM oversight_alerts WHERE organisation_id = ? ORDER BY id",
		"SELECT CAST(volume_factor AS TEXT) || ':' || CAST(refusals AS TEXT) FROM oversight_alert_thresholds WHERE organisation_id = ?",
	} {
		var rows []string
		if err := e.db.Conn(context.Background()).Raw(q, orgID).Scan(&rows).Error; err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
		out = append(out, strings.Join(rows, ","))
	}
	return strings.Join(out, " | ")
}

// crossAttempts counts the cross-organisation entries of an actor.
func (e *env) crossAttempts(actorID string) int64 {
	e.t.Helper()
	var n int64
	e.db.Conn(context.Background()).Raw("SELECT COUNT(*) FROM audit_entries WHERE action = 'organisation.cross_access_refused' AND actor_id = ?", actorID).Scan(&n)
	return n
}

// TestManagerRoutesAreIsolated walks the manager space's route table
// (managerRoutes): every route, GET and POST, with organisation A's ids,
// as B's manager (404 where an id is forged, and audited; nothing of A
// changes) and as A's aidant who is no manager (403). A route added to
// the table is walked here without anyone writing a line.
func TestManagerRoutesAreIsolated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newManagerFixture()
		alertA := e.alertOf(f.orgA, f.aidantA)
		routes := e.srv.managerRoutes()
		if len(routes) < 22 {
			t.Fatalf("only %d manager routes", len(routes))
		}
		stranger := e.signInAidant(f.managerB)
		aidant := e.signInAidant(f.aidantA)
		for _, who := range []struct {
			name   string
			c      *http.Client
			signed account.Created
			want   func(hasID bool) int
		}{
			{"manager of another organisation", stranger, f.managerB, func(hasID bool) int {
				if hasID {
					return http.StatusNotFound
				}
				return 0 // acts on their own organisation
			}},
			{"aidant who is no manager", aidant, f.aidantA, func(bool) int { return http.StatusForbidden }},
		} {
			tok := e.pageToken(who.c, PathAidantHome)
			for _, rt := range routes {
				method, pattern, _ := strings.Cut(rt.pattern, " ")
				hasID := strings.Contains(pattern, "{id}")
				// The journal's pages take A's ids in their filter: the
				// same refusal, audited, with nothing shown (A's manager:
				// B's manager adds A's aidant to B's team on the way).
				filters := strings.HasPrefix(pattern, PathManagerJournal)
				id := f.aidantA.Account.ID
				if strings.HasPrefix(pattern, PathManagerInvitations+"/") {
					id = f.invitationA.ID
				}
				if pattern == PathManagerAct("{id}") || pattern == PathManagerActReceipt("{id}") {
					id = e.lastEntryOf(f.orgA.ID)
				}
				if pattern == PathManagerAlertAcknowledge("{id}") {
					id = alertA
				}
				path := strings.ReplaceAll(pattern, "{id}", id)
				before, crossBefore := e.orgState(f.orgA.ID), e.crossAttempts(who.signed.Account.ID)
				var resp *http.Response
				if method == http.MethodGet {
					resp, _ = e.do(who.c, method, path+"?q=x&statut=invited&aidant="+f.managerA.Account.ID, nil, nil)
				} else {
					resp, _ = e.post(who.c, path, url.Values{"csrf_token": {tok}, "trained_on": {"2026-01-05"}, "months": {"12"},
						"role": {"manager"}, "on": {"1"}, "serial": {"C-1"}, "code": {"123456"}, "email": {f.aidantA.Account.Email},
						"given_name": {"Pirate"}, "family_name": {"Pirate"}, "name": {"Piratée"}, "procedure": {"papiers"}})
				}
				if want := who.want(hasID); want != 0 && resp.StatusCode != want {
					t.Errorf("%s: %s %s = %d, want %d", who.name, method, path, resp.StatusCode, want)
				}
				if resp.StatusCode >= 500 {
					t.Errorf("%s: %s %s = %d", who.name, method, path, resp.StatusCode)
				}
				if after := e.orgState(f.orgA.ID); after != before {
					t.Errorf("%s: %s %s changed organisation A:\n%s\n→ %s", who.name, method, path, before, after)
				}
				if who.signed.Account.ID == f.managerB.Account.ID && (hasID || filters) {
					if n := e.crossAttempts(who.signed.Account.ID) - crossBefore; n != 1 {
						t.Errorf("%s: %s %s recorded %d cross-organisation entries, want 1", who.name, method, path, n)
					}
				}
			}
		}
	})
}

// The manager space is one prefix: its table holds every route under it.
func TestManagerRoutesShareThePrefix(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	for _, rt := range e.srv.managerRoutes() {
		_, pattern, _ := strings.Cut(rt.pattern, " ")
		if pattern != PathManager && !strings.HasPrefix(pattern, PathManager+"/") {
			t.Errorf("%s is outside %s", rt.pattern, PathManager)
		}
		if !routed(e, strings.ReplaceAll(pattern, "{id}", "x")) {
			t.Errorf("%s is not mounted", rt.pattern)
		}
	}
}

// lastEntryOf is the id of the organisation's newest journal entry.
func (e *env) lastEntryOf(orgID string) string {
	e.t.Helper()
	var id int64
	if err := e.db.Conn(context.Background()).Raw("SELECT MAX(id) FROM audit_entries WHERE organisation_id = ?", orgID).Scan(&id).Error; err != nil || id == 0 {
		e.t.Fatalf("no entry of %s: %v", orgID, err)
	}
	return fmt.Sprint(id)
}

// alertOf raises an alert in org, through the maintenance loop's
// computation: five refusals of aidant today. It returns the alert's id.
func (e *env) alertOf(org account.Organisation, aidant account.Created) string {
	e.t.Helper()
	for i := range 5 {
		e.record(audit.Entry{Time: e.clock.Now().Add(-time.Duration(i) * time.Minute), Action: audit.ActionDelegatedLoginRefused,
			ActorKind: audit.ActorAidant, ActorID: aidant.Account.ID, OrganisationID: org.ID, Details: map[string]string{"reason": "expired"}})
	}
	e.runWatch()
	var id int64
	if err := e.db.Conn(context.Background()).Raw("SELECT MAX(id) FROM oversight_alerts WHERE organisation_id = ?", org.ID).Scan(&id).Error; err != nil || id == 0 {
		e.t.Fatalf("no alert in %s: %v", org.ID, err)
	}
	return fmt.Sprint(id)
}
