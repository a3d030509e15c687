package templates

import "html/template"

// ErrorPage tells a person, in French, that their request could not be
// served. Its message is always safe to show: details go to the log.
type ErrorPage struct {
	Layout
	// Status is the HTTP status code, shown as "Erreur 404".
	Status  int
	Heading string
	Message string
}

func (*ErrorPage) Template() string { return "error.html" }

// HomePage is the front page.
type HomePage struct {
	Layout
}

func (*HomePage) Template() string { return "home.html" }

// SignInPage is the aidant and manager sign-in form: email, password, TOTP.
type SignInPage struct {
	Layout
	Email string
	// Error is the safe message of a refused attempt.
	Error string
	// Notice is an information banner (signed out, session ended).
	Notice string
	// Return is the page the sign-in continues to (a safe path of the
	// site, checked by web).
	Return string
}

func (*SignInPage) Template() string { return "signin.html" }

// EnrolPage offers an authenticator app enrolment: a QR code of the
// otpauth URI, the secret to type by hand, and a field for the first code.
type EnrolPage struct {
	Layout
	// QRCode is a data: URL of the PNG QR code.
	QRCode template.URL
	Secret string
	Error  string
	// Serial and CardError are the TOTP card form's typed serial and
	// refusal.
	Serial    string
	CardError string
}

func (*EnrolPage) Template() string { return "enrol.html" }

// AidantHomePage is what a signed-in aidant or manager sees first.
type AidantHomePage struct {
	Layout
	GivenName string
	// Organisation is the current organisation.
	Organisation OrganisationView
	Roles        []string
	// Others are the other organisations the person can switch to.
	Others           []OrganisationView
	Habilitated      bool
	HabilitatedUntil string
	Procedures       []ProcedureView
	Notice           string
	// IsManager offers the manager space; IsAidant says whether the
	// person holds the aidant role here (a manager may not).
	IsManager bool
	IsAidant  bool
}

func (*AidantHomePage) Template() string { return "aidant_home.html" }

// OrganisationView is an organisation as pages show it.
type OrganisationView struct {
	ID    string
	Name  string
	SIRET string
}

// ProcedureView is a procedure as pages show it.
type ProcedureView struct {
	ID      string
	Label   string
	Warning string
}

// UsagerLandingPage invites a usager to sign in to their space with
// FranceConnect.
type UsagerLandingPage struct {
	Layout
	Notice string
}

func (*UsagerLandingPage) Template() string { return "usager_landing.html" }

// UsagerSpacePage is the usager's own space: their identity, every
// mandate they gave, and every act done on their behalf.
type UsagerSpacePage struct {
	Layout
	GivenName         string
	FamilyName        string
	PreferredUsername string
	Birthdate         string
	Email             string
	Notice            string
	Mandates          []UsagerMandateRow
	Acts              []ActRow
	// Messages is where Procura writes to the usager (pages_email.go).
	Messages UsagerMessages
}

// UsagerMandateRow is a mandate in the usager's space.
type UsagerMandateRow struct {
	MandateRow
	Organisation string
	Permissions  []PermissionRow
	Revocable    bool
	// Suspended: the usager suspended it ("Ce n'était pas moi").
	Suspended bool
	// Controller is the organisation's contact and its DPO's.
	Controller OrganisationContact
	// AttestationURL downloads the mandate's attestation; RevocationURL,
	// when something was revoked, its revocation attestation.
	AttestationURL string
	RevocationURL  string
}

// ActRow is an act of the journal, as the usager sees it.
type ActRow struct {
	// ReceiptURL downloads the act's receipt (inclusion proof).
	ReceiptURL   string
	When         string
	What         string
	Service      string
	Procedure    string
	Organisation string
	Aidant       string
}

func (*UsagerSpacePage) Template() string { return "usager_space.html" }

// IdentificationErrorPage explains why a FranceConnect identification did
// not go through, and where to start again.
type IdentificationErrorPage struct {
	Layout
	Message string
	Retry   string
}

func (*IdentificationErrorPage) Template() string { return "identification_error.html" }

// JournalPage explains the journal and its checkpoints to managers and
// usagers, and checks a receipt pasted in its form.
type JournalPage struct {
	Layout
	Origin       string
	VerifierKeys []string
	// Checkpoint is the latest signed checkpoint; empty before the first.
	Checkpoint   string
	CheckpointAt string
	TreeSize     uint64
	// Receipt is the receipt pasted; Checked says one was.
	Receipt         string
	Checked         bool
	Valid           bool
	Message         string
	EntryID         int64
	Action          string
	LeafIndex       uint64
	ReceiptTreeSize uint64
}

func (*JournalPage) Template() string { return "journal.html" }
