package web

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"time"

	"procura/account"
	"procura/audit"
	"procura/mandate"
	"procura/problem"
	"procura/usager"
)

// verificationURL is the public page an attestation's QR code opens.
func (s *Server) verificationURL(mandateID string) string {
	return s.settings.BaseURL + PathVerifyMandate(mandateID)
}

// handleMandateAttestation sends the printable attestation of a mandate of
// the caller's organisation.
func (s *Server) handleMandateAttestation(w http.ResponseWriter, r *http.Request) {
	mp, ok := s.loadMandate(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	s.sendMandateAttestation(w, r, mp.caller.Current.Organisation, mp.mandate, mp.usager)
}

// handleRevocationAttestation sends the attestation of what was revoked in
// a mandate of the caller's organisation.
func (s *Server) handleRevocationAttestation(w http.ResponseWriter, r *http.Request) {
	mp, ok := s.loadMandate(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	s.sendRevocationAttestation(w, r, mp.caller.Current.Organisation, mp.mandate, mp.usager)
}

// handleUsagerMandateAttestation sends, in the usager's space, the
// attestation of one of the mandates the signed-in usager gave. Another
// usager's mandate is not found: the lookup is scoped to the usager.
func (s *Server) handleUsagerMandateAttestation(w http.ResponseWriter, r *http.Request) {
	u, m, o, ok := s.loadUsagerMandate(w, r)
	if !ok {
		return
	}
	s.sendMandateAttestation(w, r, o, m, u)
}

// handleUsagerRevocationAttestation sends, in the usager's space, the
// revocation attestation of one of their mandates.
func (s *Server) handleUsagerRevocationAttestation(w http.ResponseWriter, r *http.Request) {
	u, m, o, ok := s.loadUsagerMandate(w, r)
	if !ok {
		return
	}
	s.sendRevocationAttestation(w, r, o, m, u)
}

// loadUsagerMandate loads the signed-in usager, the mandate of the path
// among those they gave (any other id, another usager's included, is
// ErrNotFound), and its organisation.
func (s *Server) loadUsagerMandate(w http.ResponseWriter, r *http.Request) (usager.Usager, mandate.Mandate, account.Organisation, bool) {
	u, ok := s.loadUsager(w, r)
	if !ok {
		return usager.Usager{}, mandate.Mandate{}, account.Organisation{}, false
	}
	ms, err := s.mandates.MandatesOfUsager(r.Context(), u.ID)
	if err != nil {
		s.serveError(w, r, err)
		return usager.Usager{}, mandate.Mandate{}, account.Organisation{}, false
	}
	i := slices.IndexFunc(ms, func(m mandate.Mandate) bool { return m.ID == r.PathValue("id") })
	if i < 0 {
		s.serveError(w, r, mandate.ErrNotFound)
		return usager.Usager{}, mandate.Mandate{}, account.Organisation{}, false
	}
	o, err := s.directory.Organisation(r.Context(), ms[i].OrganisationID)
	if err != nil {
		s.serveError(w, r, err)
		return usager.Usager{}, mandate.Mandate{}, account.Organisation{}, false
	}
	return u, ms[i], o, true
}

// sendMandateAttestation renders and sends the attestation of m, given by
// u to organisation o.
func (s *Server) sendMandateAttestation(w http.ResponseWriter, r *http.Request, o account.Organisation, m mandate.Mandate, u usager.Usager) {
	aidant, err := s.directory.Account(r.Context(), m.AidantID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	duration, _ := mandate.DurationByDays(m.DurationDays)
	pdf, err := mandate.RenderMandateAttestation(mandate.AttestationData{
		MandateID:    m.ID,
		Organisation: mandate.AttestationOrganisation{Name: o.Name, SIRET: o.SIRET},
		AidantName:   aidant.Name(),
		Usager:       attestationUsager(u),
		Procedures:   m.Procedures(), DurationLabel: duration.Label, SignedAt: m.SignedAt, ExpiresAt: m.ExpiresAt,
		TextVersion: m.TextVersion, TextSHA256: m.TextSHA256, Signature: m.Signature, VerificationURL: s.verificationURL(m.ID),
		Consent: mandate.Consent{UsagerDeclared: true, AidantConfirmedAt: m.TOTPConfirmedAt, EmailNotifications: m.NotifyUsager},
		Renews:  m.Renews,
	})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sendPDF(w, "attestation-mandat-"+m.ID+".pdf", pdf)
}

var errNothingRevoked = problem.New(problem.NotFound, "Ce mandat n'a fait l'objet d'aucune révocation.")

// sendRevocationAttestation renders and sends the attestation of what was
// revoked in m: the whole mandate, or the procedures revoked one by one.
func (s *Server) sendRevocationAttestation(w http.ResponseWriter, r *http.Request, o account.Organisation, m mandate.Mandate, u usager.Usager) {
	data := mandate.RevocationData{
		MandateID:    m.ID,
		Organisation: mandate.AttestationOrganisation{Name: o.Name, SIRET: o.SIRET},
		Usager:       attestationUsager(u),
		WholeMandate: m.RevokedAt != nil, MandateSignedAt: m.SignedAt, VerificationURL: s.verificationURL(m.ID),
	}
	byKind, byID := m.RevokedByKind, m.RevokedByID
	var revokedAt time.Time
	if m.RevokedAt != nil {
		revokedAt = *m.RevokedAt
	}
	for _, p := range m.Permissions {
		if p.EndReason != mandate.EndRevoked {
			continue
		}
		data.Procedures = append(data.Procedures, p.Procedure)
		if m.RevokedAt == nil && p.EndedAt != nil && p.EndedAt.After(revokedAt) {
			revokedAt, byKind, byID = *p.EndedAt, p.EndedByKind, p.EndedByID
		}
	}
	if !hasRevocation(m) {
		s.serveError(w, r, errNothingRevoked)
		return
	}
	data.RevokedAt = revokedAt
	data.RevokedBy, data.RevokerName = s.revoker(r, byKind, byID)
	if m.Suspended() {
		data.Reason = "suspendu par l’usager après identification FranceConnect, depuis le lien « Ce n’était pas moi » d’un courriel de Procura"
	}
	pdf, err := mandate.RenderRevocationAttestation(data)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	sendPDF(w, "attestation-revocation-"+m.ID+".pdf", pdf)
}

// hasRevocation reports whether m, or one of its procedures, was revoked:
// whether it has a revocation attestation.
func hasRevocation(m mandate.Mandate) bool {
	return m.RevokedAt != nil || slices.ContainsFunc(m.Permissions, func(p mandate.Permission) bool { return p.EndReason == mandate.EndRevoked })
}

// attestationUsager is u as attestations print them, nom d'usage included.
func attestationUsager(u usager.Usager) mandate.AttestationUsager {
	return mandate.AttestationUsager{GivenNames: u.GivenName, FamilyName: u.FamilyName, UsageName: u.PreferredUsername, Birthdate: u.Birthdate}
}

// revoker says who revoked, as the attestation prints it.
func (s *Server) revoker(r *http.Request, kind, id string) (mandate.RevocationActor, string) {
	switch audit.ActorKind(kind) {
	case audit.ActorUsager:
		return mandate.RevokedByUsager, ""
	case audit.ActorManager:
		if a, err := s.directory.Account(r.Context(), id); err == nil {
			return mandate.RevokedByOrganisation, a.Name()
		}
		return mandate.RevokedByOrganisation, ""
	}
	if a, err := s.directory.Account(r.Context(), id); err == nil {
		return mandate.RevokedByAidant, a.Name()
	}
	return mandate.RevokedByAidant, ""
}

func sendPDF(w http.ResponseWriter, filename string, pdf []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	w.WriteHeader(http.StatusOK)
	bytes.NewReader(pdf).WriteTo(w)
}
