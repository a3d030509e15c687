package templates

// ProcedureChoice is a procedure offered on the mandate form.
type ProcedureChoice struct {
	ProcedureView
	Description string
	Examples    string
	Checked     bool
}

// DurationChoice is a duration offered on the mandate form.
type DurationChoice struct {
	Days    int
	Label   string
	Checked bool
}

// MandateNewPage is the first step of a new mandate: procedures and
// duration, before the usager's identification.
type MandateNewPage struct {
	Layout
	Organisation string
	Procedures   []ProcedureChoice
	Durations    []DurationChoice
	Error        string
	// Notice tops the form shown again after the session ended.
	Notice string
}

func (*MandateNewPage) Template() string { return "mandate_new.html" }

// TextBlock is one block of the mandate text: a heading, a paragraph or a
// list item.
type TextBlock struct {
	Kind string // "h1", "h2", "p" or "li"
	Text string
}

// MandateRecapPage is the last step: the usager is identified; the recap,
// the mandate text, the consent and the aidant's TOTP.
type MandateRecapPage struct {
	Layout
	UsagerName string
	// UsageName is the usager's nom d'usage, if any.
	UsageName    string
	Birthdate    string
	Organisation string
	SIRET        string
	AidantName   string
	Procedures   []ProcedureView
	Duration     string
	// ExpiresAt is when the mandate would end if signed now, in Paris
	// time; EndNote explains a change of the clocks in between.
	ExpiresAt   string
	EndNote     string
	TextVersion string
	Text        []TextBlock
	Error       string
	// FranceConnectEmail is the usager's address from FranceConnect;
	// Notify and NotifyEmail keep what was chosen when the form is
	// refused.
	FranceConnectEmail string
	Notify             bool
	NotifyEmail        string
}

func (*MandateRecapPage) Template() string { return "mandate_recap.html" }

// MandateRow is a mandate in lists.
type MandateRow struct {
	ID          string
	SignedAt    string
	ExpiresAt   string
	Status      string
	StatusLabel string
	Procedures  string
}

// UsagerRow is a usager with their mandates in the organisation.
type UsagerRow struct {
	Name      string
	Birthdate string
	Mandates  []MandateRow
}

// StatusOption is a status filter.
type StatusOption struct {
	Value    string
	Label    string
	Selected bool
}

// UsagersPage lists the organisation's usagers and their mandates.
type UsagersPage struct {
	Layout
	Search   string
	Statuses []StatusOption
	Usagers  []UsagerRow
}

func (*UsagersPage) Template() string { return "usagers.html" }

// PermissionRow is a permission on the mandate page.
type PermissionRow struct {
	ID          string
	Label       string
	Warning     string
	StatusLabel string
	Status      string
	Revocable   bool
}

// MandatePage shows one mandate: its permissions, renewal, revocation and
// attestations.
type MandatePage struct {
	Layout
	Mandate    MandateRow
	UsagerName string
	// UsageName is the usager's nom d'usage, if any.
	UsageName string
	Birthdate string
	// EndsAt is the end's date and time in Paris; EndNote explains a
	// change of the clocks during the mandate.
	EndsAt      string
	EndNote     string
	Permissions []PermissionRow
	Revocable   bool
	Renewable   bool
	HasRevoked  bool
	Durations   []DurationChoice
	VerifyURL   string
	Notice      string
	Error       string
}

func (*MandatePage) Template() string { return "mandate.html" }

// RevokeConfirmPage asks to confirm a revocation.
type RevokeConfirmPage struct {
	Layout
	// Action is where the confirmation posts.
	Action       string
	MandateID    string
	PermissionID string
	What         string
	UsagerName   string
	// Back is where "Annuler" returns.
	Back string
}

func (*RevokeConfirmPage) Template() string { return "mandate_revoke.html" }

// VerifyPage is the public verification of a mandate's signature, reached
// from an attestation's QR code. It never shows the usager's identity.
type VerifyPage struct {
	Layout
	// Ask shows the form to paste a signature (nothing was given).
	Ask bool
	// KeysURL publishes the mandate signing keys (JWK Set).
	KeysURL      string
	Valid        bool
	Message      string
	Status       string
	StatusLabel  string
	Organisation string
	SIRET        string
	Procedures   []string
	SignedAt     string
	ExpiresAt    string
	MandateID    string
	TextVersion  string
	Fingerprint  string
}

func (*VerifyPage) Template() string { return "mandate_verify.html" }

// ChoiceProcedure is a procedure the aidant may pick for a usager.
type ChoiceProcedure struct {
	PermissionID string
	Label        string
	Warning      string
}

// ChoiceUsager is a usager the aidant may act for at the service.
type ChoiceUsager struct {
	Name       string
	Birthdate  string
	Procedures []ChoiceProcedure
}

// DelegatedChoicePage is where the aidant picks the usager and the
// procedure of a delegated login.
type DelegatedChoicePage struct {
	Layout
	Service      string
	Organisation string
	Search       string
	Usagers      []ChoiceUsager
	// Refusal says why the aidant may not act at all (not habilitated…).
	Refusal string
	Error   string
}

func (*DelegatedChoicePage) Template() string { return "delegated_choice.html" }

// LogoutConfirmPage asks the aidant to confirm a sign-out a service asked
// for without naming the session.
type LogoutConfirmPage struct {
	Layout
	Service string
	Query   string
}

func (*LogoutConfirmPage) Template() string { return "logout_confirm.html" }
