package mandate

import (
	"procura/procedure"

	"time"
)

// RevocationActor says who revoked a mandate or a permission, as the
// revocation attestation tells it.
type RevocationActor string

const (
	RevokedByUsager       RevocationActor = "usager"       // in their usager space
	RevokedByAidant       RevocationActor = "aidant"       // an aidant of the organisation, usually with the usager
	RevokedByOrganisation RevocationActor = "organisation" // a manager (responsable de structure) of the organisation
)

// RevocationData is what the attestation of a revocation prints.
type RevocationData struct {
	MandateID    string
	Organisation AttestationOrganisation
	Usager       AttestationUsager
	// WholeMandate: the whole mandate was revoked. Otherwise only the
	// permissions of Procedures were, and the rest of the mandate stands.
	WholeMandate bool
	// Procedures are the ids of the revoked procedures: required for a
	// partial revocation; for a whole mandate, optional (the permissions
	// that were still active).
	Procedures      []string
	MandateSignedAt time.Time // optional
	RevokedAt       time.Time
	RevokedBy       RevocationActor
	// RevokerName is the aidant or manager who revoked; not used when the
	// usager revoked.
	RevokerName     string
	Reason          string // optional
	VerificationURL string
}

// RenderRevocationAttestation returns the printable attestation of the
// revocation of a mandate or of some of its procedures, an A4 PDF with a QR
// code to the mandate's verification page. Incomplete or inconsistent data
// is refused with an error wrapping ErrAttestationData, and no PDF.
func RenderRevocationAttestation(r RevocationData) ([]byte, error) {
	procs, err := checkRevocation(r)
	if err != nil {
		return nil, err
	}
	paris, err := Paris()
	if err != nil {
		return nil, err
	}
	return render(func() ([]byte, error) {
		d, err := newDocument("Attestation de révocation · mandat n° "+r.MandateID, "Attestation de révocation · mandat n° "+r.MandateID, r.RevokedAt)
		if err != nil {
			return nil, err
		}
		writeRevocation(d, r, procs, paris)
		err = d.verification(r.VerificationURL,
			"Scannez ce code, ou saisissez l’adresse ci-dessous, pour vérifier l’état du mandat : la page de vérification indique qu’il est révoqué, ou quelles démarches restent en cours. Elle n’affiche pas l’identité de l’usager.",
			nil)
		if err != nil {
			return nil, err
		}
		return d.bytes()
	})
}

func checkRevocation(r RevocationData) ([]procedure.Procedure, error) {
	var c checker
	c.required("mandate id", r.MandateID, maxShortField)
	c.organisation(r.Organisation)
	c.usager(r.Usager)
	procs := c.procedures(r.Procedures, !r.WholeMandate)
	c.when("revocation time", r.RevokedAt)
	if !r.MandateSignedAt.IsZero() && r.RevokedAt.Before(r.MandateSignedAt) {
		c.addf("revocation time %s is before the mandate's signature %s", r.RevokedAt, r.MandateSignedAt)
	}
	switch r.RevokedBy {
	case RevokedByUsager:
	case RevokedByAidant, RevokedByOrganisation:
		c.required("revoker name", r.RevokerName, maxShortField)
	default:
		c.addf("revoker %q is none of usager, aidant, organisation", r.RevokedBy)
	}
	c.optional("reason", r.Reason, maxReason)
	c.verificationURL(r.VerificationURL)
	return procs, c.err()
}

func writeRevocation(d *document, r RevocationData, procs []procedure.Procedure, paris *time.Location) {
	d.title("Attestation de révocation", "Mandat n° "+r.MandateID+" · révocation enregistrée par Procura le "+FrenchDate(r.RevokedAt, paris))

	d.heading("Ce qui est révoqué", 3*lineHeight)
	signed := ""
	if !r.MandateSignedAt.IsZero() {
		signed = ", signé le " + FrenchDate(r.MandateSignedAt, paris)
	}
	switch {
	case r.WholeMandate && len(procs) > 0:
		d.paragraph("Le mandat n° " + r.MandateID + signed + " est révoqué en entier. Il couvrait encore les démarches suivantes :")
	case r.WholeMandate:
		d.paragraph("Le mandat n° " + r.MandateID + signed + " est révoqué en entier.")
	default:
		d.paragraph("Dans le mandat n° " + r.MandateID + signed + ", les démarches suivantes sont révoquées ; les autres démarches du mandat restent valables jusqu’à sa fin :")
	}
	labels := make([]string, len(procs))
	for i, p := range procs {
		labels[i] = p.Label
	}
	d.bullets(labels, make([]string, len(procs)))

	d.heading("Les parties", 4*lineHeight)
	writeUsagerFields(d, r.Usager, "Usager (mandant)")
	writeOrganisationFields(d, r.Organisation, "Organisation (mandataire)")

	d.heading("Révocation", 3*lineHeight)
	d.field("Date", FrenchParisDateTime(r.RevokedAt, paris))
	d.field("Révoqué par", revokerText(r))
	if oneLine(r.Reason) != "" {
		d.field("Motif", oneLine(r.Reason))
	}
	d.pdf.Ln(1)
	d.paragraph("La révocation a pris effet immédiatement : les aidants de l’organisation ne peuvent plus agir au nom de l’usager pour ces démarches, et les connexions qu’ils avaient ouvertes sous ce mandat ont cessé de fonctionner. Elle est inscrite au journal, que l’usager peut consulter dans son espace usager.")

	switch r.RevokedBy {
	case RevokedByAidant:
		d.pdf.Ln(2)
		d.signatureBoxes("Signature de l’usager", "Signature de l’aidant")
	case RevokedByOrganisation:
		d.pdf.Ln(2)
		d.signatureBoxes("Signature du responsable de la structure")
	}
}

func revokerText(r RevocationData) string {
	switch r.RevokedBy {
	case RevokedByUsager:
		return "l’usager, " + usagerName(r.Usager) + ", depuis son espace usager"
	case RevokedByAidant:
		return oneLine(r.RevokerName) + ", aidant de l’organisation " + oneLine(r.Organisation.Name)
	default:
		return oneLine(r.RevokerName) + ", responsable de la structure " + oneLine(r.Organisation.Name)
	}
}
