package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"procura/audit"
	"procura/mandate"
	"procura/procedure"
	"procura/templates"
	"procura/usager"
)

// actLabels are the acts a usager sees in their space, in French; other
// actions of the journal (token issuance…) are not listed there.
var actLabels = map[audit.Action]string{
	audit.ActionDelegatedLoginAuthorised: "Connexion à un service en votre nom",
	audit.ActionMandateCreated:           "Mandat signé",
	audit.ActionMandateRenewed:           "Mandat renouvelé",
	audit.ActionMandateRevoked:           "Mandat révoqué",
	audit.ActionMandateExpired:           "Mandat arrivé à échéance",
	audit.ActionPermissionRevoked:        "Démarche révoquée",
	audit.ActionPermissionReplaced:       "Démarche reprise par un nouveau mandat",
}

// loadUsager returns the usager signed in to their space, or sends the
// browser to the space's door.
func (s *Server) loadUsager(w http.ResponseWriter, r *http.Request) (usager.Usager, bool) {
	id, err := s.sessions.UsagerID(r)
	if errors.Is(err, ErrNotSignedIn) {
		http.Redirect(w, r, PathUsagerLanding, http.StatusSeeOther)
		return usager.Usager{}, false
	}
	var u usager.Usager
	if err == nil {
		u, err = s.usagers.Get(r.Context(), id)
	}
	if err != nil {
		s.serveError(w, r, err)
		return usager.Usager{}, false
	}
	return u, true
}

// handleUsagerSpace is the usager's own space: every mandate they gave,
// with revocation, and every act done on their behalf.
func (s *Server) handleUsagerSpace(w http.ResponseWriter, r *http.Request) {
	u, ok := s.loadUsager(w, r)
	if !ok {
		return
	}
	page := &templates.UsagerSpacePage{
		Layout:    templates.Layout{Title: "Mon espace", SignedInName: u.Name(), SignOutAction: PathUsagerSignOut},
		GivenName: u.GivenName, FamilyName: u.FamilyName, PreferredUsername: u.PreferredUsername,
		Birthdate: frenchBirthdate(u.Birthdate), Email: u.Email,
	}
	switch q := r.URL.Query(); {
	case q.Has("revoque"):
		page.Notice = "La révocation a pris effet : les connexions en cours sous ce mandat ont cessé de fonctionner."
	case q.Has("suspendu"):
		page.Notice = "Le mandat est suspendu : il est révoqué, les connexions en cours sous ce mandat ont cessé de fonctionner et la structure en est avertie par courriel."
	case q.Get("courriels") == "arretes":
		page.Notice = "Procura ne vous enverra plus de courriels."
	}
	ms, err := s.mandates.MandatesOfUsager(r.Context(), u.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	names := newNames(s)
	now := s.now()
	for _, m := range ms {
		row := templates.UsagerMandateRow{MandateRow: s.mandateRow(m, now), Organisation: names.organisation(r.Context(), m.OrganisationID),
			Suspended: m.Suspended(), AttestationURL: PathUsagerMandateAttestation(m.ID)}
		if hasRevocation(m) {
			row.RevocationURL = PathUsagerRevocationAttestation(m.ID)
		}
		row.Controller = names.controller(r.Context(), m.OrganisationID)
		page.Messages.Wanted = page.Messages.Wanted || m.NotifyUsager
		for _, p := range m.Permissions {
			proc, _ := procedure.ByID(p.Procedure)
			st := p.Status(now)
			row.Permissions = append(row.Permissions, templates.PermissionRow{ID: p.ID, Label: proc.Label, Status: string(st),
				StatusLabel: st.Label(), Revocable: st == mandate.StatusActive})
			row.Revocable = row.Revocable || st == mandate.StatusActive
		}
		page.Mandates = append(page.Mandates, row)
	}
	entries, err := s.journal.List(r.Context(), audit.Filter{UsagerID: u.ID, Newest: true, Limit: 200})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	for _, e := range entries {
		what, shown := actLabels[e.Action]
		if !shown {
			continue
		}
		act := templates.ActRow{ReceiptURL: fmt.Sprintf("/usager/actes/%d/recu", e.ID), When: frenchMoment(e.Time), What: what,
			Organisation: names.organisation(r.Context(), e.OrganisationID)}
		if p, ok := procedure.ByID(e.Procedure); ok {
			act.Procedure = p.Label
		}
		if e.ClientID != "" {
			act.Service = s.provider.ServiceName(r.Context(), e.ClientID)
		}
		if e.ActorKind == audit.ActorAidant {
			act.Aidant = names.account(r.Context(), e.ActorID)
		} else if e.ActorKind == audit.ActorUsager {
			act.Aidant = "vous-même"
		}
		page.Acts = append(page.Acts, act)
	}
	tok, err := s.sessions.CSRFToken(w, r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	page.CSRFToken = tok
	if err := s.usagerMessages(r, u, &page.Messages, tok); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, page)
}

// usagerMessages fills the block of the usager space about the messages
// Procura writes to u.
func (s *Server) usagerMessages(r *http.Request, u usager.Usager, b *templates.UsagerMessages, csrf string) error {
	settings, err := s.notices.Settings(r.Context(), u)
	if err != nil {
		return err
	}
	b.Address, b.FromFranceConnect, b.StopAction, b.CSRFToken = settings.Address, settings.FromFranceConnect, PathUsagerStopEmails, csrf
	if settings.BouncedAt != nil {
		b.Bounced = mandate.FrenchDateTime(*settings.BouncedAt, paris())
	}
	if settings.StoppedAt != nil {
		b.Stopped = mandate.FrenchDateTime(*settings.StoppedAt, paris())
	}
	return nil
}

// names resolves the pseudonymous ids of the journal to names, once each.
type names struct {
	s           *Server
	cache       map[string]string
	controllers map[string]templates.OrganisationContact
}

func newNames(s *Server) *names { return &names{s: s, cache: map[string]string{}} }

func (n *names) organisation(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if v, ok := n.cache["o"+id]; ok {
		return v
	}
	name := ""
	if o, err := n.s.directory.Organisation(ctx, id); err == nil {
		name = o.Name
	}
	n.cache["o"+id] = name
	return name
}

func (n *names) account(ctx context.Context, id string) string {
	if v, ok := n.cache["a"+id]; ok {
		return v
	}
	name := ""
	if a, err := n.s.directory.Account(ctx, id); err == nil {
		name = a.Name()
	}
	n.cache["a"+id] = name
	return name
}

// handleUsagerRevokeConfirm asks the usager to confirm a revocation.
func (s *Server) handleUsagerRevokeConfirm(w http.ResponseWriter, r *http.Request) {
	u, ok := s.loadUsager(w, r)
	if !ok {
		return
	}
	ms, err := s.mandates.MandatesOfUsager(r.Context(), u.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	id, pid := r.PathValue("id"), r.URL.Query().Get("autorisation")
	for _, m := range ms {
		if m.ID != id {
			continue
		}
		page := &templates.RevokeConfirmPage{Layout: templates.Layout{Title: "Confirmer la révocation", SignedInName: u.Name(),
			SignOutAction: PathUsagerSignOut}, MandateID: m.ID, UsagerName: "confié à " + newNames(s).organisation(r.Context(), m.OrganisationID),
			What: "l’ensemble des démarches", Action: PathUsagerMandateRevoke(m.ID), Back: PathUsagerSpace}
		if pid != "" {
			page.What = ""
			for _, p := range m.Permissions {
				if p.ID == pid {
					proc, _ := procedure.ByID(p.Procedure)
					page.PermissionID, page.What = p.ID, "la démarche « "+proc.Label+" »"
				}
			}
			if page.What == "" {
				s.serveError(w, r, mandate.ErrPermissionFound)
				return
			}
		}
		s.render(w, r, http.StatusOK, page)
		return
	}
	s.serveError(w, r, mandate.ErrNotFound)
}

// handleUsagerRevoke revokes, for the usager, a permission (field
// autorisation) or a whole mandate they gave, with immediate effect.
func (s *Server) handleUsagerRevoke(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	u, ok := s.loadUsager(w, r)
	if !ok {
		return
	}
	by, scope, id := mandate.Actor{Kind: audit.ActorUsager, ID: u.ID}, mandate.OfUsager(u.ID), r.PathValue("id")
	if pid := form.Get("autorisation"); pid != "" {
		_, err = s.mandates.RevokePermission(r.Context(), by, scope, id, pid)
	} else {
		_, err = s.mandates.RevokeMandate(r.Context(), by, scope, id)
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathUsagerSpace+"?revoque=1", http.StatusSeeOther)
}
