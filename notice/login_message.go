package notice

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"procura/mandate"
	"procura/outbox"
	"procura/procedure"
	"procura/usager"
)

// loginAct is one line of a login notice.
type loginAct struct {
	When, Service, Procedure, Organisation string
}

type loginPage struct {
	Name      string
	Acts      []loginAct
	SpaceURL  string
	EveryText string
}

const loginText = `Bonjour {{.Name}},

{{if eq (len .Acts) 1}}Un aidant s'est connecté en votre nom à un service en ligne, sous le mandat que vous avez donné :{{else}}Des aidants se sont connectés en votre nom à des services en ligne, sous les mandats que vous avez donnés :{{end}}
{{range .Acts}}
- le {{.When}} : {{.Service}}, démarche « {{.Procedure}} », par un aidant de {{.Organisation}}{{end}}

Vous recevez ce courriel parce que vous avez demandé, en signant votre mandat, à être prévenu(e) par courriel de chaque connexion faite en votre nom. Procura vous écrit au plus une fois {{.EveryText}} et liste alors toutes les connexions faites depuis son dernier courriel.

Si vous ne reconnaissez pas l'une de ces connexions, vous pouvez voir tous les actes faits en votre nom et révoquer votre mandat dans votre espace usager, après vous être identifié(e) avec FranceConnect :
{{.SpaceURL}}

Ce courriel est envoyé automatiquement : merci de ne pas y répondre.
`

var (
	loginTextTemplate = texttemplate.Must(texttemplate.New("text").Parse(loginText))
	loginHTMLTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Connexions faites en votre nom</title></head>
<body style="font-family: Arial, sans-serif; color: #161616; max-width: 40em;">
<p>Bonjour {{.Name}},</p>
<p>{{if eq (len .Acts) 1}}Un aidant s'est connecté en votre nom à un service en ligne, sous le mandat que vous avez donné :{{else}}Des aidants se sont connectés en votre nom à des services en ligne, sous les mandats que vous avez donnés :{{end}}</p>
<ul>{{range .Acts}}
<li>le {{.When}} : <strong>{{.Service}}</strong>, démarche « {{.Procedure}} », par un aidant de {{.Organisation}}</li>{{end}}
</ul>
<p>Vous recevez ce courriel parce que vous avez demandé, en signant votre mandat, à être prévenu(e) par courriel de chaque connexion faite en votre nom. Procura vous écrit au plus une fois {{.EveryText}} et liste alors toutes les connexions faites depuis son dernier courriel.</p>
<p>Si vous ne reconnaissez pas l'une de ces connexions, vous pouvez voir tous les actes faits en votre nom et révoquer votre mandat dans <a href="{{.SpaceURL}}">votre espace usager</a>, après vous être identifié(e) avec FranceConnect.</p>
<p style="color: #666;">Ce courriel est envoyé automatiquement : merci de ne pas y répondre.</p>
</body></html>
`))
)

// UsagerSpacePath is the usager space, where every act is listed and a
// mandate revoked (web.PathUsagerSpace; notice does not import web).
const UsagerSpacePath = "/usager/espace"

// loginMessage is the notice listing pending logins to u.
func (n *Notices) loginMessage(ctx context.Context, u usager.Usager, pending []noticeRow) (outbox.Message, error) {
	paris, err := mandate.Paris()
	if err != nil {
		return outbox.Message{}, err
	}
	orgNames := map[string]string{}
	page := loginPage{Name: oneLine(u.Name()), SpaceURL: n.baseURL + UsagerSpacePath, EveryText: "par heure"}
	for _, p := range pending {
		name, ok := orgNames[p.OrganisationID]
		if !ok {
			org, err := n.directory.Organisation(ctx, p.OrganisationID)
			if err != nil {
				return outbox.Message{}, fmt.Errorf("notice: organisation: %w", err)
			}
			name = org.Name
			orgNames[p.OrganisationID] = name
		}
		label := p.Procedure
		if proc, ok := procedure.ByID(p.Procedure); ok {
			label = proc.Label
		}
		page.Acts = append(page.Acts, loginAct{When: mandate.FrenchDateTime(p.OccurredAt, paris), Service: oneLine(p.Service),
			Procedure: label, Organisation: oneLine(name)})
	}
	var text, html bytes.Buffer
	if err := loginTextTemplate.Execute(&text, page); err != nil {
		return outbox.Message{}, err
	}
	if err := loginHTMLTemplate.Execute(&html, page); err != nil {
		return outbox.Message{}, err
	}
	subject := "Procura : une connexion a été faite en votre nom"
	if len(pending) > 1 {
		subject = fmt.Sprintf("Procura : %d connexions ont été faites en votre nom", len(pending))
	}
	return outbox.Message{Kind: "usager_logins", To: u.Email, ToName: page.Name, Subject: subject,
		Text: text.String(), HTML: html.String()}, nil
}

// oneLine keeps a name on one line: names come from FranceConnect and
// from operators, and end up in a header or a list item.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
