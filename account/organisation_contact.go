package account

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"procura/audit"
)

// Contact is how to reach an organisation as the data controller for the
// procedures its aidants do in a usager's name, and its data-protection
// officer (DPO). The signed mandate text says the legal notice gives them.
//
// The rules: a manager fills in the postal address, the contact email and
// the DPO's email together, for these are what a person needs to exercise
// their rights (RGPD art. 13.1 a and b: the controller's identity and
// contact details, and the DPO's contact details); the DPO's name is
// optional, since art. 37.7 asks for the DPO's contact details to be
// published, not their name (a shared or external DPO often answers at a
// functional address). Details once given are not cleared: the form
// replaces them. Before they are given, every field is "".
type Contact struct {
	Address  string
	Email    string
	DPOName  string
	DPOEmail string
}

// Filled reports whether the organisation has given its details.
func (c Contact) Filled() bool { return c.Email != "" }

// Limits of the contact's fields, in characters (the migration checks them
// too).
const (
	maxAddress = 300
	maxDPOName = 200
)

// checkContact trims in and checks it against the rules of Contact, with
// the field at fault named in French.
func checkContact(in Contact) (Contact, error) {
	c := Contact{Address: strings.TrimSpace(in.Address), Email: strings.TrimSpace(in.Email),
		DPOName: strings.TrimSpace(in.DPOName), DPOEmail: strings.TrimSpace(in.DPOEmail)}
	if err := checkLine("L'adresse postale", c.Address, maxAddress, true); err != nil {
		return Contact{}, err
	}
	if err := checkLine("L'adresse électronique de contact", c.Email, 254, true); err != nil {
		return Contact{}, err
	}
	email, err := NormaliseEmail(c.Email)
	if err != nil {
		return Contact{}, invalid("L'adresse électronique de contact n'est pas valide (exemple : contact@structure.fr).")
	}
	if err := checkLine("Le nom du délégué à la protection des données", c.DPOName, maxDPOName, false); err != nil {
		return Contact{}, err
	}
	if err := checkLine("L'adresse électronique du délégué à la protection des données", c.DPOEmail, 254, true); err != nil {
		return Contact{}, err
	}
	dpoEmail, err := NormaliseEmail(c.DPOEmail)
	if err != nil {
		return Contact{}, invalid("L'adresse électronique du délégué à la protection des données n'est pas valide (exemple : dpo@structure.fr).")
	}
	c.Email, c.DPOEmail = email, dpoEmail
	return c, nil
}

// checkLine refuses an empty required field, one over max characters, and
// any line break or control character: each field is shown on one line.
func checkLine(field, s string, max int, required bool) error {
	switch {
	case required && s == "":
		return invalid(field + " est requise.")
	case !utf8.ValidString(s):
		return invalid(field + " contient des caractères non valides.")
	case strings.ContainsAny(s, "\r\n"):
		return invalid(field + " doit tenir sur une ligne : les retours à la ligne sont refusés.")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) }):
		return invalid(field + " contient des caractères de contrôle.")
	case utf8.RuneCountInString(s) > max:
		return invalid(fmt.Sprintf("%s dépasse %d caractères.", field, max))
	}
	return nil
}

// UpdateOrganisationContact replaces the contact details of m's
// organisation, recorded in one transaction. Bad input stores nothing.
// The journal entry says which fields changed, never their values.
func (d *Directory) UpdateOrganisationContact(ctx context.Context, m Manager, in Contact) (Organisation, error) {
	if err := d.CheckManager(ctx, m); err != nil {
		return Organisation{}, err
	}
	c, err := checkContact(in)
	if err != nil {
		return Organisation{}, err
	}
	before, err := d.Organisation(ctx, m.OrganisationID)
	if err != nil {
		return Organisation{}, err
	}
	var changed []string
	for _, f := range []struct {
		name     string
		was, now string
	}{{"address", before.Contact.Address, c.Address}, {"email", before.Contact.Email, c.Email},
		{"dpo_name", before.Contact.DPOName, c.DPOName}, {"dpo_email", before.Contact.DPOEmail, c.DPOEmail}} {
		if f.was != f.now {
			changed = append(changed, f.name)
		}
	}
	err = d.db.InTx(ctx, func(ctx context.Context) error {
		err := d.db.Conn(ctx).Model(&organisationRow{}).Where("id = ?", m.OrganisationID).Updates(map[string]any{
			"address": c.Address, "contact_email": c.Email, "dpo_name": c.DPOName, "dpo_email": c.DPOEmail}).Error
		if err != nil {
			return fmt.Errorf("account: organisation contact: %w", err)
		}
		return d.journal.Record(ctx, audit.Entry{Action: audit.ActionOrganisationContactUpdated, ActorKind: audit.ActorManager,
			ActorID: m.AccountID, OrganisationID: m.OrganisationID, Details: map[string]string{"changed": strings.Join(changed, ",")}})
	})
	if err != nil {
		return Organisation{}, err
	}
	return d.Organisation(ctx, m.OrganisationID)
}

// ListedOrganisation is an organisation as the legal notice lists it.
type ListedOrganisation struct {
	Name    string
	SIRET   string
	Contact Contact
}

// OrganisationContacts lists every organisation, by name, with its contact
// details: one query, for a public page.
func (d *Directory) OrganisationContacts(ctx context.Context) ([]ListedOrganisation, error) {
	var rows []organisationRow
	err := d.db.Conn(ctx).Select("name", "siret", "address", "contact_email", "dpo_name", "dpo_email").
		Order("name, siret").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("account: organisation contacts: %w", err)
	}
	out := make([]ListedOrganisation, 0, len(rows))
	for _, r := range rows {
		out = append(out, ListedOrganisation{Name: r.Name, SIRET: strings.TrimSpace(r.SIRET), Contact: r.contact()})
	}
	return out, nil
}
