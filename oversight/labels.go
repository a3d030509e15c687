package oversight

import "procura/audit"

// actionLabels say each act in French, for the journal's rows, its filter
// and the export. An action without a label is shown by its code.
var actionLabels = []struct {
	action audit.Action
	label  string
}{
	{audit.ActionDelegatedLoginAuthorised, "Connexion pour le compte d'un usager"},
	{audit.ActionDelegatedLoginRefused, "Connexion pour le compte d'un usager refusée"},
	{audit.ActionTokenIssued, "Jeton remis au service"},
	{audit.ActionUserinfoRead, "Identité lue par le service"},
	{audit.ActionTokenRevoked, "Jeton révoqué"},
	{audit.ActionMandateCreated, "Mandat créé"},
	{audit.ActionMandateRenewed, "Mandat renouvelé"},
	{audit.ActionMandateRevoked, "Mandat révoqué"},
	{audit.ActionMandateExpired, "Mandat arrivé à échéance"},
	{audit.ActionPermissionCreated, "Démarche ajoutée à un mandat"},
	{audit.ActionPermissionReplaced, "Démarche remplacée par un nouveau mandat"},
	{audit.ActionPermissionRevoked, "Démarche révoquée"},
	{audit.ActionPermissionExpired, "Démarche arrivée à échéance"},
	{audit.ActionUsagerIdentified, "Usager identifié avec FranceConnect"},
	{audit.ActionUsagerUpdated, "Identité d'un usager mise à jour"},
	{audit.ActionUsagerIdentificationFailed, "Identification FranceConnect échouée"},
	{audit.ActionUsagerErased, "Identité d'un usager effacée (durée de conservation)"},
	{audit.ActionSignIn, "Connexion à Procura"},
	{audit.ActionSignInFailed, "Connexion à Procura échouée"},
	{audit.ActionLockedOut, "Compte bloqué après des échecs de connexion"},
	{audit.ActionSessionEnded, "Fin de session"},
	{audit.ActionOrganisationSwitch, "Changement d'organisation"},
	{audit.ActionTOTPEnrolled, "Code à usage unique enrôlé"},
	{audit.ActionTOTPReset, "Code à usage unique réinitialisé"},
	{audit.ActionTOTPCardLinked, "Carte TOTP associée"},
	{audit.ActionTOTPCardUnlinked, "Carte TOTP retirée"},
	{audit.ActionAccountCreated, "Compte créé"},
	{audit.ActionAccountDeactivated, "Compte désactivé"},
	{audit.ActionAccountReactivated, "Compte réactivé"},
	{audit.ActionMembershipAdded, "Membre ajouté à l'organisation"},
	{audit.ActionMembershipRemoved, "Membre retiré de l'organisation"},
	{audit.ActionHabilitationRecorded, "Habilitation enregistrée"},
	{audit.ActionHabilitationEnded, "Habilitation terminée"},
	{audit.ActionInvitationCreated, "Invitation envoyée"},
	{audit.ActionInvitationRenewed, "Invitation renouvelée"},
	{audit.ActionInvitationCancelled, "Invitation annulée"},
	{audit.ActionInvitationAccepted, "Invitation acceptée"},
	{audit.ActionOrganisationUpdated, "Organisation modifiée"},
	{audit.ActionOrganisationCreated, "Organisation créée"},
	{audit.ActionCrossOrganisationRefused, "Accès à une autre organisation refusé"},
	{audit.ActionJournalExported, "Journal exporté"},
	{audit.ActionAlertRaised, "Alerte relevée"},
	{audit.ActionAlertAcknowledged, "Alerte prise en compte"},
	{audit.ActionAlertThresholdsChanged, "Seuils des alertes modifiés"},
}

// ActionLabel is the act in French, or its code when it has no label.
func ActionLabel(a audit.Action) string {
	for _, l := range actionLabels {
		if l.action == a {
			return l.label
		}
	}
	return string(a)
}

// knownAction reports whether a is an act the journal's filter offers.
func knownAction(a audit.Action) bool {
	for _, l := range actionLabels {
		if l.action == a {
			return true
		}
	}
	return false
}

// actorLabels name the kinds of actors that are not accounts.
var actorLabels = map[audit.ActorKind]string{
	audit.ActorUsager:    "L'usager",
	audit.ActorOperator:  "L'opérateur de Procura",
	audit.ActorSystem:    "Procura (automatique)",
	audit.ActorAnonymous: "Personne non connectée",
}
