package notice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"math"
	"strconv"
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
	// Days is how many days are left, for a reminder of the expiry.
	Days       int
	Change     mandate.Change
	Procedures []string
	footer
}

const mandateIntro = `{{if eq .Change "created"}}Vous avez donné le {{.Signed}} un mandat à {{.Organisation}}. Jusqu'au {{.Expires}}, ses aidants habilités peuvent se connecter en votre nom à des services en ligne, pour ces démarches seulement :` +
	`{{else if eq .Change "renewed"}}Votre mandat donné à {{.Organisation}} a été renouvelé le {{.Signed}}. Jusqu'au {{.Expires}}, ses aidants habilités peuvent se connecter en votre nom à des services en ligne, pour ces démarches seulement :` +
	`{{else if eq .Change "revoked"}}Votre mandat donné à {{.Organisation}} a été révoqué le {{.At}}. Ses aidants ne peuvent plus se connecter en votre nom pour ces démarches :` +
	`{{else if eq .Change "expiring"}}Votre mandat donné à {{.Organisation}} prend fin le {{.Expires}}, dans {{.Days}} jour{{if gt .Days 1}}s{{end}}. Ensuite, ses aidants ne pourront plus se connecter en votre nom. Pour le prolonger, adressez-vous à {{.Organisation}} : un aidant peut le renouveler avec vous. Il concerne ces démarches :` +
	`{{else if eq .Change "suspended"}}Vous avez suspendu le {{.At}} votre mandat donné à {{.Organisation}} (« Ce n'était pas moi ») : il est révoqué, les connexions en cours ont cessé et la structure en a été avertie. Ses aidants ne peuvent plus se connecter en votre nom pour ces démarches :` +
	`{{else}}Une démarche de votre mandat donné à {{.Organisation}} a été révoquée le {{.At}}. Ses aidants ne peuvent plus se connecter en votre nom pour :{{end}}`

const mandateWhy = `Vous recevez ce courriel parce que vous avez demandé, en signant ce mandat, à être prévenu(e) par courriel des connexions faites en votre nom ; Procura vous prévient aussi de la création, du renouvellement, de la révocation et de la prochaine échéance de ce mandat.`

var (
	mandateTextTemplate = texttemplate.Must(texttemplate.New("text").Parse(`Bonjour {{.Name}},

` + mandateIntro + `
{{range .Procedures}}
- {{.}}{{end}}

` + mandateWhy + `

Pour voir vos mandats et tous les actes faits en votre nom, rendez-vous dans votre espace usager, après vous être identifié(e) avec FranceConnect :
{{.SpaceURL}}
` + footerText))
	mandateHTMLTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Votre mandat</title></head>
<body style="font-family: Arial, sans-serif; color: #161616; max-width: 40em;">
<p>Bonjour {{.Name}},</p>
<p>` + mandateIntro + `</p>
<ul>{{range .Procedures}}
<li>{{.}}</li>{{end}}
</ul>
<p>` + mandateWhy + `</p>
<p>Pour voir vos mandats et tous les actes faits en votre nom, rendez-vous dans <a href="{{.SpaceURL}}">votre espace usager</a>, après vous être identifié(e) avec FranceConnect.</p>
` + footerHTML + `</body></html>
`))
)

var mandateSubjects = map[mandate.Change]string{
	mandate.ChangeCreated:           "Procura : vous avez donné un mandat à %s",
	mandate.ChangeRenewed:           "Procura : votre mandat donné à %s est renouvelé",
	mandate.ChangeRevoked:           "Procura : votre mandat donné à %s est révoqué",
	mandate.ChangeSuspended:         "Procura : vous avez suspendu votre mandat donné à %s",
	mandate.ChangeExpiring:          "Procura : votre mandat donné à %s prend bientôt fin",
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
	u, to, ok, err := n.usagerRecipient(ctx, m.UsagerID)
	if err != nil || !ok {
		return err
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
		At: mandate.FrenchDateTime(n.now(), paris), Procedures: procedureLabels(procedures)}
	page.footer = n.footer(u.ID, mandateLinks(n, change, m))
	key := "mandate-" + string(change) + ":" + m.ID
	switch change {
	case mandate.ChangePermissionRevoked:
		key += ":" + strings.Join(procedures, ",")
	case mandate.ChangeExpiring:
		page.Days = int(math.Ceil(m.ExpiresAt.Sub(n.now()).Hours() / 24))
		key += ":" + strconv.Itoa(reminderThreshold(page.Days))
	}
	return n.enqueueToUsager(ctx, u.ID, to, page.Name, key, "mandate_"+string(change), fmt.Sprintf(subject, page.Organisation),
		mandateTextTemplate, mandateHTMLTemplate, page)
}

// reminderThreshold is the reminder (mandate.ReminderLate or
// ReminderEarly) due with days left.
func reminderThreshold(days int) int {
	if days <= mandate.ReminderLate {
		return mandate.ReminderLate
	}
	return mandate.ReminderEarly
}

// mandateLinks is the "Ce n'était pas moi" link of a message about m, while
// m can still be suspended.
func mandateLinks(n *Notices, change mandate.Change, m mandate.Mandate) []notMeLink {
	if change == mandate.ChangeRevoked || change == mandate.ChangeSuspended || m.RevokedAt != nil {
		return nil
	}
	return []notMeLink{{URL: n.links.NotMe(m.ID)}}
}

// usagerRecipient is the usager usagerID and where to write to them; ok is
// false when Procura does not write to them (unknown or erased usager, no
// address, an address refused for good, messages stopped).
func (n *Notices) usagerRecipient(ctx context.Context, usagerID string) (u usager.Usager, to string, ok bool, err error) {
	u, err = n.usagers.Get(ctx, usagerID)
	if errors.Is(err, usager.ErrNotFound) {
		return u, "", false, nil
	}
	if err != nil {
		return u, "", false, err
	}
	to, ok, err = n.recipient(ctx, u)
	return u, to, ok, err
}

// enqueueToUsager renders page with text and html and writes the message
// to the usager in ctx's transaction. An address the outbox refuses does
// not stop the act that caused the message.
func (n *Notices) enqueueToUsager(ctx context.Context, usagerID, to, name, key, kind, subject string,
	text *texttemplate.Template, html *htmltemplate.Template, page any) error {
	var tb, hb bytes.Buffer
	if err := text.Execute(&tb, page); err != nil {
		return err
	}
	if err := html.Execute(&hb, page); err != nil {
		return err
	}
	_, err := n.outbox.Enqueue(ctx, outbox.Message{Key: key, Kind: kind, To: to, ToName: name, Subject: subject,
		Text: tb.String(), HTML: hb.String(), UsagerID: usagerID, Unsubscribe: n.links.Unsubscribe(usagerID)})
	if errors.Is(err, outbox.ErrInvalid) {
		return nil
	}
	return err
}

// procedureLabels are the French labels of procedure ids.
func procedureLabels(ids []string) []string {
	var out []string
	for _, id := range ids {
		label := id
		if p, ok := procedure.ByID(id); ok {
			label = p.Label
		}
		out = append(out, label)
	}
	return out
}

var (
	_ mandate.Notifier        = (*Notices)(nil)
	_ mandate.UsagerAddresses = (*Notices)(nil)
)
