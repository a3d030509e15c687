package templates

// ManagerNav is what every page of the manager space shows above its
// content: the organisation, and whether the manager may also act as an
// aidant (DESIGN.md: a manager who is not a habilitated aidant may not).
type ManagerNav struct {
	Organisation OrganisationView
	// Active is the current section: tableau, aidants, nouveau, organisation.
	Active string
	// NotHabilitated explains, when set, why the manager cannot act as an
	// aidant here.
	NotHabilitated string
}

// ManagerDashboardPage is the manager's dashboard of the organisation.
type ManagerDashboardPage struct {
	Layout
	Nav                                                       ManagerNav
	Active, Expiring, NotHabilitated, Deactivated, Invited    int
	MandatesActive, MandatesExpiring, DelegatedLoginsThisWeek int64
	// CanListMandates links the mandate figures to the aidants' list of
	// usagers, which only an aidant of the organisation may open.
	CanListMandates bool
	// Alerts are the open alerts, Acknowledged those taken into account
	// lately; MoreAlerts counts the open ones beyond the list.
	Alerts, Acknowledged []AlertView
	MoreAlerts           int64
	ThresholdsURL        string
	// AlertNotice confirms an acknowledgement.
	AlertNotice string
}

func (*ManagerDashboardPage) Template() string { return "manager_dashboard.html" }

// TeamRow is a member of the team in the list.
type TeamRow struct {
	ID          string
	Name        string
	Email       string
	Roles       string
	Status      string
	StatusLabel string
	Until       string
}

// InvitationRow is an open invitation.
type InvitationRow struct {
	ID        string
	Name      string
	Email     string
	ExpiresAt string
	Expired   bool
}

// ManagerAidantsPage lists the team, with search and filter, and the open
// invitations.
type ManagerAidantsPage struct {
	Layout
	Nav         ManagerNav
	Query       string
	Statuses    []StatusOption
	Members     []TeamRow
	Invitations []InvitationRow
	Notice      string
}

func (*ManagerAidantsPage) Template() string { return "manager_aidants.html" }

// ManagerAidantPage is one member of the team and what the manager may do.
type ManagerAidantPage struct {
	Layout
	Nav              ManagerNav
	ID               string
	Name             string
	Email            string
	Roles            string
	IsAidant         bool
	IsManager        bool
	Self             bool
	Active           bool
	Pending          bool
	Habilitated      bool
	HabilitatedUntil string
	TrainedOn        string
	Status           string
	StatusLabel      string
	HasTOTP          bool
	CardSerial       string
	// Typed values and the message of a refused form.
	TrainedOnInput string
	MonthsInput    string
	SerialInput    string
	Error          string
	Notice         string
}

func (*ManagerAidantPage) Template() string { return "manager_aidant.html" }

// ManagerNewMemberPage invites a person, or adds an existing account.
type ManagerNewMemberPage struct {
	Layout
	Nav           ManagerNav
	Email         string
	GivenName     string
	FamilyName    string
	RoleAidant    bool
	RoleManager   bool
	ExistingEmail string
	Error         string
	ExistingError string
}

func (*ManagerNewMemberPage) Template() string { return "manager_new_member.html" }

// ManagerInvitationLinkPage shows an invitation's link, once, for the
// manager to hand over.
type ManagerInvitationLinkPage struct {
	Layout
	Nav       ManagerNav
	Name      string
	Email     string
	Link      string
	ExpiresAt string
}

func (*ManagerInvitationLinkPage) Template() string { return "manager_invitation_link.html" }

// SettingsProcedure is a procedure on the settings form.
type SettingsProcedure struct {
	ProcedureView
	Checked bool
	// ActivePermissions are the usable permissions of the organisation for
	// it: kept if the procedure is no longer allowed.
	ActivePermissions int64
}

// ManagerSettingsPage is the organisation's settings.
type ManagerSettingsPage struct {
	Layout
	Nav        ManagerNav
	Name       string
	SIRET      string
	Procedures []SettingsProcedure
	// Kept lists the procedures no longer allowed that still have usable
	// permissions.
	Kept   []SettingsProcedure
	Error  string
	Notice string
	// Thresholds are the alerts' form, with its own refusal and notice.
	Thresholds AlertThresholdsForm
}

func (*ManagerSettingsPage) Template() string { return "manager_settings.html" }

// InvitationPage is where an invited person sets their password.
type InvitationPage struct {
	Layout
	GivenName    string
	Email        string
	Organisation string
	Token        string
	Error        string
}

func (*InvitationPage) Template() string { return "invitation.html" }

// PasswordForgottenPage asks for the address to send a recovery link to;
// once asked, it says the same thing whether the address is known or not.
type PasswordForgottenPage struct {
	Layout
	Email string
	Error string
	Sent  bool
}

func (*PasswordForgottenPage) Template() string { return "password_forgotten.html" }

// PasswordResetPage is where a recovery link sets a new password, or says
// why it does not open (Refused).
type PasswordResetPage struct {
	Layout
	Token   string
	Email   string
	Error   string
	Refused string
}

func (*PasswordResetPage) Template() string { return "password_reset.html" }

// InvitationRefusedPage says clearly why an invitation link does not
// open (expired, used, invalid).
type InvitationRefusedPage struct {
	Layout
	Heading string
	Message string
}

func (*InvitationRefusedPage) Template() string { return "invitation_refused.html" }
