package templates

// NotMePage opens from the "Ce n'était pas moi" link of a message: it says
// what will happen and asks the usager to identify with FranceConnect.
type NotMePage struct {
	Layout
	// Action is where the identification form posts.
	Action string
}

func (*NotMePage) Template() string { return "usager_not_me.html" }

// NotMeConfirmPage shows the identified usager the mandate the link is
// about and asks them to confirm its suspension.
type NotMeConfirmPage struct {
	Layout
	Action       string
	Organisation string
	Signed       string
	Expires      string
	Procedures   []string
	// Revoked: the mandate already ended; nothing to suspend.
	Revoked bool
}

func (*NotMeConfirmPage) Template() string { return "usager_not_me_confirm.html" }

// UnsubscribePage opens from the link that stops a usager's messages: one
// button (the link itself changes nothing, since mail scanners follow
// links), or the confirmation that they are stopped.
type UnsubscribePage struct {
	Layout
	Action  string
	Stopped bool
}

func (*UnsubscribePage) Template() string { return "usager_unsubscribe.html" }

// UsagerMessages is the usager space's block about the messages Procura
// writes to them: where, whether an address was refused, and the button
// that stops them.
type UsagerMessages struct {
	// Wanted: a mandate of theirs asked for messages (opt-in at signature).
	Wanted  bool
	Address string
	// FromFranceConnect: the address is FranceConnect's, none was given
	// at signature.
	FromFranceConnect bool
	// Bounced is when a mail server refused Address for good ("" if not).
	Bounced string
	// Stopped is when the usager stopped the messages ("" if not).
	Stopped string
	// StopAction is where the stop button posts, with CSRFToken.
	StopAction string
	CSRFToken  string
}
