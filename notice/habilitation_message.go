package notice

import (
	"fmt"
	"math"

	"procura/account"
	"procura/mandate"
	"procura/outbox"
)

// HabilitationEnding composes the reminder to an aidant whose habilitation
// ends in about threshold days (account.HabilitationMessage); the directory
// sets its key and writes it.
func (n *Notices) HabilitationEnding(a account.Account, threshold int) (outbox.Message, error) {
	if a.HabilitatedUntil == nil {
		return outbox.Message{}, fmt.Errorf("notice: account %s has no habilitation", a.ID)
	}
	paris, err := mandate.Paris()
	if err != nil {
		return outbox.Message{}, err
	}
	name := oneLine(a.GivenName + " " + a.FamilyName)
	days := int(math.Ceil(a.HabilitatedUntil.Sub(n.now()).Hours() / 24))
	plural := ""
	if days > 1 {
		plural = "s"
	}
	end := mandate.FrenchDate(*a.HabilitatedUntil, paris)
	return outbox.Message{Kind: "aidant_habilitation_expiring", To: a.Email, ToName: name,
		Subject: "Procura : votre habilitation d'aidant prend fin le " + end,
		Text: "Bonjour " + name + ",\n\n" +
			fmt.Sprintf("Votre habilitation d'aidant dans Procura prend fin le %s, dans %d jour%s. ", end, days, plural) +
			"Ensuite, vous ne pourrez plus recueillir de mandat ni vous connecter au nom d'un usager.\n\n" +
			"Pour la prolonger, adressez-vous au responsable de votre structure : il peut la prolonger depuis son espace.\n\n" +
			"Vous recevez ce courriel parce que vous êtes aidant habilité dans Procura (" + n.baseURL + ").\n\n" +
			"Ce courriel est envoyé automatiquement : merci de ne pas y répondre.\n"}, nil
}
