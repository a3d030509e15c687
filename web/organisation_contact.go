package web

import (
	"context"
	"net/http"

	"procura/account"
	"procura/problem"
	"procura/templates"
)

// The organisations' contact details and their DPO's: the signed mandate
// text says the legal notice gives them. A manager fills them in on the
// settings page; the legal notice lists every organisation; the usager's
// space shows, under each mandate, the organisation's.

// handleManagerOrganisationContact replaces the organisation's contact
// details (an act in the journal); a bad value shows the settings page
// with why, and nothing is stored.
func (s *Server) handleManagerOrganisationContact(w http.ResponseWriter, r *http.Request) {
	form, mc, ok := s.managerForm(w, r)
	if !ok {
		return
	}
	in := account.Contact{Address: form.Get("adresse"), Email: form.Get("courriel"),
		DPOName: form.Get("dpo_nom"), DPOEmail: form.Get("dpo_courriel")}
	_, err := s.directory.UpdateOrganisationContact(r.Context(), mc.m, in)
	if problem.CodeOf(err) == problem.Invalid {
		o := mc.Current.Organisation
		typed := contactForm(in)
		typed.Error = problem.MessageOf(err)
		s.renderSettings(w, r, mc, http.StatusBadRequest, o.Name, o.Procedures, "", "", nil, &typed)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathManagerSettings+"?coordonnees=1#coordonnees", http.StatusSeeOther)
}

// storedContactForm is the contact's form filled with the organisation's
// stored details.
func (s *Server) storedContactForm(r *http.Request, orgID string) (templates.OrganisationContactForm, error) {
	o, err := s.directory.Organisation(r.Context(), orgID)
	if err != nil {
		return templates.OrganisationContactForm{}, err
	}
	form := contactForm(o.Contact)
	if r.URL.Query().Get("coordonnees") == "1" {
		form.Notice = "Les coordonnées de l'organisation et de son délégué à la protection des données sont enregistrées ; elles figurent dans les mentions légales."
	}
	return form, nil
}

func contactForm(c account.Contact) templates.OrganisationContactForm {
	return templates.OrganisationContactForm{Action: PathManagerOrganisationContact,
		Address: c.Address, Email: c.Email, DPOName: c.DPOName, DPOEmail: c.DPOEmail}
}

func contactView(name, siret string, c account.Contact) templates.OrganisationContact {
	return templates.OrganisationContact{Name: name, SIRET: siret, Address: c.Address, Email: c.Email,
		DPOName: c.DPOName, DPOEmail: c.DPOEmail, Filled: c.Filled()}
}

// controller is the organisation as data controller, for the usager's
// space; cached like the names.
func (n *names) controller(ctx context.Context, id string) templates.OrganisationContact {
	if v, ok := n.controllers[id]; ok {
		return v
	}
	var v templates.OrganisationContact
	if o, err := n.s.directory.Organisation(ctx, id); err == nil {
		v = contactView(o.Name, o.SIRET, o.Contact)
	}
	if n.controllers == nil {
		n.controllers = map[string]templates.OrganisationContact{}
	}
	n.controllers[id] = v
	return v
}
