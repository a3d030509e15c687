package web

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"procura/audit"
	"procura/mandate"
	"procura/problem"
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
	c, m, u := mp.caller, mp.mandate, mp.usager
	aidant, err := s.directory.Account(r.Context(), m.AidantID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	duration, _ := mandate.DurationByDays(m.DurationDays)
	pdf, err := mandate.RenderMandateAttestation(mandate.AttestationData{
		MandateID:    m.ID,
		Organisation: mandate.AttestationOrganisation{Name: c.Current.Organisation.Name, SIRET: c.Current.Organisation.SIRET},
		AidantName:   aidant.Name(),
		Usager:       mandate.AttestationUsager{GivenNames: u.GivenName, FamilyName: u.FamilyName, UsageName: u.PreferredUsername, Birthdate: u.Birthdate},
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

// handleRevocationAttestation sends the attestation of what was revoked in
// a mandate: the whole mandate, or the procedures revoked one by one.
func (s *Server) handleRevocationAttestation(w http.ResponseWriter, r *http.Request) {
	mp, ok := s.loadMandate(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	c, m, u := mp.caller, mp.mandate, mp.usager
	data := mandate.RevocationData{
		MandateID:    m.ID,
		Organisation: mandate.AttestationOrganisation{Name: c.Current.Organisation.Name, SIRET: c.Current.Organisation.SIRET},
		Usager:       mandate.AttestationUsager{GivenNames: u.GivenName, FamilyName: u.FamilyName, UsageName: u.PreferredUsername, Birthdate: u.Birthdate},
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
	if len(data.Procedures) == 0 && m.RevokedAt == nil {
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
