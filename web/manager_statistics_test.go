package web

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

var (
	chartBar  = regexp.MustCompile(`<rect [^>]*data-chart="([^"]+)" data-value="(\d+)"`)
	tableCell = regexp.MustCompile(`<td data-chart="([^"]+)" data-value="(\d+)" data-label="[^"]*">(\d+)</td>`)
)

// TestManagerStatisticsChartsMatchTables: every chart's bars are the
// numbers of its table, and the numbers are the journal's.
func TestManagerStatisticsChartsMatchTables(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := e.newJournalFixture()
		resp, body := e.do(f.manager, http.MethodGet, PathManagerStatistics, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("statistics = %d", resp.StatusCode)
		}
		bars, cells := map[string][]string{}, map[string][]string{}
		for _, m := range chartBar.FindAllStringSubmatch(body, -1) {
			bars[m[1]] = append(bars[m[1]], m[2])
		}
		for _, m := range tableCell.FindAllStringSubmatch(body, -1) {
			if m[2] != m[3] {
				t.Errorf("cell shows %s, data %s", m[3], m[2])
			}
			cells[m[1]] = append(cells[m[1]], m[2])
		}
		for _, chart := range []string{"connexions-semaine", "connexions-demarche", "mandats-mois", "connexions-aidant"} {
			if len(bars[chart]) == 0 || !slices.Equal(bars[chart], cells[chart]) {
				t.Errorf("%s: bars %v, table %v", chart, bars[chart], cells[chart])
			}
		}
		// The fixture: 110 logins this week (55 social, 55 logement), by
		// Camille Lefèvre, who created one mandate this month.
		if w := bars["connexions-semaine"]; w[len(w)-1] != "110" || strings.Join(bars["connexions-demarche"], ",") != "55,55" {
			t.Errorf("logins: weeks %v, procedures %v", w, bars["connexions-demarche"])
		}
		if m := bars["mandats-mois"]; strings.Join(m[len(m)-3:], ",") != "1,0,0" {
			t.Errorf("mandates %v", m)
		}
		if !slices.Contains(bars["connexions-aidant"], "110") || !strings.Contains(body, "<title id=\"connexions-semaine-titre\">") ||
			!strings.Contains(body, "<desc id=\"mandats-mois-desc\">") {
			t.Errorf("aidants %v, or the charts lack title or description", bars["connexions-aidant"])
		}
	})
}
