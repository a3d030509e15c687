package mandate

import (
	"procura/procedure"
	"sync"
	"sync/atomic"

	"bytes"
	"errors"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests do not depend on the machine's zoneinfo

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"procura/problem"
)

const testVerificationURL = "https://procura.example.fr/verifier/mandat/8f14e45f-ceea-467f-a0e6-b6c1a2d3e4f5?c=Zm9vYmFy"

// testJWS is shaped like a compact ES256 JWS; the attestation only prints
// its fingerprint.
const testJWS = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJtYW5kYXRlIjoiOGYxNGU0NWYifQ.c2lnbmF0dXJlLWJ5dGVzLW9mLXRoZS1tYW5kYXRl"

func testAttestation(t testing.TB) AttestationData {
	t.Helper()
	paris, err := Paris()
	if err != nil {
		t.Fatal(err)
	}
	text := CurrentMandateText()
	signed := time.Date(2026, time.November, 22, 14, 5, 0, 0, paris)
	return AttestationData{
		MandateID: "8f14e45f-ceea-467f-a0e6-b6c1a2d3e4f5",
		Organisation: AttestationOrganisation{
			Name:    "France Services de Saint-Étienne-du-Rouvray",
			SIRET:   "21760575300014",
			Address: "12 rue de l’Église, 76800 Saint-Étienne-du-Rouvray",
		},
		AidantName: "Loïc Œhlenschläger",
		Usager: AttestationUsager{
			GivenNames: "Élodie Françoise",
			FamilyName: "D'Arcy-Lefèvre",
			Birthdate:  "1962-00-00",
		},
		Procedures:      []string{"social", "argent", "papiers"},
		DurationLabel:   "1 an (365 jours)",
		SignedAt:        signed,
		ExpiresAt:       signed.Add(365 * 24 * time.Hour),
		TextVersion:     text.Version,
		TextSHA256:      text.SHA256,
		Signature:       testJWS,
		VerificationURL: testVerificationURL,
		Consent: Consent{
			UsagerDeclared:     true,
			AidantConfirmedAt:  signed.Add(-time.Minute),
			EmailNotifications: true,
		},
	}
}

func testRevocation(t testing.TB) RevocationData {
	t.Helper()
	a := testAttestation(t)
	return RevocationData{
		MandateID:       a.MandateID,
		Organisation:    a.Organisation,
		Usager:          a.Usager,
		Procedures:      []string{"argent"},
		MandateSignedAt: a.SignedAt,
		RevokedAt:       time.Date(2027, time.March, 1, 9, 7, 0, 0, time.UTC),
		RevokedBy:       RevokedByAidant,
		RevokerName:     "Loïc Œhlenschläger",
		Reason:          "L’usager gère désormais seul « ses impôts » : 0 € à régler.",
		VerificationURL: testVerificationURL,
	}
}

// pdfText extracts the text of a PDF with poppler's pdftotext, keeping the
// layout (a label stays on the line of its value), with runs of white space
// (line ends, non-breaking spaces) made single spaces.
func pdfText(t testing.TB, pdf []byte) (text string, pages int) {
	t.Helper()
	bin := popplerTool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "attestation.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages = strings.Count(strings.TrimRight(string(out), "\f"), "\f") + 1
	return strings.Join(strings.Fields(string(out)), " "), pages
}

// popplerTool finds a poppler-utils binary. Its absence fails the test (it
// must not pass silently): `make test` installs poppler-utils.
func popplerTool(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is missing: install Debian's poppler-utils (apt-get install poppler-utils), as `make test` does", name)
	}
	return bin
}

func assertContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
}

func TestRenderMandateAttestation(t *testing.T) {
	a := testAttestation(t)
	pdf, err := RenderMandateAttestation(a)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	text, pages := pdfText(t, pdf)
	if pages < 1 || pages > 2 {
		t.Errorf("got %d pages, want 1 or 2", pages)
	}
	assertContains(t, text,
		"Attestation de mandat",
		"Élodie Françoise D'Arcy-Lefèvre",
		"1962 (jour et mois inconnus)",
		"France Services de Saint-Étienne-du-Rouvray",
		"217 605 753 00014",
		"12 rue de l’Église, 76800 Saint-Étienne-du-Rouvray",
		"Loïc Œhlenschläger",
		"Papiers - Citoyenneté - Élections",
		"Social - Santé",
		"Argent - Impôts - Consommation",
		"Attention : Les actes bancaires (virements, gestion de comptes) sont exclus du mandat.",
		"1 an (365 jours)",
		"22 novembre 2026 à 14 h 05",
		"22 novembre 2027 à 14 h 05",
		"22 novembre 2026 à 14 h 04", // the aidant's confirmation
		"un courriel qui liste chaque connexion faite en son nom",
		"Signature de l’usager", "Signature de l’aidant",
		"Fait à 12 rue de l’Église, 76800 Saint-Étienne-du-Rouvray, le 22 novembre 2026.",
		"Mandat n° 8f14e45f-ceea-467f-a0e6-b6c1a2d3e4f5",
		"Page 1 / ",
		testVerificationURL,
		CurrentMandateText().SHA256,
		SignatureFingerprint(testJWS),
	)
	// The whole mandate text is printed, accents, apostrophes, guillemets
	// and œ included.
	for _, b := range CurrentMandateText().Blocks() {
		assertContains(t, text, strings.Join(strings.Fields(b.Text), " "))
	}
	// Nothing fell back to "?" or the missing-glyph square (the URL's query
	// aside).
	if rest := strings.ReplaceAll(text, testVerificationURL, ""); strings.ContainsAny(rest, "?\uFFFD"+string(missingGlyph)) {
		t.Errorf("the PDF text has replacement characters: %s", rest)
	}
}

// maxAttestationSize bounds an attestation's PDF: fpdf embeds only the
// glyphs a document uses, so names in other scripts add a few kB, not the
// 400 kB of a whole face.
const maxAttestationSize = 100_000

// TestRenderAttestationsNamesInManyScripts: a usager's name prints exactly
// as typed, whatever its script, on both attestations. (The QR code does not
// depend on the fonts: TestAttestationQRCode scans it.)
func TestRenderAttestationsNamesInManyScripts(t *testing.T) {
	tests := []struct {
		name       string
		usager     AttestationUsager
		wantName   string // as printed: given names, then family name
		wantFields []string
	}{
		{name: "Greek", usager: AttestationUsager{GivenNames: "Ελένη", FamilyName: "Παπαδοπούλου"}, wantName: "Ελένη Παπαδοπούλου"},
		{
			name:       "Cyrillic, with a usage name",
			usager:     AttestationUsager{GivenNames: "Наталья Сергеевна", FamilyName: "Иванова", UsageName: "Щербакова-Ёлкина"},
			wantName:   "Наталья Сергеевна Иванова",
			wantFields: []string{"Nom d’usage Щербакова-Ёлкина"},
		},
		{name: "Vietnamese", usager: AttestationUsager{GivenNames: "Thị Minh Khai", FamilyName: "Nguyễn"}, wantName: "Thị Minh Khai Nguyễn"},
		{name: "Latin Extended-A and Danish", usager: AttestationUsager{GivenNames: "Zoë", FamilyName: "Łukasiewicz-Ørsted"}, wantName: "Zoë Łukasiewicz-Ørsted"},
		{name: "Turkish", usager: AttestationUsager{GivenNames: "Şükrü", FamilyName: "Çağlar"}, wantName: "Şükrü Çağlar"},
		{name: "typographic apostrophe", usager: AttestationUsager{GivenNames: "Anne-Sophie", FamilyName: "d’Arcy"}, wantName: "Anne-Sophie d’Arcy"},
		{name: "decomposed accents", usager: AttestationUsager{GivenNames: "Ele\u0301onore", FamilyName: "Tra\u0302\u0300n"}, wantName: "Eléonore Trần"},
		{
			// The fonts have no glyph for these: each prints as a square,
			// never as nothing.
			name:     "characters the fonts lack",
			usager:   AttestationUsager{GivenNames: "Ỻewelyn", FamilyName: "李"},
			wantName: "□ewelyn □",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAttestation(t)
			tt.usager.Birthdate = "1975-04-09"
			a.Usager = tt.usager
			r := testRevocation(t)
			r.Usager = tt.usager
			r.RevokedBy, r.RevokerName = RevokedByUsager, ""

			mandatePDF, err := RenderMandateAttestation(a)
			if err != nil {
				t.Fatal(err)
			}
			revocationPDF, err := RenderRevocationAttestation(r)
			if err != nil {
				t.Fatal(err)
			}
			wants := map[string][]string{
				"mandate":    append([]string{"Usager (mandant) " + tt.wantName, tt.wantName + " donne mandat à"}, tt.wantFields...),
				"revocation": append([]string{"Usager (mandant) " + tt.wantName, "l’usager, " + tt.wantName + ", depuis son espace usager"}, tt.wantFields...),
			}
			for doc, pdf := range map[string][]byte{"mandate": mandatePDF, "revocation": revocationPDF} {
				if len(pdf) > maxAttestationSize {
					t.Errorf("%s attestation: %d bytes, want at most %d", doc, len(pdf), maxAttestationSize)
				}
				text, _ := pdfText(t, pdf)
				for _, want := range wants[doc] {
					if !strings.Contains(text, want) {
						t.Errorf("%s attestation: the PDF text lacks %q", doc, want)
					}
				}
				rest := strings.ReplaceAll(text, testVerificationURL, "")
				if strings.ContainsAny(rest, "?\uFFFD") || strings.Count(rest, "□") != 2*strings.Count(tt.wantName, "□") {
					t.Errorf("%s attestation: unexpected replacement characters in %s", doc, rest)
				}
			}
		})
	}
}

func TestRenderMandateAttestationAllProceduresFitTwoPages(t *testing.T) {
	a := testAttestation(t)
	a.Procedures = nil
	for _, p := range procedure.All() {
		a.Procedures = append(a.Procedures, p.ID)
	}
	a.Usager.UsageName = "Martin-Dupont"
	a.Organisation.Name = strings.Repeat("Maison France Services intercommunale ", 4)
	a.Renews = "0b8e2f6a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
	pdf, err := RenderMandateAttestation(a)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := pdfText(t, pdf)
	if pages > 2 {
		t.Errorf("got %d pages, want at most 2", pages)
	}
	for _, p := range procedure.All() {
		assertContains(t, text, p.Label)
	}
	assertContains(t, text, "Nom d’usage Martin-Dupont", "Page 2 / 2",
		"Renouvellement ce mandat renouvelle le mandat n° 0b8e2f6a-1c3d-4e5f-8a9b-0c1d2e3f4a5b")
}

func TestRenderRevocationAttestation(t *testing.T) {
	r := testRevocation(t)
	pdf, err := RenderRevocationAttestation(r)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := pdfText(t, pdf)
	if pages != 1 {
		t.Errorf("got %d pages, want 1", pages)
	}
	assertContains(t, text,
		"Attestation de révocation",
		"Élodie Françoise D'Arcy-Lefèvre",
		"1962 (jour et mois inconnus)",
		"Argent - Impôts - Consommation",
		"les autres démarches du mandat restent valables",
		"signé le 22 novembre 2026",
		"1er mars 2027 à 10 h 07 (heure de Paris)", // 09:07 UTC is 10:07 in Paris in winter
		"Loïc Œhlenschläger, aidant de l’organisation France Services de Saint-Étienne-du-Rouvray",
		"L’usager gère désormais seul « ses impôts » : 0 € à régler.",
		"Signature de l’usager", "Signature de l’aidant",
		"Mandat n° 8f14e45f-ceea-467f-a0e6-b6c1a2d3e4f5",
		testVerificationURL,
	)
	if strings.Contains(text, "Social - Santé") {
		t.Error("a procedure that was not revoked is listed")
	}
}

func TestRenderRevocationAttestationByWhom(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*RevocationData)
		want     []string
		wantNone []string
	}{
		{
			name: "usager, whole mandate",
			change: func(r *RevocationData) {
				r.RevokedBy, r.RevokerName, r.WholeMandate, r.Procedures, r.Reason = RevokedByUsager, "", true, nil, ""
			},
			want:     []string{"est révoqué en entier.", "l’usager, Élodie Françoise D'Arcy-Lefèvre, depuis son espace usager"},
			wantNone: []string{"Signature", "Motif"},
		},
		{
			name: "organisation, whole mandate with its remaining procedures",
			change: func(r *RevocationData) {
				r.RevokedBy, r.RevokerName, r.WholeMandate = RevokedByOrganisation, "Anne-Laure N’Diaye", true
				r.Procedures = []string{"logement", "etranger"}
			},
			want: []string{
				"Il couvrait encore les démarches suivantes : • Logement • Étranger - Europe",
				"Anne-Laure N’Diaye, responsable de la structure",
				"Signature du responsable de la structure",
			},
			wantNone: []string{"Signature de l’usager"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRevocation(t)
			tt.change(&r)
			pdf, err := RenderRevocationAttestation(r)
			if err != nil {
				t.Fatal(err)
			}
			text, _ := pdfText(t, pdf)
			assertContains(t, text, tt.want...)
			for _, s := range tt.wantNone {
				if strings.Contains(text, s) {
					t.Errorf("the PDF text has %q", s)
				}
			}
		})
	}
}

// TestAttestationQRCode renders the pages as a scanner would see them and
// decodes the QR code: it must give the verification URL back.
func TestAttestationQRCode(t *testing.T) {
	mandate, err := RenderMandateAttestation(testAttestation(t))
	if err != nil {
		t.Fatal(err)
	}
	revocation, err := RenderRevocationAttestation(testRevocation(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, pdf := range map[string][]byte{"mandate": mandate, "revocation": revocation} {
		t.Run(name, func(t *testing.T) {
			got := decodeQRCodes(t, pdf)
			if !slices.Equal(got, []string{testVerificationURL}) {
				t.Errorf("QR codes decode to %q, want [%q]", got, testVerificationURL)
			}
		})
	}
}

// decodeQRCodes rasterises every page with poppler's pdftoppm and returns
// what the QR codes found on them say.
func decodeQRCodes(t *testing.T, pdf []byte) []string {
	t.Helper()
	bin := popplerTool(t, "pdftoppm")
	dir := t.TempDir()
	path := filepath.Join(dir, "attestation.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-r", "150", "-gray", "-png", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	slices.Sort(pngs)
	var found []string
	for _, png := range pngs {
		f, err := os.Open(png)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
		if err == nil {
			found = append(found, res.GetText())
		}
	}
	return found
}

// TestRenderIsDeterministic: the same data gives the same bytes, font
// subsets included (fpdf builds them from maps), with a name whose glyphs
// come from several scripts.
func TestRenderIsDeterministic(t *testing.T) {
	a := testAttestation(t)
	a.Usager.GivenNames, a.Usager.FamilyName = "Ελένη Наталья", "Nguyễn d’Arcy-Łukasiewicz"
	r := testRevocation(t)
	r.Usager = a.Usager
	renders := map[string]func() ([]byte, error){
		"mandate":    func() ([]byte, error) { return RenderMandateAttestation(a) },
		"revocation": func() ([]byte, error) { return RenderRevocationAttestation(r) },
	}
	for name, render := range renders {
		first, err := render()
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			again, err := render()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, again) {
				t.Fatalf("%s: the same data rendered twice gives different PDFs", name)
			}
		}
	}
}

func TestRenderMandateAttestationRefusesBadData(t *testing.T) {
	tests := []struct {
		name   string
		change func(*AttestationData)
		detail string // in the wrapped error
	}{
		{"no usager family name", func(a *AttestationData) { a.Usager.FamilyName = " " }, "usager family name is missing"},
		{"no usager given names", func(a *AttestationData) { a.Usager.GivenNames = "" }, "usager given names is missing"},
		{"bad birthdate", func(a *AttestationData) { a.Usager.Birthdate = "1962-02-30" }, "no such day"},
		{"no procedures", func(a *AttestationData) { a.Procedures = nil }, "no procedure"},
		{"unknown procedure", func(a *AttestationData) { a.Procedures = []string{"social", "banque"} }, `unknown procedure "banque"`},
		{"procedure twice", func(a *AttestationData) { a.Procedures = []string{"social", "social"} }, `procedure "social" listed 2 times`},
		{"no verification URL", func(a *AttestationData) { a.VerificationURL = "" }, "verification URL is missing"},
		{"relative verification URL", func(a *AttestationData) { a.VerificationURL = "/verifier/x" }, "not an absolute http(s) URL"},
		{"javascript URL", func(a *AttestationData) { a.VerificationURL = "javascript:alert(1)" }, "not an absolute http(s) URL"},
		{"URL too long for a QR code", func(a *AttestationData) { a.VerificationURL = "https://procura.example.fr/" + strings.Repeat("a", 300) }, "longer than 300 bytes"},
		{"URL with spaces", func(a *AttestationData) { a.VerificationURL = "https://procura.example.fr/vérifier mandat" }, "escape them"},
		{"no mandate id", func(a *AttestationData) { a.MandateID = "" }, "mandate id is missing"},
		{"no organisation", func(a *AttestationData) { a.Organisation.Name = "" }, "organisation name is missing"},
		{"bad SIRET", func(a *AttestationData) { a.Organisation.SIRET = "1234" }, "not 14 digits"},
		{"no aidant", func(a *AttestationData) { a.AidantName = "" }, "aidant name is missing"},
		{"no duration", func(a *AttestationData) { a.DurationLabel = "" }, "duration label is missing"},
		{"expiry before signature", func(a *AttestationData) { a.ExpiresAt = a.SignedAt }, "is not after signature time"},
		{"unknown text version", func(a *AttestationData) { a.TextVersion = "v99" }, "unknown"},
		{"text hash of another text", func(a *AttestationData) { a.TextSHA256 = strings.Repeat("0", 64) }, "signed over another text"},
		{"not a JWS", func(a *AttestationData) { a.Signature = "abc.def" }, "not a compact JWS"},
		{"no consent", func(a *AttestationData) { a.Consent.UsagerDeclared = false }, "consent was not declared"},
		{"name not UTF-8", func(a *AttestationData) { a.Usager.FamilyName = "D\xe9rcy" }, "not valid UTF-8"},
		{"name too long", func(a *AttestationData) { a.Usager.FamilyName = strings.Repeat("é", 301) }, "longer than 300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAttestation(t)
			tt.change(&a)
			pdf, err := RenderMandateAttestation(a)
			assertRefused(t, pdf, err, tt.detail)
		})
	}
}

func TestRenderRevocationAttestationRefusesBadData(t *testing.T) {
	tests := []struct {
		name   string
		change func(*RevocationData)
		detail string
	}{
		{"no usager name", func(r *RevocationData) { r.Usager.FamilyName = "" }, "usager family name is missing"},
		{"partial without procedures", func(r *RevocationData) { r.Procedures = nil }, "no procedure"},
		{"unknown procedure", func(r *RevocationData) { r.Procedures = []string{"impots"} }, `unknown procedure "impots"`},
		{"no verification URL", func(r *RevocationData) { r.VerificationURL = "" }, "verification URL is missing"},
		{"no time", func(r *RevocationData) { r.RevokedAt = time.Time{} }, "revocation time is missing"},
		{"before signature", func(r *RevocationData) { r.RevokedAt = r.MandateSignedAt.Add(-time.Hour) }, "before the mandate's signature"},
		{"unknown revoker", func(r *RevocationData) { r.RevokedBy = "operator" }, "none of usager, aidant, organisation"},
		{"aidant without name", func(r *RevocationData) { r.RevokerName = "" }, "revoker name is missing"},
		{"reason too long", func(r *RevocationData) { r.Reason = strings.Repeat("x", 1001) }, "longer than 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRevocation(t)
			tt.change(&r)
			pdf, err := RenderRevocationAttestation(r)
			assertRefused(t, pdf, err, tt.detail)
		})
	}
}

func assertRefused(t *testing.T, pdf []byte, err error, detail string) {
	t.Helper()
	if err == nil {
		t.Fatal("rendered, want an error")
	}
	if pdf != nil {
		t.Errorf("got %d bytes of PDF with the error", len(pdf))
	}
	if !errors.Is(err, ErrAttestationData) {
		t.Errorf("error %v is not ErrAttestationData", err)
	}
	if problem.CodeOf(err) != problem.Invalid {
		t.Errorf("code %q, want %q", problem.CodeOf(err), problem.Invalid)
	}
	if !strings.Contains(err.Error(), detail) {
		t.Errorf("error %q does not say %q", err, detail)
	}
}

// TestAttestationErrorNamesEveryProblem: one error lists all that is wrong,
// so that a bug upstream is fixed in one go.
func TestAttestationErrorNamesEveryProblem(t *testing.T) {
	_, err := RenderMandateAttestation(AttestationData{})
	if err == nil {
		t.Fatal("rendered empty data")
	}
	for _, want := range []string{"mandate id", "organisation name", "usager family name", "no procedure", "verification URL", "consent"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestSignatureFingerprint(t *testing.T) {
	got := SignatureFingerprint("a.b.c")
	if !regexp.MustCompile(`^([0-9a-f]{4} ){15}[0-9a-f]{4}$`).MatchString(got) {
		t.Errorf("fingerprint %q is not 16 groups of 4 hex digits", got)
	}
	if got == SignatureFingerprint("a.b.d") {
		t.Error("two signatures have the same fingerprint")
	}
}

func BenchmarkRenderMandateAttestation(b *testing.B) {
	a := testAttestation(b)
	for b.Loop() {
		if _, err := RenderMandateAttestation(a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderRevocationAttestation(b *testing.B) {
	r := testRevocation(b)
	for b.Loop() {
		if _, err := RenderRevocationAttestation(r); err != nil {
			b.Fatal(err)
		}
	}
}

// Renderings beyond cap(renderSlots) wait for a slot: memory does not grow
// with the number of downloads at once.
func TestRenderingsAreBounded(t *testing.T) {
	var now, peak atomic.Int32
	var wg sync.WaitGroup
	for range 4 * cap(renderSlots) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := render(func() ([]byte, error) {
				n := now.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(5 * time.Millisecond)
				now.Add(-1)
				return nil, nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := int(peak.Load()); got > cap(renderSlots) || got < 2 {
		t.Errorf("%d renderings at once, want between 2 and %d", got, cap(renderSlots))
	}
}
