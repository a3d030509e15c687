package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"procura/audit"
	"procura/mandate"
	"procura/problem"
	"procura/procedure"
	"procura/templates"
	"procura/usager"
)

// statusFilters are the status choices of the usagers list.
var statusFilters = []templates.StatusOption{
	{Value: "", Label: "Tous"},
	{Value: string(mandate.StatusActive), Label: "Actifs"},
	{Value: string(mandate.StatusExpired), Label: "Expirés"},
	{Value: string(mandate.StatusRevoked), Label: "Révoqués"},
}

// handleUsagers lists the organisation's usagers and their mandates, with
// a name search and a status filter.
func (s *Server) handleUsagers(w http.ResponseWriter, r *http.Request) {
	c, ok := s.requireAidant(w, r)
	if !ok {
		return
	}
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	search, status := strings.TrimSpace(form.Get("q")), form.Get("statut")
	page := &templates.UsagersPage{Layout: templates.Layout{Title: "Usagers et mandats"}, Search: search}
	known := false
	for _, o := range statusFilters {
		o.Selected = o.Value == status
		known = known || o.Selected
		page.Statuses = append(page.Statuses, o)
	}
	if !known {
		status = ""
	}
	list, err := s.mandates.UsagersOf(r.Context(), c.Current.Organisation.ID, mandate.Listing{Search: search, Status: mandate.Status(status)})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	now := s.now()
	for _, u := range list {
		row := templates.UsagerRow{Name: u.GivenName + " " + u.FamilyName, Birthdate: bornOn(u.Birthdate)}
		for _, m := range u.Mandates {
			row.Mandates = append(row.Mandates, s.mandateRow(m, now))
		}
		page.Usagers = append(page.Usagers, row)
	}
	s.render(w, r, http.StatusOK, page)
}

func (s *Server) mandateRow(m mandate.Mandate, now time.Time) templates.MandateRow {
	var labels []string
	for _, p := range m.Permissions {
		if proc, ok := procedure.ByID(p.Procedure); ok {
			labels = append(labels, proc.Label)
		}
	}
	st := m.Status(now)
	return templates.MandateRow{ID: m.ID, SignedAt: frenchDay(m.SignedAt), ExpiresAt: frenchDay(m.ExpiresAt),
		Status: string(st), StatusLabel: st.Label(), Procedures: strings.Join(labels, ", ")}
}

// mandatePage is a mandate of the caller's organisation with its usager,
// what every mandate page starts from.
type mandatePage struct {
	caller  caller
	mandate mandate.Mandate
	usager  usager.Usager
}

// loadMandate loads the aidant caller and the mandate named in the path
// (scoped to their organisation: any other id is not found, and another
// organisation's is audited), or answers
// and returns ok=false.
func (s *Server) loadMandate(w http.ResponseWriter, r *http.Request, id string) (mandatePage, bool) {
	c, ok := s.requireAidant(w, r)
	if !ok {
		return mandatePage{}, false
	}
	m, err := s.mandates.Find(r.Context(), mandate.Actor{Kind: audit.ActorAidant, ID: c.Account.ID}, c.Current.Organisation.ID, id)
	if err != nil {
		s.serveError(w, r, err)
		return mandatePage{}, false
	}
	u, err := s.usagers.Get(r.Context(), m.UsagerID)
	if err != nil {
		s.serveError(w, r, err)
		return mandatePage{}, false
	}
	return mandatePage{caller: c, mandate: m, usager: u}, true
}

// handleMandate shows one mandate of the caller's organisation; any other
// id is not found.
func (s *Server) handleMandate(w http.ResponseWriter, r *http.Request) {
	notice := ""
	switch {
	case r.URL.Query().Has("cree"):
		notice = "Le mandat est signé. Téléchargez l'attestation et remettez-la à l'usager."
	case r.URL.Query().Has("renouvele"):
		notice = "Le mandat est renouvelé ; il remplace le précédent."
	case r.URL.Query().Has("revoque"):
		notice = "La révocation a pris effet."
	}
	s.renderMandate(w, r, r.PathValue("id"), http.StatusOK, notice, "")
}

func (s *Server) renderMandate(w http.ResponseWriter, r *http.Request, id string, status int, notice, message string) {
	mp, ok := s.loadMandate(w, r, id)
	if !ok {
		return
	}
	m, u, now := mp.mandate, mp.usager, s.now()
	page := &templates.MandatePage{
		Layout:  templates.Layout{Title: "Mandat"},
		Mandate: s.mandateRow(m, now), UsagerName: u.Name(), UsageName: u.PreferredUsername, Birthdate: bornOn(u.Birthdate),
		EndsAt: mandate.FrenchParisDateTime(m.ExpiresAt, paris()), EndNote: mandate.DaylightSavingNote(m.SignedAt, m.ExpiresAt, paris()),
		Durations: durationChoices(m.DurationDays), VerifyURL: s.verificationURL(m.ID), Notice: notice, Error: message,
	}
	for _, p := range m.Permissions {
		proc, _ := procedure.ByID(p.Procedure)
		st := p.Status(now)
		page.Permissions = append(page.Permissions, templates.PermissionRow{ID: p.ID, Label: proc.Label, Warning: proc.Warning,
			Status: string(st), StatusLabel: st.Label(), Revocable: st == mandate.StatusActive})
		page.HasRevoked = page.HasRevoked || st == mandate.StatusRevoked
		if st == mandate.StatusActive {
			page.Revocable, page.Renewable = true, true
		}
	}
	s.render(w, r, status, page)
}

// handleRevokeConfirm asks to confirm revoking a permission or the mandate.
func (s *Server) handleRevokeConfirm(w http.ResponseWriter, r *http.Request) {
	mp, ok := s.loadMandate(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	m, u := mp.mandate, mp.usager
	page := &templates.RevokeConfirmPage{Layout: templates.Layout{Title: "Confirmer la révocation"}, MandateID: m.ID,
		UsagerName: "de " + u.Name(), What: "l’ensemble des démarches", Action: PathMandateRevoke(m.ID), Back: PathMandate(m.ID)}
	if pid := r.URL.Query().Get("autorisation"); pid != "" {
		found := false
		for _, p := range m.Permissions {
			if p.ID == pid {
				proc, _ := procedure.ByID(p.Procedure)
				page.PermissionID, page.What, found = p.ID, "la démarche « "+proc.Label+" »", true
			}
		}
		if !found {
			s.serveError(w, r, mandate.ErrPermissionFound)
			return
		}
	}
	s.render(w, r, http.StatusOK, page)
}

// handleRevoke revokes a permission (field autorisation) or the mandate;
// the tokens issued under it stop working in the same transaction.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	c, ok := s.requireAidant(w, r)
	if !ok {
		return
	}
	by := mandate.Actor{Kind: audit.ActorAidant, ID: c.Account.ID}
	id := r.PathValue("id")
	if pid := form.Get("autorisation"); pid != "" {
		_, err = s.mandates.RevokePermission(r.Context(), by, mandate.OfOrganisation(c.Current.Organisation.ID), id, pid)
	} else {
		_, err = s.mandates.RevokeMandate(r.Context(), by, mandate.OfOrganisation(c.Current.Organisation.ID), id)
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathMandate(id)+"?revoque=1", http.StatusSeeOther)
}

// handleRenew renews a mandate with a new duration and the aidant's TOTP.
func (s *Server) handleRenew(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	c, ok := s.requireAidant(w, r)
	if !ok {
		return
	}
	days, _ := strconv.Atoi(form.Get("duration"))
	m, err := s.mandates.Renew(r.Context(), mandate.Renewal{OrganisationID: c.Current.Organisation.ID, AidantID: c.Account.ID,
		MandateID: r.PathValue("id"), DurationDays: days, TOTPCode: form.Get("code")})
	if err != nil {
		if code := problem.CodeOf(err); code == problem.Invalid || code == problem.Forbidden {
			s.renderMandate(w, r, r.PathValue("id"), http.StatusBadRequest, "", problem.MessageOf(err))
			return
		}
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, PathMandate(m.ID)+"?renouvele=1", http.StatusSeeOther)
}

// handleVerify is the public verification of a mandate's signature given
// in full (?signature=<compact JWS>).
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	form, err := parseForm(r, s.settings.MaxBodyBytes)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	signature := strings.TrimSpace(form.Get("signature"))
	if signature == "" {
		// Nothing to check yet: the form to paste a signature.
		s.render(w, r, http.StatusOK, &templates.VerifyPage{Layout: templates.Layout{Title: "Vérification d'un mandat"}, Ask: true,
			KeysURL: s.settings.BaseURL + MandateKeysPath})
		return
	}
	v, err := s.mandates.Verify(r.Context(), signature)
	s.renderVerification(w, r, v, err)
}

// handleVerifyStored is the public verification of a mandate Procura
// holds, the page an attestation's QR code opens.
func (s *Server) handleVerifyStored(w http.ResponseWriter, r *http.Request) {
	v, err := s.mandates.VerifyStored(r.Context(), r.PathValue("id"))
	s.renderVerification(w, r, v, err)
}

// MandateKeysPath publishes the public keys of the mandates' signatures (a
// JWK Set, RFC 7517 §5), for verifying a mandate offline.
const MandateKeysPath = "/mandats/cles.json"

// handleMandateKeys serves the mandate signing keys' JWK Set.
func (s *Server) handleMandateKeys(w http.ResponseWriter, r *http.Request) {
	set, err := s.mandates.PublicKeys(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	body, err := json.Marshal(set)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(body)
}

func (s *Server) renderVerification(w http.ResponseWriter, r *http.Request, v mandate.Verification, err error) {
	page := &templates.VerifyPage{Layout: templates.Layout{Title: "Vérification d'un mandat"}, KeysURL: s.settings.BaseURL + MandateKeysPath}
	status := http.StatusOK
	switch code := problem.CodeOf(err); {
	case err == nil:
		page.Valid, page.Status, page.StatusLabel = true, string(v.Status), v.Status.Label()
		page.Organisation, page.SIRET, page.MandateID, page.TextVersion = v.Organisation, v.Content.OrganisationSIRET, v.Content.MandateID, v.Content.TextVersion
		page.Fingerprint = v.Fingerprint
		page.SignedAt, page.ExpiresAt = frenchTimestamp(v.Content.SignedAt), frenchTimestamp(v.Content.ExpiresAt)
		for _, id := range v.Content.Procedures {
			if p, ok := procedure.ByID(id); ok {
				page.Procedures = append(page.Procedures, p.Label)
			}
		}
	case code == problem.Invalid || code == problem.NotFound:
		page.Message = problem.MessageOf(err)
	default:
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, status, page)
}

// frenchTimestamp shows an RFC 3339 time of a signed content in French.
func frenchTimestamp(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return frenchMoment(t)
}
