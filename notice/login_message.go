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
	footer
}

const loginText = `Bonjour {{.Name}},

{{if eq (len .Acts) 1}}Un aidant s'est connecté en votre nom à un service en ligne, sous le mandat que vous avez donné :{{else}}Des aidants se sont connectés en votre nom à des services en ligne, sous les mandats que vous avez donnés :{{end}}
{{range .Acts}}
- le {{.When}} : {{.Service}}, démarche « {{.Procedure}} », par un aidant de {{.Organisation}}{{end}}

Vous recevez ce courriel parce que vous avez demandé, en signant votre mandat, à être prévenu(e) par courriel de chaque connexion faite en votre nom. Procura vous écrit au plus une fois {{.EveryText}} et liste alors toutes les connexions faites depuis son dernier courriel.

Vous pouvez voir tous les actes faits en votre nom et révoquer votre mandat dans votre espace usager, après vous être identifié(e) avec FranceConnect :
{{.SpaceURL}}
` + footerText

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
<p>Vous pouvez voir tous les actes faits en votre nom et révoquer votre mandat dans <a href="{{.SpaceURL}}">votre espace usager</a>, après vous être identifié(e) avec FranceConnect.</p>
` + footerHTML + `</body></html>
`))
)

// UsagerSpacePath is the usager space, where every act is listed and a
// mandate revoked (web.PathUsagerSpace; notice does not import web).
const UsagerSpacePath = "/usager/espace"

// loginMessage is the notice listing pending logins to u, at to.
func (n *Notices) loginMessage(ctx context.Context, u usager.Usager, to string, pending []noticeRow) (outbox.Message, error) {
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
	notMe, err := n.loginLinks(ctx, u.ID, pending, orgNames)
	if err != nil {
		return outbox.Message{}, err
	}
	page.footer = n.footer(u.ID, notMe)
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
	return outbox.Message{Kind: "usager_logins", To: to, ToName: page.Name, Subject: subject,
		Text: text.String(), HTML: html.String(), UsagerID: u.ID, Unsubscribe: page.Unsubscribe}, nil
}

// loginLinks are the "Ce n'était pas moi" links of the mandates the
// pending logins were made under and that are not revoked yet, once each:
// a login was made under the permission of its organisation and procedure
// current at that time.
func (n *Notices) loginLinks(ctx context.Context, usagerID string, pending []noticeRow, orgNames map[string]string) ([]notMeLink, error) {
	if n.mandates == nil {
		return nil, nil
	}
	ms, err := n.mandates.MandatesOfUsager(ctx, usagerID)
	if err != nil {
		return nil, err
	}
	var links []notMeLink
	seen := map[string]bool{}
	for _, p := range pending {
		for _, m := range ms {
			if m.OrganisationID != p.OrganisationID || m.RevokedAt != nil || seen[m.ID] || !madeUnder(m, p) {
				continue
			}
			seen[m.ID] = true
			links = append(links, notMeLink{URL: n.links.NotMe(m.ID), Organisation: oneLine(orgNames[m.OrganisationID])})
		}
	}
	if len(links) == 1 {
		links[0].Organisation = ""
	}
	return links, nil
}

// madeUnder reports whether the login p could be made under m: one of its
// permissions is for p's procedure and was current when p happened.
func madeUnder(m mandate.Mandate, p noticeRow) bool {
	for _, perm := range m.Permissions {
		if perm.Procedure == p.Procedure && !p.OccurredAt.Before(m.SignedAt) && p.OccurredAt.Before(perm.ExpiresAt) &&
			(perm.EndedAt == nil || p.OccurredAt.Before(*perm.EndedAt)) {
			return true
		}
	}
	return false
}

// oneLine keeps a name on one line: names come from FranceConnect and
// from operators, and end up in a header or a list item.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
