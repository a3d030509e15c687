package notice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"procura/mandate"
	"procura/outbox"
	"procura/procedure"
	"procura/usager"
)

// mandatePage is what a mandate message says.
type mandatePage struct {
	Name, Organisation, Signed, Expires, At, SpaceURL string
	Change                                            mandate.Change
	Procedures                                        []string
}

const mandateIntro = `{{if eq .Change "created"}}Vous avez donné le {{.Signed}} un mandat à {{.Organisation}}. Jusqu'au {{.Expires}}, ses aidants habilités peuvent se connecter en votre nom à des services en ligne, pour ces démarches seulement :` +
	`{{else if eq .Change "renewed"}}Votre mandat donné à {{.Organisation}} a été renouvelé le {{.Signed}}. Jusqu'au {{.Expires}}, ses aidants habilités peuvent se connecter en votre nom à des services en ligne, pour ces démarches seulement :` +
	`{{else if eq .Change "revoked"}}Votre mandat donné à {{.Organisation}} a été révoqué le {{.At}}. Ses aidants ne peuvent plus se connecter en votre nom pour ces démarches :` +
	`{{else}}Une démarche de votre mandat donné à {{.Organisation}} a été révoquée le {{.At}}. Ses aidants ne peuvent plus se connecter en votre nom pour :{{end}}`

const mandateWhy = `Vous recevez ce courriel parce que vous avez demandé, en signant ce mandat, à être prévenu(e) par courriel des connexions faites en votre nom ; Procura vous prévient aussi de la création, du renouvellement et de la révocation de ce mandat.`

var (
	mandateTextTemplate = texttemplate.Must(texttemplate.New("text").Parse(`Bonjour {{.Name}},

` + mandateIntro + `
{{range .Procedures}}
- {{.}}{{end}}

` + mandateWhy + `

Si vous n'êtes pas à l'origine de ce changement, ou pour voir vos mandats et tous les actes faits en votre nom, rendez-vous dans votre espace usager, après vous être identifié(e) avec FranceConnect :
{{.SpaceURL}}

Ce courriel est envoyé automatiquement : merci de ne pas y répondre.
`))
	mandateHTMLTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Votre mandat</title></head>
<body style="font-family: Arial, sans-serif; color: #161616; max-width: 40em;">
<p>Bonjour {{.Name}},</p>
<p>` + mandateIntro + `</p>
<ul>{{range .Procedures}}
<li>{{.}}</li>{{end}}
</ul>
<p>` + mandateWhy + `</p>
<p>Si vous n'êtes pas à l'origine de ce changement, ou pour voir vos mandats et tous les actes faits en votre nom, rendez-vous dans <a href="{{.SpaceURL}}">votre espace usager</a>, après vous être identifié(e) avec FranceConnect.</p>
<p style="color: #666;">Ce courriel est envoyé automatiquement : merci de ne pas y répondre.</p>
</body></html>
`))
)

var mandateSubjects = map[mandate.Change]string{
	mandate.ChangeCreated:           "Procura : vous avez donné un mandat à %s",
	mandate.ChangeRenewed:           "Procura : votre mandat donné à %s est renouvelé",
	mandate.ChangeRevoked:           "Procura : votre mandat donné à %s est révoqué",
	mandate.ChangePermissionRevoked: "Procura : une démarche de votre mandat donné à %s est révoquée",
}

// MandateChanged writes the message telling the usager of change to m, in
// the change's transaction (mandate.Notifier). Unlike login notices it is
// not batched: such changes are few, and each matters on its own.
func (n *Notices) MandateChanged(ctx context.Context, change mandate.Change, m mandate.Mandate, procedures []string) error {
	subject, ok := mandateSubjects[change]
	if !ok {
		return fmt.Errorf("notice: unknown mandate change %q", change)
	}
	u, err := n.usagers.Get(ctx, m.UsagerID)
	if errors.Is(err, usager.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.ErasedAt != nil || u.Email == "" {
		return nil
	}
	org, err := n.directory.Organisation(ctx, m.OrganisationID)
	if err != nil {
		return fmt.Errorf("notice: organisation: %w", err)
	}
	paris, err := mandate.Paris()
	if err != nil {
		return err
	}
	page := mandatePage{Name: oneLine(u.Name()), Organisation: oneLine(org.Name), Change: change, SpaceURL: n.baseURL + UsagerSpacePath,
		Signed: mandate.FrenchDate(m.SignedAt, paris), Expires: mandate.FrenchDateTime(m.ExpiresAt, paris),
		At: mandate.FrenchDateTime(n.now(), paris)}
	for _, id := range procedures {
		label := id
		if p, ok := procedure.ByID(id); ok {
			label = p.Label
		}
		page.Procedures = append(page.Procedures, label)
	}
	var text, html bytes.Buffer
	if err := mandateTextTemplate.Execute(&text, page); err != nil {
		return err
	}
	if err := mandateHTMLTemplate.Execute(&html, page); err != nil {
		return err
	}
	key := "mandate-" + string(change) + ":" + m.ID
	if change == mandate.ChangePermissionRevoked {
		key += ":" + strings.Join(procedures, ",")
	}
	_, err = n.outbox.Enqueue(ctx, outbox.Message{Key: key, Kind: "mandate_" + string(change), To: u.Email, ToName: page.Name,
		Subject: fmt.Sprintf(subject, page.Organisation), Text: text.String(), HTML: html.String()})
	if errors.Is(err, outbox.ErrInvalid) {
		// An address the outbox refuses must not stop the change itself.
		return nil
	}
	return err
}

var _ mandate.Notifier = (*Notices)(nil)
