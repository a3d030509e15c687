package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
)

var (
	journalRowID = regexp.MustCompile(`id="acte-(\d+)"`)
	nextPageLink = regexp.MustCompile(`href="(/responsable/journal\?[^"]*avant=[^"]*)"`)
)

// journalFixture is organisation A with a mandate of Jean-Luc D'Arcy, a
// service, and delegated logins in A and in B.
type journalFixture struct {
	managerFixture
	usagerA, usagerB, service string
	manager                   *http.Client
}

func (e *env) newJournalFixture() journalFixture {
	e.t.Helper()
	f := journalFixture{managerFixture: e.newManagerFixture()}
	mandateA := e.createMandate(e.signInAidant(f.aidantA), f.aidantA, "jean-luc-darcy", "social", "logement")
	aidantB := e.addAccount(f.orgB.ID, "aidant")
	_ = aidantB
	e.db.Conn(context.Background()).Raw("SELECT usager_id FROM mandates WHERE id = ?", mandateA).Scan(&f.usagerA)
	f.usagerB = "pseudonyme-de-b"
	f.service = e.newService("social")
	start := e.clock.Now()
	for i := range 110 {
		proc := []string{"social", "logement"}[i%2]
		e.record(audit.Entry{Time: start.Add(time.Duration(i) * time.Hour), Action: audit.ActionDelegatedLoginAuthorised,
			ActorKind: audit.ActorAidant, ActorID: f.aidantA.Account.ID, OrganisationID: f.orgA.ID, UsagerID: f.usagerA,
			MandateID: mandateA, Procedure: proc, ClientID: f.service})
		if i%10 != 0 {
			continue
		}
		e.record(audit.Entry{Time: start.Add(time.Duration(i) * time.Hour), Action: audit.ActionDelegatedLoginAuthorised,
			ActorKind: audit.ActorAidant, ActorID: f.managerB.Account.ID, OrganisationID: f.orgB.ID, UsagerID: f.usagerB,
			Procedure: "social", ClientID: f.service})
	}
	f.manager = e.signInAidant(f.managerA)
	return f
}

// record writes an entry as a domain function would, in its transaction.
func (e *env) record(en audit.Entry) {
	e.t.Helper()
	if err := e.db.InTx(context.Background(), func(ctx context.Context) error { return e.srv.journal.Record(ctx, en) }); err != nil {
		e.t.Fatal(err)
	}
}

// ids lists, newest first, the ids of organisation A's entries matching
// the SQL condition.
func (e *env) ids(orgID, cond string, args ...any) []int64 {
	e.t.Helper()
	var out []int64
	q := "SELECT id FROM audit_entries WHERE organisation_id = ?"
	if cond != "" {
		q += " AND " + cond
	}
	if err := e.db.Conn(context.Background()).Raw(q+" ORDER BY id DESC", append([]any{orgID}, args...)...).Scan(&out).Error; err != nil {
		e.t.Fatal(err)
	}
	return out
}

// journalIDs walks every page of the journal from path and returns the
// ids shown; between pages, before is called (entries arriving).
func (e *env) journalIDs(c *http.Client, path string, between func()) []int64 {
	e.t.Helper()
	var out []int64
	for pages := 0; path != ""; pages++ {
		resp, body := e.do(c, http.MethodGet, path, nil, nil)
		if resp.StatusCode != http.StatusOK || pages > 50 {
			e.t.Fatalf("GET %s = %d (page %d)", path, resp.StatusCode, pages)
		}
		for _, m := range journalRowID.FindAllStringSubmatch(body, -1) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			out = append(out, id)
		}
		path = ""
		if m := nextPageLink.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
		if between != nil {
			between()
		}
	}
	return out
}

func TestManagerJournalPagesWithoutSkipOrRepeat(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newJournalFixture()
		want := e.ids(f.orgA.ID, "")
		if len(want) < 2*50 {
			t.Fatalf("fixture has %d entries", len(want))
		}
		arrived := 0
		got := e.journalIDs(f.manager, PathManagerJournal, func() {
			arrived++
			e.record(audit.Entry{Action: audit.ActionDelegatedLoginAuthorised, ActorKind: audit.ActorAidant, ActorID: f.aidantA.Account.ID,
				OrganisationID: f.orgA.ID, UsagerID: f.usagerA, Procedure: "social"})
		})
		if arrived < 3 {
			t.Fatalf("only %d pages", arrived)
		}
		// Every entry there at the first page is shown once, in order; the
		// ones that arrived later are not (they are above the first page).
		if !slices.Equal(got, want) {
			t.Errorf("pages showed %d ids %v…, want %d %v…", len(got), got[:min(5, len(got))], len(want), want[:5])
		}
	})
}

func TestManagerJournalFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newJournalFixture()
		day := e.clock.Now().In(paris())
		from := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, paris())
		for _, tc := range []struct {
			name    string
			query   url.Values
			cond    string
			args    []any
			atLeast int
		}{
			{"aidant", url.Values{"aidant": {f.aidantA.Account.ID}}, "actor_id = ?", []any{f.aidantA.Account.ID}, 61},
			{"usager by name", url.Values{"nom": {"d'arcy"}}, "usager_id = ?", []any{f.usagerA}, 61},
			{"usager by pseudonym", url.Values{"usager": {f.usagerA}}, "usager_id = ?", []any{f.usagerA}, 61},
			{"procedure", url.Values{"demarche": {"logement"}}, "procedure = ?", []any{"logement"}, 30},
			{"service", url.Values{"service": {f.service}}, "client_id = ?", []any{f.service}, 60},
			{"kind of act", url.Values{"acte": {"mandate.created"}}, "action = ?", []any{"mandate.created"}, 1},
			{"date range", url.Values{"du": {day.AddDate(0, 0, 1).Format("2006-01-02")}, "au": {day.AddDate(0, 0, 1).Format("02/01/2006")}},
				"occurred_at >= ? AND occurred_at < ?", []any{from.UTC(), from.AddDate(0, 0, 1).UTC()}, 20},
			{"combined", url.Values{"aidant": {f.aidantA.Account.ID}, "demarche": {"social"}, "acte": {"delegated_login.authorised"}, "nom": {"jean luc"}},
				"actor_id = ? AND procedure = ? AND action = ? AND usager_id = ?", []any{f.aidantA.Account.ID, "social", "delegated_login.authorised", f.usagerA}, 30},
			{"name of nobody", url.Values{"nom": {"personne de ce nom"}}, "1 = 0", nil, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want := e.ids(f.orgA.ID, tc.cond, tc.args...)
				if len(want) < tc.atLeast {
					t.Fatalf("fixture: %d entries, want at least %d", len(want), tc.atLeast)
				}
				got := e.journalIDs(f.manager, PathManagerJournal+"?"+tc.query.Encode(), nil)
				if !slices.Equal(got, want) {
					t.Errorf("showed %d ids, want %d", len(got), len(want))
				}
			})
		}
		// The rows say who, what, for whom, where, when.
		_, body := e.do(f.manager, http.MethodGet, PathManagerJournal+"?acte=delegated_login.authorised", nil, nil)
		for _, s := range []string{"Connexion pour le compte d&#39;un usager", "Jean-Luc D&#39;Arcy", "Camille Lefèvre", "Caisse démo",
			"Social - Santé", " à ", "Voir le mandat", PathManagerAidant(f.aidantA.Account.ID)} {
			if !strings.Contains(body, s) {
				t.Errorf("journal page lacks %q", s)
			}
		}
		_, body = e.do(f.manager, http.MethodGet, PathManagerJournal+"?"+url.Values{"usager": {f.usagerA}}.Encode(), nil, nil)
		if !strings.Contains(body, "Actes pour <strong>Jean-Luc D&#39;Arcy</strong>") {
			t.Error("the usager of the filter is not named")
		}
		if strings.Contains(body, f.usagerB) {
			t.Error("journal page shows organisation B's acts")
		}
	})
}

func TestManagerJournalBadFilters(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	f := e.newJournalFixture()
	for _, q := range []string{"aidant=x", "aidant=%27%3B--", "du=2026-13-01", "au=hier", "du=2026-03-05&au=2026-03-01", "demarche=banque",
		"acte=drop", "service=inconnu", "avant=-3", "avant=abc", "usager=a%20b", "nom=" + strings.Repeat("a", 101)} {
		for _, path := range []string{PathManagerJournal, PathManagerJournalExport} {
			resp, body := e.do(f.manager, http.MethodGet, path+"?"+q, nil, nil)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `fr-alert--error`) || !strings.Contains(body, "Journal des actes") {
				t.Errorf("GET %s?%s = %d", path, q, resp.StatusCode)
			}
		}
	}
	var exports int64
	e.db.Conn(context.Background()).Raw("SELECT COUNT(*) FROM audit_entries WHERE action = ?", audit.ActionJournalExported).Scan(&exports)
	if exports != 0 {
		t.Errorf("%d refused exports were recorded", exports)
	}
}

func TestManagerJournalCrossOrganisationFilter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newJournalFixture()
		for _, q := range []url.Values{{"aidant": {f.managerB.Account.ID}}, {"usager": {e.usagerOf(f.orgB.ID)}}} {
			before := e.crossAttempts(f.managerA.Account.ID)
			resp, body := e.do(f.manager, http.MethodGet, PathManagerJournal+"?"+q.Encode(), nil, nil)
			if resp.StatusCode != http.StatusOK || journalRowID.MatchString(body) {
				t.Errorf("%v: %d, rows shown", q, resp.StatusCode)
			}
			if n := e.crossAttempts(f.managerA.Account.ID) - before; n != 1 {
				t.Errorf("%v: %d cross-organisation entries, want 1", q, n)
			}
		}
		// A forged id that exists nowhere: nothing, and nothing to record.
		before := e.crossAttempts(f.managerA.Account.ID)
		e.do(f.manager, http.MethodGet, PathManagerJournal+"?aidant=00000000-0000-4000-8000-000000000000", nil, nil)
		if n := e.crossAttempts(f.managerA.Account.ID) - before; n != 0 {
			t.Errorf("unknown aidant: %d cross-organisation entries", n)
		}
	})
}

// usagerOf gives organisation orgID a mandate (of Élodie Lefèvre) and
// returns its usager's pseudonym.
func (e *env) usagerOf(orgID string) string {
	e.t.Helper()
	aidant := e.addAccount(orgID, "aidant")
	until := e.clock.Now().AddDate(1, 0, 0)
	if err := e.db.Conn(context.Background()).Exec("UPDATE accounts SET habilitated_until = ? WHERE id = ?", until, aidant.Account.ID).Error; err != nil {
		e.t.Fatal(err)
	}
	id := e.createMandate(e.signInAidant(aidant), aidant, "elodie-lefevre", "social")
	var u string
	e.db.Conn(context.Background()).Raw("SELECT usager_id FROM mandates WHERE id = ?", id).Scan(&u)
	return u
}

func TestManagerJournalExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newJournalFixture()
		for _, q := range []url.Values{{}, {"demarche": {"social"}, "nom": {"darcy"}}} {
			shown := e.journalIDs(f.manager, withQuery(PathManagerJournal, q), nil)
			resp, body := e.do(f.manager, http.MethodGet, withQuery(PathManagerJournalExport, q), nil, nil)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("export %v = %d %s", q, resp.StatusCode, resp.Header)
			}
			if !strings.HasPrefix(body, "\ufeff") {
				t.Fatal("no byte order mark")
			}
			r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
			r.Comma = ';'
			records, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if records[0][0] != "identifiant" || len(records[0]) != 18 {
				t.Fatalf("header %v", records[0])
			}
			// The export is recorded before its rows: the newest row is
			// the export itself when no filter excludes it.
			rows := records[1:]
			if len(q) == 0 {
				if rows[0][2] != string(audit.ActionJournalExported) {
					t.Errorf("first row %v, want the export itself", rows[0])
				}
				rows = rows[1:]
			}
			var got []int64
			for _, rec := range rows {
				id, _ := strconv.ParseInt(rec[0], 10, 64)
				got = append(got, id)
			}
			if !slices.Equal(got, shown) {
				t.Errorf("export %v: %d rows, journal %d", q, len(got), len(shown))
			}
			if len(q) > 0 {
				for _, rec := range rows {
					if rec[7] != f.usagerA || rec[8] != "Jean-Luc D'Arcy" || rec[9] != "social" || rec[10] != "Social - Santé" {
						t.Fatalf("row %v", rec)
					}
				}
			}
		}
		var details []string
		e.db.Conn(context.Background()).Raw("SELECT details FROM audit_entries WHERE action = ? AND actor_id = ? ORDER BY id",
			audit.ActionJournalExported, f.managerA.Account.ID).Scan(&details)
		if len(details) != 2 || !strings.Contains(details[1], "social") || strings.Contains(details[1], "darcy") {
			t.Errorf("export entries %v", details)
		}
	})
}

func TestManagerAct(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	f := e.newJournalFixture()
	var id string
	e.db.Conn(context.Background()).Raw("SELECT CAST(MAX(id) AS TEXT) FROM audit_entries WHERE organisation_id = ? AND action = ?",
		f.orgA.ID, audit.ActionDelegatedLoginAuthorised).Scan(&id)
	resp, body := e.do(f.manager, http.MethodGet, PathManagerAct(id), nil, nil)
	for _, s := range []string{"Acte n° " + id, "Connexion pour le compte d&#39;un usager (delegated_login.authorised)", "Camille Lefèvre",
		"Jean-Luc D&#39;Arcy", f.usagerA, "Caisse démo", "Logement"} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, s) {
			t.Errorf("act page = %d, lacks %q", resp.StatusCode, s)
		}
	}
	if !strings.Contains(e.do2(f.manager, PathManagerJournal), `href="/responsable/journal/`+id+`"`) {
		t.Error("the journal does not link to the act")
	}
	for _, bad := range []string{"abc", "-1", "0", "99999999999999999999", "999999"} {
		if resp, _ := e.do(f.manager, http.MethodGet, PathManagerAct(bad), nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("act %s = %d, want 404", bad, resp.StatusCode)
		}
	}
}

func (e *env) do2(c *http.Client, path string) string {
	e.t.Helper()
	_, body := e.do(c, http.MethodGet, path, nil, nil)
	return body
}
