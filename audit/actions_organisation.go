package audit

// A manager gave or changed the contact details of their organisation and
// of its data-protection officer, which the legal notice lists. Details
// say which fields changed ("address,email,dpo_name,dpo_email"), never
// their values.
const (
	ActionOrganisationContactUpdated Action = "organisation.contact_updated"
)
