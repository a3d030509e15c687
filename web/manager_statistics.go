package web

import (
	"net/http"
	"strings"

	"procura/oversight"
	"procura/templates"
)

// handleManagerStatistics shows the organisation's figures as charts and
// tables.
func (s *Server) handleManagerStatistics(w http.ResponseWriter, r *http.Request) {
	mc, ok := s.loadManager(w, r)
	if !ok {
		return
	}
	st, err := s.oversight.Statistics(r.Context(), mc.m)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, &templates.ManagerStatisticsPage{Layout: templates.Layout{Title: "Statistiques"},
		Nav: s.nav(mc, "statistiques"), Sections: statisticsSections(st)})
}

// statisticsSections lays out the figures: each chart's bars are cells of
// the table under it (data-chart), so both show the same numbers.
func statisticsSections(st oversight.Statistics) []templates.StatSection {
	// Delegated logins: per week (totals) and per procedure (over the weeks).
	var weekLabels, weekTitles []string
	var weekValues [][]int64
	logins := templates.StatTable{Caption: "Connexions pour le compte d'usagers, par semaine et par démarche", Headers: []string{"Semaine"}}
	for _, p := range st.Procedures {
		logins.Headers = append(logins.Headers, p.Label)
	}
	logins.Headers = append(logins.Headers, "Total")
	totals := make([]int64, len(st.Procedures))
	for _, w := range st.Weeks {
		// Under the axis, a short numeric day ("02/03"): the bars' titles
		// and the table say it in words.
		weekLabels, weekTitles = append(weekLabels, w.Start.Format("02/01")), append(weekTitles, w.Label)
		weekValues = append(weekValues, []int64{w.Total})
		row := templates.StatRow{Label: w.Label}
		for i, p := range st.Procedures {
			row.Cells = append(row.Cells, templates.StatCell{Value: w.ByProcedure[p.Value]})
			totals[i] += w.ByProcedure[p.Value]
		}
		row.Cells = append(row.Cells, templates.StatCell{Value: w.Total, Chart: "connexions-semaine"})
		logins.Rows = append(logins.Rows, row)
	}
	var procLabels, procTitles []string
	var procValues [][]int64
	total := templates.StatRow{Label: "Total"}
	var all int64
	for i, p := range st.Procedures {
		short, _, _ := strings.Cut(p.Label, " - ") // "Papiers", "Social"…
		procLabels, procTitles = append(procLabels, short), append(procTitles, p.Label)
		procValues = append(procValues, []int64{totals[i]})
		total.Cells = append(total.Cells, templates.StatCell{Value: totals[i], Chart: "connexions-demarche"})
		all += totals[i]
	}
	total.Cells = append(total.Cells, templates.StatCell{Value: all})
	logins.Rows = append(logins.Rows, total)
	loginCharts := []templates.BarChart{templates.NewBarChart("connexions-semaine", "Connexions pour le compte d'usagers par semaine",
		"Nombre de connexions autorisées chaque semaine, sur les 12 dernières semaines, la semaine en cours à droite.",
		weekLabels, weekTitles, []string{"Connexions"}, weekValues)}
	if len(procValues) > 0 {
		loginCharts = append(loginCharts, templates.NewBarChart("connexions-demarche", "Connexions pour le compte d'usagers par démarche",
			"Nombre de connexions autorisées par démarche sur les 12 dernières semaines.", procLabels, procTitles, []string{"Connexions"}, procValues))
	}

	// Mandates per month.
	series := []string{"Créés", "Révoqués", "Arrivés à échéance"}
	mandates := templates.StatTable{Caption: "Mandats par mois", Headers: append([]string{"Mois"}, series...)}
	var monthLabels, monthTitles []string
	var monthValues [][]int64
	for _, m := range st.Months {
		monthLabels, monthTitles = append(monthLabels, m.Start.Format("01/2006")), append(monthTitles, m.Label)
		monthValues = append(monthValues, []int64{m.Created, m.Revoked, m.Expired})
		mandates.Rows = append(mandates.Rows, templates.StatRow{Label: m.Label, Cells: []templates.StatCell{
			{Value: m.Created, Chart: "mandats-mois"}, {Value: m.Revoked, Chart: "mandats-mois"}, {Value: m.Expired, Chart: "mandats-mois"}}})
	}
	mandateChart := templates.NewBarChart("mandats-mois", "Mandats créés, révoqués et arrivés à échéance par mois",
		"Pour chacun des 12 derniers mois, le mois en cours à droite : mandats créés, révoqués, arrivés à échéance.",
		monthLabels, monthTitles, series, monthValues)

	// Per aidant.
	aidants := templates.StatTable{Caption: "Actes par aidant sur les 12 derniers mois",
		Headers: []string{"Aidant", "Connexions pour le compte d'usagers", "Mandats créés", "Mandats révoqués"}}
	var aidantLabels []string
	var aidantValues [][]int64
	for _, a := range st.Aidants {
		aidantLabels, aidantValues = append(aidantLabels, a.Name), append(aidantValues, []int64{a.Logins})
		aidants.Rows = append(aidants.Rows, templates.StatRow{Label: a.Name, Cells: []templates.StatCell{
			{Value: a.Logins, Chart: "connexions-aidant"}, {Value: a.Created}, {Value: a.Revoked}}})
	}
	var aidantCharts []templates.BarChart
	if len(aidantValues) > 0 {
		aidantCharts = append(aidantCharts, templates.NewBarChart("connexions-aidant", "Connexions pour le compte d'usagers par aidant",
			"Nombre de connexions autorisées par aidant sur les 12 derniers mois.", aidantLabels, aidantLabels, []string{"Connexions"}, aidantValues))
	}
	return []templates.StatSection{
		{Heading: "Connexions pour le compte d'usagers", Charts: loginCharts, Table: logins},
		{Heading: "Mandats", Charts: []templates.BarChart{mandateChart}, Table: mandates},
		{Heading: "Par aidant", Charts: aidantCharts, Table: aidants},
	}
}
