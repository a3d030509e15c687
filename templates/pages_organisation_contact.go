package templates

// OrganisationContactForm is the form of the organisation's contact
// details and its data-protection officer's, on the settings page: the
// values stored, or as typed when refused.
type OrganisationContactForm struct {
	Action                            string
	Address, Email, DPOName, DPOEmail string
	Error, Notice                     string
}

// OrganisationContact is an organisation as data controller, with how to
// reach it and its DPO; Filled is false until a manager gives them.
type OrganisationContact struct {
	Name, SIRET                       string
	Address, Email, DPOName, DPOEmail string
	Filled                            bool
}
