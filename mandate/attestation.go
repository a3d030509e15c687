package mandate

import (
	"procura/procedure"
	"runtime"

	"fmt"
	"time"
)

// AttestationData is what the attestation of a mandate prints. The caller
// builds it from the mandate it has just signed (or loads again to reprint).
type AttestationData struct {
	MandateID    string
	Organisation AttestationOrganisation
	AidantName   string // the aidant who collected the mandate
	Usager       AttestationUsager
	Procedures   []string // procedure ids; printed in catalogue order
	// DurationLabel is the duration as the aidant chose it (Duration.Label).
	DurationLabel string
	SignedAt      time.Time
	ExpiresAt     time.Time
	// TextVersion and TextSHA256 name the mandate text the usager consented
	// to; the attestation prints that version, after checking its hash.
	TextVersion string
	TextSHA256  string
	// Signature is Procura's compact JWS over the mandate; the attestation
	// prints its fingerprint (see SignatureFingerprint).
	Signature string
	// VerificationURL is the public page that checks the signature and says
	// whether the mandate is active, expired or revoked; printed and encoded
	// in a QR code.
	VerificationURL string
	Consent         Consent
	// Renews is the id of the mandate this one renews, if it does.
	Renews string
}

// Consent is what was declared and confirmed when the mandate was signed.
type Consent struct {
	// UsagerDeclared: the usager ticked the consent box of the recap page.
	// No attestation is printed without it.
	UsagerDeclared bool
	// AidantConfirmedAt is when the aidant confirmed with their TOTP code
	// (optional: printed when set).
	AidantConfirmedAt time.Time
	// EmailNotifications: the usager asked to be told by email of every
	// delegated login made under the mandate.
	EmailNotifications bool
}

// RenderMandateAttestation returns the printable attestation of a mandate, a
// one- or two-page A4 PDF: the parties, the procedures, the duration, the
// consent, the full mandate text, boxes for signing on paper, and a QR code
// to the verification page. Incomplete or inconsistent data is refused with
// an error wrapping ErrAttestationData, and no PDF.
func RenderMandateAttestation(a AttestationData) ([]byte, error) {
	procs, text, err := checkAttestation(a)
	if err != nil {
		return nil, err
	}
	paris, err := Paris()
	if err != nil {
		return nil, err
	}
	return render(func() ([]byte, error) {
		d, err := newDocument("Attestation de mandat n° "+a.MandateID, "Attestation de mandat · mandat n° "+a.MandateID, a.SignedAt)
		if err != nil {
			return nil, err
		}
		writeMandateSummary(d, a, procs, paris)
		err = d.verification(a.VerificationURL,
			"Scannez ce code, ou saisissez l’adresse ci-dessous, pour vérifier que ce mandat a bien été signé par Procura et savoir s’il est en cours, expiré ou révoqué. La page de vérification n’affiche pas l’identité de l’usager.",
			[]string{"Empreinte de la signature électronique du mandat (SHA-256) :\n" + SignatureFingerprint(a.Signature)})
		if err != nil {
			return nil, err
		}
		writeMandateText(d, text)
		writeMandateSignatures(d, a, paris)
		return d.bytes()
	})
}

func checkAttestation(a AttestationData) ([]procedure.Procedure, MandateText, error) {
	var c checker
	c.required("mandate id", a.MandateID, maxShortField)
	c.organisation(a.Organisation)
	c.required("aidant name", a.AidantName, maxShortField)
	c.usager(a.Usager)
	procs := c.procedures(a.Procedures, true)
	c.required("duration label", a.DurationLabel, maxShortField)
	c.when("signature time", a.SignedAt)
	c.when("expiry time", a.ExpiresAt)
	if !a.SignedAt.IsZero() && !a.ExpiresAt.After(a.SignedAt) {
		c.addf("expiry time %s is not after signature time %s", a.ExpiresAt, a.SignedAt)
	}
	text, err := MandateTextByVersion(a.TextVersion)
	switch {
	case err != nil:
		c.addf("%w", err)
	case a.TextSHA256 != text.SHA256:
		c.addf("mandate text %s has SHA-256 %s, not %q: the mandate was signed over another text", text.Version, text.SHA256, a.TextSHA256)
	}
	c.compactJWS(a.Signature)
	c.verificationURL(a.VerificationURL)
	c.optional("renewed mandate id", a.Renews, maxShortField)
	if !a.Consent.UsagerDeclared {
		c.addf("the usager's consent was not declared")
	}
	return procs, text, c.err()
}

func writeMandateSummary(d *document, a AttestationData, procs []procedure.Procedure, paris *time.Location) {
	name := usagerName(a.Usager)
	d.title("Attestation de mandat", "Mandat n° "+a.MandateID+" · établi avec Procura le "+FrenchDate(a.SignedAt, paris))
	d.paragraph(name + " donne mandat à " + oneLine(a.Organisation.Name) +
		" pour réaliser en son nom les démarches administratives en ligne ci-dessous, pendant la durée indiquée, aux conditions du texte du mandat reproduit plus bas.")

	d.heading("Les parties", 4*lineHeight)
	writeUsagerFields(d, a.Usager, "Usager (mandant)")
	writeOrganisationFields(d, a.Organisation, "Organisation (mandataire)")
	d.field("Mandat recueilli par", oneLine(a.AidantName)+", aidant habilité de l’organisation")

	d.heading("Démarches autorisées", 2*lineHeight)
	labels, notes := make([]string, len(procs)), make([]string, len(procs))
	for i, p := range procs {
		labels[i] = p.Label
		if p.Warning != "" {
			notes[i] = "Attention : " + p.Warning
		}
	}
	d.bullets(labels, notes)

	d.heading("Durée et consentement", 4*lineHeight)
	d.field("Durée", oneLine(a.DurationLabel))
	d.field("Début", FrenchParisDateTime(a.SignedAt, paris))
	d.field("Fin", FrenchParisDateTime(a.ExpiresAt, paris)+", sauf révocation avant cette date")
	if note := DaylightSavingNote(a.SignedAt, a.ExpiresAt, paris); note != "" {
		d.field("Changement d’heure", note)
	}
	if renews := oneLine(a.Renews); renews != "" {
		d.field("Renouvellement", "ce mandat renouvelle le mandat n° "+renews)
	}
	consent := "déclaré par l’usager, qui a coché la case de consentement au texte du mandat reproduit ci-dessous"
	if !a.Consent.AidantConfirmedAt.IsZero() {
		consent += " ; confirmé par l’aidant avec son code à usage unique le " + FrenchDateTime(a.Consent.AidantConfirmedAt, paris)
	}
	d.field("Consentement", consent)
	if a.Consent.EmailNotifications {
		// Exactly what package notice does: every delegated login under
		// this mandate is listed in a message, at most one an hour, and
		// the mandate's changes are told (package notice); the address
		// is FranceConnect's or one given at signature, so none is named.
		// (Its length keeps the attestation on two pages.)
		d.field("Avis par courriel", "demandé : Procura écrit à l’usager un courriel qui liste chaque connexion faite en son nom "+
			"(au plus un par heure) et le prévient des changements du mandat")
	} else {
		d.field("Avis par courriel", "non demandé : l’usager consulte les connexions faites en son nom dans son espace usager")
	}
}

func writeUsagerFields(d *document, u AttestationUsager, label string) {
	d.field(label, usagerName(u))
	if oneLine(u.UsageName) != "" {
		d.field("Nom d’usage", oneLine(u.UsageName))
	}
	birth, _ := FrenchBirthdate(u.Birthdate) // checked before rendering
	d.field("Date de naissance", birth)
}

func writeOrganisationFields(d *document, o AttestationOrganisation, label string) {
	d.field(label, oneLine(o.Name))
	d.field("SIRET", formatSIRET(o.SIRET))
	if oneLine(o.Address) != "" {
		d.field("Adresse", oneLine(o.Address))
	}
}

// writeMandateText prints the mandate text in full, block by block.
func writeMandateText(d *document, text MandateText) {
	const size, h = 8, 3.6
	d.heading("Texte du mandat", 6*h)
	d.note("Version " + text.Version + " du texte. Son empreinte SHA-256, incluse dans la signature du mandat :")
	d.mono(text.SHA256)
	d.pdf.Ln(1.5)
	previous := TextTitle
	for _, b := range text.Blocks() {
		if b.Kind == TextParagraph && previous == TextListItem {
			d.pdf.Ln(0.8)
		}
		previous = b.Kind
		switch b.Kind {
		case TextTitle:
			d.keep(4 * h)
			d.style("B", 10, colourText)
			d.text(5, b.Text)
			d.pdf.Ln(0.5)
		case TextHeading:
			d.keep(4 * h)
			d.pdf.Ln(1)
			d.style("B", size+0.5, colourTitle)
			d.text(h+0.4, b.Text)
		case TextListItem:
			d.bullet(marginSide+3, d.width-3, size, h, b.Text, "")
		default:
			d.style("", size, colourText)
			d.text(h, b.Text)
			d.pdf.Ln(0.8)
		}
	}
}

func writeMandateSignatures(d *document, a AttestationData, paris *time.Location) {
	d.keep(45)
	d.pdf.Ln(3)
	place := ""
	if addr := oneLine(a.Organisation.Address); addr != "" {
		place = "Fait à " + addr + ", le "
	} else {
		place = "Fait le "
	}
	d.paragraph(place + FrenchDate(a.SignedAt, paris) + ".")
	d.signatureBoxes("Signature de l’usager", "Signature de l’aidant")
}

// renderSlots bounds the attestations rendered at once: one rendering
// holds about 26 MB (the PDF library parses the fonts for each document,
// BENCHMARKS.md), so a burst of downloads waits its turn rather than
// growing the server's memory with the number of requests.
var renderSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// render runs build, at most cap(renderSlots) at once, turning a panic of
// the PDF library into an error: a bad attestation must never take the
// server down.
func render(build func() ([]byte, error)) (pdf []byte, err error) {
	renderSlots <- struct{}{}
	defer func() { <-renderSlots }()
	defer func() {
		if r := recover(); r != nil {
			pdf, err = nil, fmt.Errorf("mandate: rendering an attestation: %v", r)
		}
	}()
	return build()
}
