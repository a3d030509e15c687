package templates

// Operator is who runs this Procura (config.Operator): the legal pages name
// them. Until the operator sets them, the values are placeholders that read
// as such.
type Operator struct {
	Name                string
	Address             string
	Email               string
	DPOEmail            string
	PublicationDirector string
	Host                string
}

// LegalNoticePage is the mentions légales.
type LegalNoticePage struct {
	Layout
	Operator Operator
}

func (*LegalNoticePage) Template() string { return "legal_notice.html" }

// PersonalDataPage says what Procura keeps, for what, how long, who to
// contact and the person's rights. The durations are the server's own
// settings.
type PersonalDataPage struct {
	Layout
	Operator Operator
	// RetentionDays is PROCURA_RETENTION_DAYS: a usager's identity is
	// erased this many days after their last mandate ended and their last
	// identification.
	RetentionDays int
	// SessionIdle and SessionMaxAge are the session limits, in French
	// ("30 minutes", "10 heures").
	SessionIdle   string
	SessionMaxAge string
	// OutboxDays is how long a sent email stays in the outbox.
	OutboxDays int
}

func (*PersonalDataPage) Template() string { return "personal_data.html" }

// AccessibilityPage is the accessibility statement (RGAA model).
type AccessibilityPage struct {
	Layout
	Operator Operator
}

func (*AccessibilityPage) Template() string { return "accessibility.html" }
