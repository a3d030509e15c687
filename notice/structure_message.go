package notice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"

	"procura/mandate"
	"procura/outbox"
)

// structurePage is what the managers of a structure read when a usager
// suspended a mandate. It names no usager: the mandate's id leads to them
// in the manager's journal.
type structurePage struct {
	Name, Organisation, MandateID, Signed, Aidant, At, JournalURL, MandateURL string
	Procedures                                                                []string
}

const structureBody = `Bonjour {{.Name}},

Le {{.At}}, un usager a suspendu le mandat {{.MandateID}} qu'il avait donné à {{.Organisation}} le {{.Signed}}, recueilli par {{.Aidant}}, en indiquant depuis un courriel de Procura « Ce n'était pas moi », après s'être identifié avec FranceConnect.

Le mandat est révoqué : les jetons émis sous ce mandat sont révoqués et aucun aidant ne peut plus se connecter en son nom pour ces démarches :
{{range .Procedures}}
- {{.}}{{end}}

Vérifiez ce qui a été fait sous ce mandat dans le journal de votre structure (filtrez sur l'usager ou sur l'aidant) :
{{.JournalURL}}
Le mandat, pour les aidants de la structure : {{.MandateURL}}

Vous recevez ce courriel parce que vous êtes responsable de {{.Organisation}} dans Procura.

Ce courriel est envoyé automatiquement : merci de ne pas y répondre.
`

var (
	structureTextTemplate = texttemplate.Must(texttemplate.New("text").Parse(structureBody))
	structureHTMLTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Mandat suspendu par l'usager</title></head>
<body style="font-family: Arial, sans-serif; color: #161616; max-width: 40em;">
<p>Bonjour {{.Name}},</p>
<p>Le {{.At}}, un usager a suspendu le mandat <code>{{.MandateID}}</code> qu'il avait donné à {{.Organisation}} le {{.Signed}}, recueilli par {{.Aidant}}, en indiquant depuis un courriel de Procura « Ce n'était pas moi », après s'être identifié avec FranceConnect.</p>
<p>Le mandat est révoqué : les jetons émis sous ce mandat sont révoqués et aucun aidant ne peut plus se connecter en son nom pour ces démarches :</p>
<ul>{{range .Procedures}}
<li>{{.}}</li>{{end}}
</ul>
<p>Vérifiez ce qui a été fait sous ce mandat dans <a href="{{.JournalURL}}">le journal de votre structure</a> (filtrez sur l'usager ou sur l'aidant). <a href="{{.MandateURL}}">Le mandat</a>, pour les aidants de la structure.</p>
<p>Vous recevez ce courriel parce que vous êtes responsable de {{.Organisation}} dans Procura.</p>
<p style="color: #666;">Ce courriel est envoyé automatiquement : merci de ne pas y répondre.</p>
</body></html>
`))
)

// Pages of the manager and aidant spaces the message links to (web's
// PathManagerJournal and PathMandate; notice does not import web).
const (
	managerJournalPath = "/responsable/journal"
	aidantMandatePath  = "/aidant/mandats/"
)

// MandateSuspended writes to each active manager of m's organisation that
// its usager suspended m, in the suspension's transaction
// (mandate.StructureNotifier). A manager whose address the outbox refuses
// is skipped; the others are still told.
func (n *Notices) MandateSuspended(ctx context.Context, m mandate.Mandate, procedures []string) error {
	org, err := n.directory.Organisation(ctx, m.OrganisationID)
	if err != nil {
		return fmt.Errorf("notice: organisation: %w", err)
	}
	managers, err := n.directory.ManagersOf(ctx, m.OrganisationID)
	if err != nil {
		return err
	}
	paris, err := mandate.Paris()
	if err != nil {
		return err
	}
	aidant := "un aidant de la structure"
	if a, err := n.directory.Account(ctx, m.AidantID); err == nil {
		aidant = oneLine(a.Name())
	}
	if len(procedures) == 0 {
		procedures = m.Procedures()
	}
	page := structurePage{Organisation: oneLine(org.Name), MandateID: m.ID, Signed: mandate.FrenchDate(m.SignedAt, paris), Aidant: aidant,
		At: mandate.FrenchDateTime(n.now(), paris), JournalURL: n.baseURL + managerJournalPath, MandateURL: n.baseURL + aidantMandatePath + m.ID,
		Procedures: procedureLabels(procedures)}
	for _, a := range managers {
		page.Name = oneLine(a.Name())
		var text, html bytes.Buffer
		if err := structureTextTemplate.Execute(&text, page); err != nil {
			return err
		}
		if err := structureHTMLTemplate.Execute(&html, page); err != nil {
			return err
		}
		_, err := n.outbox.Enqueue(ctx, outbox.Message{Key: "mandate-suspended:" + m.ID + ":" + a.ID, Kind: "structure_mandate_suspended",
			To: a.Email, ToName: page.Name, Subject: "Procura : un usager a suspendu un mandat donné à " + page.Organisation,
			Text: text.String(), HTML: html.String()})
		if err != nil && !errors.Is(err, outbox.ErrInvalid) {
			return err
		}
	}
	return nil
}

var _ mandate.StructureNotifier = (*Notices)(nil)
