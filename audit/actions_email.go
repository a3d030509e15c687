package audit

// Acts about the email a usager receives (issue 12): the address they gave
// at signature, a mail server refusing it for good, the usager stopping the
// messages, and resuming them by asking again at a new mandate. Details
// hold no address.
const (
	ActionUsagerEmailSet             Action = "usager.email_set"
	ActionUsagerEmailBounced         Action = "usager.email_bounced"
	ActionUsagerNotificationsStopped Action = "usager.notifications_stopped"
	ActionUsagerNotificationsResumed Action = "usager.notifications_resumed"
)
