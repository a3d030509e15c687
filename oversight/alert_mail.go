package oversight

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"procura/mandate"
	"procura/outbox"
)

// DashboardPath is the manager's dashboard, where the digest sends them.
const DashboardPath = "/responsable"

// digestPage is what a digest says: the kinds and days of the new alerts,
// never a person's name (an email leaves Procura; the names are on the
// dashboard, behind the manager's sign-in).
type digestPage struct {
	Name, Organisation, DashboardURL string
	Alerts                           []string
}

const digestIntro = `Procura a relevé {{len .Alerts}} nouvelle(s) alerte(s) dans les actes de {{.Organisation}} :`

const digestOutro = `Les détails (qui, pour qui, quand) sont sur le tableau de bord de l'espace responsable, où vous pouvez marquer chaque alerte comme prise en compte.`

var (
	digestTextTemplate = texttemplate.Must(texttemplate.New("text").Parse(`Bonjour {{.Name}},

` + digestIntro + `
{{range .Alerts}}
- {{.}}{{end}}

` + digestOutro + `
{{.DashboardURL}}

Vous recevez ce courriel parce que vous êtes responsable de cette structure dans Procura. Il est envoyé automatiquement : merci de ne pas y répondre.
`))
	digestHTMLTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Nouvelles alertes</title></head>
<body style="font-family: Arial, sans-serif; color: #161616; max-width: 40em;">
<p>Bonjour {{.Name}},</p>
<p>` + digestIntro + `</p>
<ul>{{range .Alerts}}
<li>{{.}}</li>{{end}}
</ul>
<p>` + digestOutro + ` <a href="{{.DashboardURL}}">Ouvrir le tableau de bord</a>.</p>
<p style="color: #666;">Vous recevez ce courriel parce que vous êtes responsable de cette structure dans Procura. Il est envoyé automatiquement : merci de ne pas y répondre.</p>
</body></html>
`))
)

// digest writes, in the transaction of the alerts, one message to each
// active manager of org listing the alerts raised. It returns how many.
func (w *Watch) digest(ctx context.Context, org string, raised []Alert) (int, error) {
	o, err := w.staff.Organisation(ctx, org)
	if err != nil {
		return 0, fmt.Errorf("organisation: %w", err)
	}
	managers, err := w.staff.ActiveManagers(ctx, org)
	if err != nil {
		return 0, err
	}
	sent := 0
	page := digestPage{Organisation: oneLine(o.Name), DashboardURL: strings.TrimRight(w.baseURL, "/") + DashboardPath}
	for _, a := range raised {
		page.Alerts = append(page.Alerts, KindLabel(a.Kind)+" : "+w.periodText(a))
	}
	for _, m := range managers {
		page.Name = oneLine(m.Name())
		var text, html bytes.Buffer
		if err := digestTextTemplate.Execute(&text, page); err != nil {
			return 0, err
		}
		if err := digestHTMLTemplate.Execute(&html, page); err != nil {
			return 0, err
		}
		// One digest per organisation, run and manager: the run's first
		// alert names it.
		key := fmt.Sprintf("manager-alerts:%s:%d:%s", org, raised[0].ID, m.ID)
		_, err = w.outbox.Enqueue(ctx, outbox.Message{Key: key, Kind: "manager_alerts", To: m.Email, ToName: page.Name,
			Subject: fmt.Sprintf("Procura : %d nouvelle(s) alerte(s) pour %s", len(raised), page.Organisation),
			Text:    text.String(), HTML: html.String()})
		if errors.Is(err, outbox.ErrInvalid) {
			continue // an address the outbox refuses must not stop the alerts
		}
		if err != nil {
			return 0, err
		}
		sent++
	}
	return sent, nil
}

// periodText says an alert's period in French, for the digest.
func (w *Watch) periodText(a Alert) string {
	day, err := time.ParseInLocation(periodLayout, a.Period, w.paris)
	if err != nil {
		return a.Period
	}
	date := mandate.FrenchDate(day, w.paris)
	switch a.Kind {
	case KindHabilitationEnding:
		return "fin le " + date
	case KindMandatesExpiring:
		return a.Details[alertDetailsCount] + " mandat(s), semaine du " + date
	}
	return "le " + date
}

// oneLine keeps a name on one line: the outbox refuses CR and LF in a
// subject or a name.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
