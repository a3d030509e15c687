package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"procura/account"
	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/devtools/journey"
	"procura/keyring"
	"procura/mandate"
	"procura/oversight"
)

// watch is the alerts' computation of the maintenance loop, on the env.
func (e *env) watch() *oversight.Watch {
	e.t.Helper()
	paris, err := mandate.Paris()
	if err != nil {
		e.t.Fatal(err)
	}
	return oversight.NewWatch(e.db, e.srv.journal, e.srv.directory, e.srv.mandates, e.outbox, "http://localhost:8080", paris, e.clock.Now)
}

// runWatch runs the computation and returns how many alerts it raised.
func (e *env) runWatch() oversight.WatchReport {
	e.t.Helper()
	rep, err := e.watch().Run(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

// alertKeys lists an organisation's alerts as "kind subject period".
func (e *env) alertKeys(orgID string) []string {
	e.t.Helper()
	var out []string
	if err := e.db.Conn(context.Background()).Raw(`SELECT kind || ' ' || subject || ' ' || period FROM oversight_alerts
		WHERE organisation_id = ? ORDER BY kind, subject, period`, orgID).Scan(&out).Error; err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) countRows(q string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Conn(context.Background()).Raw(q, args...).Scan(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// alertsFixture is organisation A acting as usual and organisation B
// showing every pattern an alert is for. The clock is Monday 2 March 2026,
// 10:00 Paris time; yesterday was a Sunday.
type alertsFixture struct {
	managerFixture
	b1, b2, b3   account.Created
	usagerB      string
	managerBHTTP *http.Client
	mandateB     string
}

func (e *env) newAlertsFixture() alertsFixture {
	e.t.Helper()
	ctx := context.Background()
	f := alertsFixture{managerFixture: e.newManagerFixture()}
	f.b1 = e.addAccount(f.orgB.ID, account.RoleAidant)
	f.b2 = e.addAccount(f.orgB.ID, account.RoleAidant)
	f.b3 = e.addAccount(f.orgB.ID, account.RoleAidant)
	now := e.clock.Now()
	far := now.AddDate(1, 0, 0)
	for _, a := range []account.Created{f.b1, f.b2} {
		if err := e.srv.directory.Habilitate(ctx, account.Operator, a.Account.ID, far); err != nil {
			e.t.Fatal(err)
		}
	}
	// B3's habilitation ends in 10 days.
	if err := e.srv.directory.Habilitate(ctx, account.Operator, f.b3.Account.ID, now.AddDate(0, 0, 10)); err != nil {
		e.t.Fatal(err)
	}
	// A 31-day mandate of B, ending on Thursday 2 April: B's notice of 30
	// days reaches that week (set below through the settings page).
	if _, err := e.keys.Ensure(ctx, keyring.PurposeMandate, jose.ES256); err != nil {
		e.t.Fatal(err)
	}
	var err error
	f.mandateB, err = e.browser(e.signInAidant(f.b1)).CreateMandate(ctx, e.journeyAidant(f.b1),
		journey.Mandate{Procedures: []string{"social"}, Days: 31, Usager: "jean-luc-darcy"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.db.Conn(ctx).Raw("SELECT usager_id FROM mandates WHERE id = ?", f.mandateB).Scan(&f.usagerB)
	login := func(a account.Created, org, usagerID string, at time.Time) {
		e.record(audit.Entry{Time: at, Action: audit.ActionDelegatedLoginAuthorised, ActorKind: audit.ActorAidant,
			ActorID: a.Account.ID, OrganisationID: org, UsagerID: usagerID, Procedure: "social", ClientID: "service"})
	}
	refusal := func(a account.Created, org string, at time.Time) {
		e.record(audit.Entry{Time: at, Action: audit.ActionDelegatedLoginRefused, ActorKind: audit.ActorAidant,
			ActorID: a.Account.ID, OrganisationID: org, Procedure: "social", Details: map[string]string{"reason": "expired"}})
	}
	paris, _ := mandate.Paris()
	today := time.Date(2026, 3, 2, 0, 0, 0, 0, paris)
	// Four weeks as usual: two logins a weekday at 10:00 and 15:00, for
	// A's aidant and B1, each for their own usagers.
	for d := 1; d <= 30; d++ {
		day := today.AddDate(0, 0, -d)
		if day.Weekday() == time.Sunday || day.Weekday() == time.Saturday {
			continue
		}
		for _, h := range []int{10, 15} {
			login(f.aidantA, f.orgA.ID, fmt.Sprintf("usager-a-%d", h), day.Add(time.Duration(h)*time.Hour))
			login(f.b1, f.orgB.ID, fmt.Sprintf("usager-b1-%d", h), day.Add(time.Duration(h)*time.Hour))
		}
	}
	// Today in A: three logins in the morning, one refusal. Nothing unusual.
	for i := range 3 {
		login(f.aidantA, f.orgA.ID, "usager-a-10", today.Add(8*time.Hour+time.Duration(i)*time.Minute))
	}
	refusal(f.aidantA, f.orgA.ID, today.Add(8*time.Hour))
	// Today in B: B1 signs in 30 times (usual: fewer than 2 a day), the
	// first three for usager-b, for whom B2 and B3 sign in too; B2 signed in
	// at 3:00 in the night, and yesterday, a Sunday; B3 is refused 5 times.
	for i := range 30 {
		u := "usager-b1-10"
		if i < 3 {
			u = f.usagerB
		}
		login(f.b1, f.orgB.ID, u, today.Add(8*time.Hour+time.Duration(i)*time.Minute))
	}
	login(f.b2, f.orgB.ID, f.usagerB, today.Add(3*time.Hour))
	login(f.b2, f.orgB.ID, "usager-b2", today.Add(-10*time.Hour)) // Sunday 14:00
	login(f.b3, f.orgB.ID, f.usagerB, today.Add(9*time.Hour))
	for i := range 5 {
		refusal(f.b3, f.orgB.ID, today.Add(9*time.Hour+time.Duration(i)*time.Minute))
	}
	f.managerBHTTP = e.signInAidant(f.managerB)
	return f
}

func (f alertsFixture) wantB() []string {
	want := []string{
		"habilitation_ending " + f.b3.Account.ID + " 2026-03-12",
		"mandates_expiring  2026-03-30",
		"night " + f.b2.Account.ID + " 2026-03-02",
		"refusals " + f.b3.Account.ID + " 2026-03-02",
		"sunday " + f.b2.Account.ID + " 2026-03-01",
		"usager_aidants " + f.usagerB + " 2026-03-02",
		"volume " + f.b1.Account.ID + " 2026-03-02",
	}
	slices.Sort(want)
	return want
}

// setThresholds posts the thresholds' form as c and returns the answer.
func (e *env) setThresholds(c *http.Client, edit func(url.Values)) (*http.Response, string) {
	e.t.Helper()
	v := url.Values{"csrf_token": {e.pageToken(c, PathManagerSettings)}}
	for k, s := range oversight.DefaultThresholds.Values() {
		v.Set(k, s)
	}
	edit(v)
	return e.post(c, PathManagerAlertThresholds, v)
}

// TestAlertsRaisedOncePerPattern: each kind of alert is raised on its
// pattern (organisation B) and on none of the usual acts (organisation A);
// a second run, and a run after the day counts are rolled up, raise nothing
// more; the raising is in the journal, and B's managers get one digest
// without names.
func TestAlertsRaisedOncePerPattern(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newAlertsFixture()
		if resp, body := e.setThresholds(f.managerBHTTP, func(v url.Values) { v.Set("jours_mandats", "30") }); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("thresholds = %d: %s", resp.StatusCode, body)
		}
		messagesBefore := e.countRows("SELECT COUNT(*) FROM outbox_messages")
		e.runWatch()
		if got := e.alertKeys(f.orgA.ID); len(got) != 0 {
			t.Errorf("usual acts raised %v", got)
		}
		want := f.wantB()
		if got := e.alertKeys(f.orgB.ID); !slices.Equal(got, want) {
			t.Errorf("alerts of B:\n got %q\nwant %q", got, want)
		}
		raised := e.countRows("SELECT COUNT(*) FROM audit_entries WHERE action = ? AND organisation_id = ?", audit.ActionAlertRaised, f.orgB.ID)
		if raised != int64(len(want)) {
			t.Errorf("%d alert_raised entries, want %d", raised, len(want))
		}
		var digests []struct{ Recipient, Subject, TextBody, HTMLBody string }
		e.db.Conn(context.Background()).Raw("SELECT recipient, subject, text_body, html_body FROM outbox_messages WHERE kind = 'manager_alerts' AND recipient IN ?",
			[]string{f.managerA.Account.Email, f.managerB.Account.Email}).Scan(&digests)
		if len(digests) != 1 || digests[0].Recipient != f.managerB.Account.Email || e.countRows("SELECT COUNT(*) FROM outbox_messages")-messagesBefore != 1 {
			t.Fatalf("digests %+v, want one to B's manager", digests)
		}
		if !strings.Contains(digests[0].Subject, "7 nouvelle(s) alerte(s)") || !strings.Contains(digests[0].TextBody, "http://localhost:8080/responsable") ||
			strings.Contains(digests[0].TextBody, f.b1.Account.ID) || strings.Contains(digests[0].TextBody, f.usagerB) ||
			strings.Contains(digests[0].TextBody, "Arcy") || strings.Contains(digests[0].HTMLBody, "Arcy") {
			t.Errorf("digest:\n%s\n%s", digests[0].Subject, digests[0].TextBody)
		}

		// Idempotent: again, then on rolled-up day counts, later the same day.
		e.runWatch()
		e.clock.Advance(20 * time.Minute)
		paris, _ := mandate.Paris()
		if _, err := e.srv.journal.RollUp(context.Background(), paris); err != nil {
			t.Fatal(err)
		}
		if rep := e.runWatch(); rep.Raised != 0 || rep.Digests != 0 {
			t.Errorf("later runs raised %+v", rep)
		}
		if got := e.alertKeys(f.orgB.ID); !slices.Equal(got, want) {
			t.Errorf("after three runs, alerts of B: %q", got)
		}
		if n := e.countRows("SELECT COUNT(*) FROM audit_entries WHERE action = ? AND organisation_id IN ?", audit.ActionAlertRaised,
			[]string{f.orgA.ID, f.orgB.ID}); n != raised {
			t.Errorf("%d alert_raised entries after three runs, want %d", n, raised)
		}
		if n := e.countRows("SELECT COUNT(*) FROM outbox_messages WHERE kind = 'manager_alerts' AND recipient = ?", f.managerB.Account.Email); n != 1 {
			t.Errorf("%d digests after three runs", n)
		}

		// A's manager lowers the refusals' threshold to 1: A's one refusal
		// today is now an alert, and A's manager gets their digest.
		managerA := e.signInAidant(f.managerA)
		if resp, body := e.setThresholds(managerA, func(v url.Values) { v.Set("refus", "1") }); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("thresholds = %d: %s", resp.StatusCode, body)
		}
		e.runWatch()
		if got := e.alertKeys(f.orgA.ID); !slices.Equal(got, []string{"refusals " + f.aidantA.Account.ID + " 2026-03-02"}) {
			t.Errorf("A with a threshold of 1 refusal: %q", got)
		}
		if n := e.countRows("SELECT COUNT(*) FROM outbox_messages WHERE kind = 'manager_alerts' AND recipient = ?", f.managerA.Account.Email); n != 1 {
			t.Errorf("%d digests to A's manager", n)
		}
	})
}

// TestAlertsOnDashboardAndAcknowledged: the dashboard lists the open
// alerts with names; acknowledging one is an act in the journal, shown with
// who and when; a second acknowledgement changes nothing.
func TestAlertsOnDashboardAndAcknowledged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newAlertsFixture()
		e.runWatch()
		resp, body := e.do(f.managerBHTTP, http.MethodGet, PathManager, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("dashboard = %d", resp.StatusCode)
		}
		for _, s := range []string{"Connexions d&#39;un aidant bien au-delà de son volume habituel", "30 connexions pour le compte d&#39;usagers le 2 mars 2026",
			"Jean-Luc", "prend fin le 12 mars 2026", "5 connexions pour le compte d&#39;usagers refusées", "Marquer comme prise en compte"} {
			if !strings.Contains(body, s) {
				t.Errorf("dashboard lacks %q", s)
			}
		}
		var id int64
		e.db.Conn(context.Background()).Raw("SELECT id FROM oversight_alerts WHERE organisation_id = ? AND kind = 'refusals'", f.orgB.ID).Scan(&id)
		path := PathManagerAlertAcknowledge(fmt.Sprint(id))
		if !strings.Contains(body, `action="`+path+`"`) {
			t.Fatalf("no acknowledgement form for alert %d", id)
		}
		e.clock.Advance(time.Minute)
		tok := e.pageToken(f.managerBHTTP, PathManager)
		resp, _ = e.post(f.managerBHTTP, path, url.Values{"csrf_token": {tok}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("acknowledge = %d", resp.StatusCode)
		}
		var by string
		e.db.Conn(context.Background()).Raw("SELECT acknowledged_by FROM oversight_alerts WHERE id = ?", id).Scan(&by)
		if by != f.managerB.Account.ID {
			t.Errorf("acknowledged by %q", by)
		}
		ack := func() int64 {
			return e.countRows("SELECT COUNT(*) FROM audit_entries WHERE action = ? AND actor_id = ? AND organisation_id = ?",
				audit.ActionAlertAcknowledged, f.managerB.Account.ID, f.orgB.ID)
		}
		if n := ack(); n != 1 {
			t.Errorf("%d acknowledgement entries", n)
		}
		_, body = e.do(f.managerBHTTP, http.MethodGet, PathManager+"?alerte=prise-en-compte", nil, nil)
		if !strings.Contains(body, "L&#39;alerte est marquée comme prise en compte.") ||
			!strings.Contains(body, "Prise en compte le 2 mars 2026 à ") || !strings.Contains(body, " par Rémi Responsable.") ||
			strings.Contains(body, `action="`+path+`"`) {
			t.Errorf("dashboard after acknowledgement:\n%s", between(body, "<h1>", "</details>"))
		}
		// Twice: nothing more.
		resp, _ = e.post(f.managerBHTTP, path, url.Values{"csrf_token": {tok}})
		if resp.StatusCode != http.StatusSeeOther || ack() != 1 {
			t.Errorf("second acknowledgement = %d, %d entries", resp.StatusCode, ack())
		}
		// A's manager sees none of B's alerts, and cannot acknowledge one:
		// not found, and the attempt is recorded.
		managerA := e.signInAidant(f.managerA)
		_, bodyA := e.do(managerA, http.MethodGet, PathManager, nil, nil)
		if !strings.Contains(bodyA, "Aucune alerte en cours.") || strings.Contains(bodyA, "alertes/") {
			t.Errorf("A's dashboard shows alerts:\n%s", between(bodyA, "<h1>", "</details>"))
		}
		var other int64
		e.db.Conn(context.Background()).Raw("SELECT id FROM oversight_alerts WHERE organisation_id = ? AND kind = 'volume'", f.orgB.ID).Scan(&other)
		crossBefore := e.crossAttempts(f.managerA.Account.ID)
		resp, _ = e.post(managerA, PathManagerAlertAcknowledge(fmt.Sprint(other)), url.Values{"csrf_token": {e.pageToken(managerA, PathManager)}})
		if resp.StatusCode != http.StatusNotFound || e.crossAttempts(f.managerA.Account.ID)-crossBefore != 1 ||
			e.countRows("SELECT COUNT(*) FROM oversight_alerts WHERE id = ? AND acknowledged_at IS NULL", other) != 1 {
			t.Errorf("A acknowledging B's alert = %d", resp.StatusCode)
		}
		// Malformed or unknown ids: not found, nothing written.
		for _, bad := range []string{"0", "-1", "abc", "99999999", "1e3"} {
			if resp, _ := e.post(f.managerBHTTP, PathManagerAlertAcknowledge(bad), url.Values{"csrf_token": {tok}}); resp.StatusCode != http.StatusNotFound {
				t.Errorf("acknowledge %q = %d", bad, resp.StatusCode)
			}
		}
		if n := e.countRows("SELECT COUNT(*) FROM oversight_alerts WHERE acknowledged_at IS NOT NULL AND organisation_id = ?", f.orgB.ID); n != 1 {
			t.Errorf("%d alerts acknowledged", n)
		}
	})
}

// TestAlertThresholdsRefused: every malformed threshold shows the settings
// page with a French message, and nothing is stored or journaled.
func TestAlertThresholdsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newManagerFixture()
		c := e.signInAidant(f.managerA)
		for _, tc := range []struct {
			field, value, message string
		}{
			{"facteur_volume", "1", "multiple du volume habituel"},
			{"facteur_volume", "", "multiple du volume habituel"},
			{"facteur_volume", "trois", "multiple du volume habituel"},
			{"plancher_volume", "0", "nombre de connexions en un jour"},
			{"plancher_volume", "99999999999999999999", "nombre de connexions en un jour"},
			{"nuit_debut", "24", "début de la nuit"},
			{"nuit_fin", "-1", "fin de la nuit"},
			{"usager_aidants", "1", "aidants différents"},
			{"refus", "0", "connexions refusées"},
			{"jours_habilitation", "181", "fin d&#39;habilitation"},
			{"jours_mandats", "2.5", "échéance des mandats"},
			{"dimanche", "oui", "le dimanche"},
		} {
			resp, body := e.setThresholds(c, func(v url.Values) { v.Set(tc.field, tc.value) })
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.message) || !strings.Contains(body, `value="`+tc.value+`"`) && tc.field != "dimanche" {
				t.Errorf("%s=%q: %d, want 400 with %q: %s", tc.field, tc.value, resp.StatusCode, tc.message, between(body, `id="seuils"`, "<form"))
			}
		}
		if n := e.countRows("SELECT COUNT(*) FROM oversight_alert_thresholds WHERE organisation_id = ?", f.orgA.ID); n != 0 {
			t.Errorf("%d thresholds stored", n)
		}
		if n := e.countRows("SELECT COUNT(*) FROM audit_entries WHERE action = ? AND organisation_id = ?", audit.ActionAlertThresholdsChanged, f.orgA.ID); n != 0 {
			t.Errorf("%d changes journaled", n)
		}
		// The defaults are shown, then a change, stored and journaled.
		_, body := e.do(c, http.MethodGet, PathManagerSettings, nil, nil)
		if !strings.Contains(body, `name="facteur_volume" value="3"`) || !strings.Contains(body, "Ce sont les valeurs par défaut.") {
			t.Errorf("settings page lacks the defaults")
		}
		resp, _ := e.setThresholds(c, func(v url.Values) { v.Set("nuit_debut", "22"); v.Del("dimanche") })
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save = %d", resp.StatusCode)
		}
		_, body = e.do(c, http.MethodGet, PathManagerSettings+"?seuils=1", nil, nil)
		if !strings.Contains(body, `name="nuit_debut" value="22"`) || strings.Contains(body, `id="dimanche" name="dimanche" value="1" checked`) ||
			!strings.Contains(body, "Seuils modifiés le 2 mars 2026") || !strings.Contains(body, "Les seuils des alertes sont enregistrés") {
			t.Errorf("settings page after the change:\n%s", body)
		}
		var details string
		e.db.Conn(context.Background()).Raw("SELECT details FROM audit_entries WHERE action = ? AND actor_id = ? AND organisation_id = ?",
			audit.ActionAlertThresholdsChanged, f.managerA.Account.ID, f.orgA.ID).Scan(&details)
		var changed map[string]string
		if err := json.Unmarshal([]byte(details), &changed); err != nil || changed["nuit_debut"] != "22" || changed["dimanche"] != "0" {
			t.Errorf("journaled change %s", details)
		}
	})
}

// TestManagerActShowsReceipt: an act not yet integrated says so; once the
// sequencer has signed a checkpoint, the page shows it and the receipt
// downloads and verifies.
func TestManagerActShowsReceipt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newJournalFixture()
		id := e.lastEntryOf(f.orgA.ID)
		_, body := e.do(f.manager, http.MethodGet, PathManagerAct(id), nil, nil)
		if !strings.Contains(body, "sera intégrée dans quelques secondes") || strings.Contains(body, PathManagerActReceipt(id)) {
			t.Errorf("act page before integration:\n%s", body)
		}
		if resp, _ := e.do(f.manager, http.MethodGet, PathManagerActReceipt(id), nil, nil); resp.StatusCode != http.StatusConflict {
			t.Errorf("receipt before integration = %d", resp.StatusCode)
		}
		e.integrateJournal()
		_, body = e.do(f.manager, http.MethodGet, PathManagerAct(id), nil, nil)
		if !strings.Contains(body, "vérifié avec la clé du journal") || !strings.Contains(body, `href="`+PathManagerActReceipt(id)+`"`) ||
			!strings.Contains(body, testJournalOrigin) {
			t.Errorf("act page after integration:\n%s", body)
		}
		resp, receipt := e.do(f.manager, http.MethodGet, PathManagerActReceipt(id), nil, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("receipt = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		_, check := e.do(e.client, http.MethodGet, PathJournal+"?"+url.Values{"recu": {receipt}}.Encode(), nil, nil)
		if !strings.Contains(check, "Reçu valide") || !strings.Contains(check, "acte n° "+id+" (") {
			t.Errorf("the downloaded receipt does not verify on /journal: %s", between(check, `id="verifier"`, "<form"))
		}
	})
}

// between is the part of s from the first from to the next to, for
// messages.
func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return s
	}
	part, _, _ := strings.Cut(rest, to)
	return part
}
