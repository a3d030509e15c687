package web

import (
	"procura/account"
	"procura/notice"
)

// The paths of the pages web serves, each defined once: the route table
// (routes.go), the handlers' redirects and app's registration of the
// FranceConnect return URLs use these. The OpenID Provider's endpoints are
// authz's (authz.PathAuthorize…). A path with an id is a function, which
// the route table calls with "{id}" to get its pattern.
const (
	PathHealthz = "/healthz"
	PathReadyz  = "/readyz"
	PathStatic  = "/static/"
	// PathSignOut ends the session of an aidant or a manager.
	PathSignOut = "/deconnexion"

	// Password recovery: the request form, and the page its link opens
	// (?jeton=…, account.PasswordResetPath).
	PathPasswordForgotten = "/mot-de-passe-oublie"
	PathPasswordReset     = account.PasswordResetPath

	// Aidants and managers.
	PathSignIn             = "/connexion"
	PathEnrol              = "/connexion/totp"
	PathEnrolCard          = "/connexion/totp/carte"
	PathAidantHome         = "/aidant"
	PathSwitchOrganisation = "/aidant/organisation"
	PathMandateNew         = "/aidant/mandats/nouveau"
	PathMandateRecap       = "/aidant/mandats/recapitulatif"
	PathUsagers            = "/aidant/usagers"
	PathVerify             = "/mandats/verifier"

	// Usagers, and the return from FranceConnect: register
	// BaseURL+PathFranceConnectCallback as the redirect URI and
	// BaseURL+PathFranceConnectLogout as the post-logout redirect URI.
	PathUsagerLanding         = "/usager"
	PathUsagerSignIn          = "/usager/connexion"
	PathUsagerSpace           = "/usager/espace"
	PathUsagerSignOut         = "/usager/deconnexion"
	PathFranceConnectCallback = "/franceconnect/callback"
	PathFranceConnectLogout   = "/franceconnect/deconnexion"

	// The links of a usager's messages (notice.Links): "Ce n'était pas moi"
	// and its identification and confirmation; stopping the messages, by
	// the link or from the space.
	PathNotMe            = notice.NotMePath
	PathNotMeConfirm     = notice.NotMePath + "/suspendre"
	PathUnsubscribe      = notice.UnsubscribePath
	PathUsagerStopEmails = "/usager/courriels/arreter"

	// The journal's public page (its tiles are served under it).
	PathJournal = "/journal"

	// The legal pages, linked from every page's footer.
	PathLegalNotice   = "/mentions-legales"
	PathPersonalData  = "/donnees-personnelles"
	PathAccessibility = "/accessibilite"

	// The delegated login's pages.
	PathChoice            = "/oidc/choix"
	PathOIDCLogoutConfirm = "/oidc/deconnexion"
)

// Pages of one mandate, for its aidants; its public verification; its
// revocation by the usager.
func PathMandate(id string) string               { return "/aidant/mandats/" + id }
func PathMandateRevoke(id string) string         { return PathMandate(id) + "/revoquer" }
func PathMandateRenew(id string) string          { return PathMandate(id) + "/renouveler" }
func PathMandateAttestation(id string) string    { return PathMandate(id) + "/attestation.pdf" }
func PathRevocationAttestation(id string) string { return PathMandate(id) + "/revocation.pdf" }
func PathVerifyMandate(id string) string         { return PathVerify + "/" + id }
func PathUsagerMandateRevoke(id string) string   { return "/usager/mandats/" + id + "/revoquer" }

// The attestations of a mandate, downloaded by the usager who gave it.
func PathUsagerMandateAttestation(id string) string {
	return "/usager/mandats/" + id + "/attestation.pdf"
}
func PathUsagerRevocationAttestation(id string) string {
	return "/usager/mandats/" + id + "/revocation.pdf"
}

// The manager space (responsable de structure), all under PathManager: its
// routes are managerRoutes (manager_routes.go), which the isolation test
// walks. An invitation's link is public: its token is the credential.
const (
	PathManager            = "/responsable"
	PathManagerAidants     = PathManager + "/aidants"
	PathManagerNewMember   = PathManager + "/aidants/nouveau"
	PathManagerAddExisting = PathManager + "/aidants/ajouter"
	PathManagerInvitations = PathManager + "/invitations"
	PathManagerSettings    = PathManager + "/organisation"
	// The organisation's journal, its CSV export and its statistics.
	PathManagerJournal       = PathManager + "/journal"
	PathManagerJournalExport = PathManager + "/journal/export.csv"
	PathManagerStatistics    = PathManager + "/statistiques"
)

// Pages and acts on one member of the team, and on one invitation.
func PathManagerAidant(id string) string       { return PathManagerAidants + "/" + id }
func PathManagerHabilitation(id string) string { return PathManagerAidant(id) + "/habilitation" }
func PathManagerHabilitationExtend(id string) string {
	return PathManagerAidant(id) + "/habilitation/prolonger"
}
func PathManagerHabilitationEnd(id string) string {
	return PathManagerAidant(id) + "/habilitation/terminer"
}
func PathManagerDeactivate(id string) string { return PathManagerAidant(id) + "/desactiver" }
func PathManagerReactivate(id string) string { return PathManagerAidant(id) + "/reactiver" }
func PathManagerRole(id string) string       { return PathManagerAidant(id) + "/role" }
func PathManagerRemove(id string) string     { return PathManagerAidant(id) + "/retirer" }
func PathManagerTOTPReset(id string) string  { return PathManagerAidant(id) + "/totp/reinitialiser" }
func PathManagerCardLink(id string) string   { return PathManagerAidant(id) + "/carte" }
func PathManagerCardUnlink(id string) string { return PathManagerAidant(id) + "/carte/retirer" }
func PathManagerInvitationResend(id string) string {
	return PathManagerInvitations + "/" + id + "/renvoyer"
}
func PathManagerInvitationCancel(id string) string {
	return PathManagerInvitations + "/" + id + "/annuler"
}
func PathInvitation(token string) string { return account.InvitationPath + token }

// PathActReceipt is the inclusion receipt of an act, in the usager space.
func PathActReceipt(id string) string { return "/usager/actes/" + id + "/recu" }

// PathManagerAct is one act of the organisation's journal.
func PathManagerAct(id string) string { return PathManagerJournal + "/" + id }

// PathManagerActReceipt is the inclusion receipt of an act, in the manager space.
func PathManagerActReceipt(id string) string { return PathManagerAct(id) + "/recu" }

// The managers' alerts: the thresholds' form (on the settings page) and
// the acknowledgement of one alert.
const PathManagerAlertThresholds = PathManagerSettings + "/alertes"

// PathManagerOrganisationContact is the form of the organisation's contact
// details and its DPO's, on the settings page.
const PathManagerOrganisationContact = PathManagerSettings + "/coordonnees"

func PathManagerAlertAcknowledge(id string) string {
	return PathManager + "/alertes/" + id + "/prise-en-compte"
}
