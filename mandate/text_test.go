package mandate

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// shippedTextHashes pins the SHA-256 of every mandate text version. A failure
// here means a shipped text was edited: put it back as it was, and write the
// new wording in a new version file (see the contract in text.go).
var shippedTextHashes = map[string]string{
	"v1": "0f7b7a5026fba07854f07f3d629a366ccf52815ea02ab70cde86d14737218969",
}

func TestMandateTextsNeverChange(t *testing.T) {
	files, err := fs.Glob(mandateTexts, "texts/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(shippedTextHashes) {
		t.Errorf("%d text files embedded, %d pinned: pin the hash of a new version in shippedTextHashes", len(files), len(shippedTextHashes))
	}
	for version, want := range shippedTextHashes {
		text, err := MandateTextByVersion(version)
		if err != nil {
			t.Fatalf("version %s: %v", version, err)
		}
		if text.SHA256 != want {
			t.Errorf("mandate text %s has SHA-256 %s, was %s when shipped: never edit a shipped text, add a new version", version, text.SHA256, want)
		}
		sum := sha256.Sum256([]byte(text.Body))
		if got := hex.EncodeToString(sum[:]); got != text.SHA256 {
			t.Errorf("version %s: SHA256 field %s is not the hash of Body %s", version, text.SHA256, got)
		}
	}
}

func TestCurrentMandateText(t *testing.T) {
	text := CurrentMandateText()
	if text.Version != CurrentMandateTextVersion {
		t.Errorf("version %q, want %q", text.Version, CurrentMandateTextVersion)
	}
	if _, ok := shippedTextHashes[text.Version]; !ok {
		t.Errorf("the current version %s has no pinned hash", text.Version)
	}
}

// TestMandateTextsAreClean: texts are hashed byte for byte and printed with
// the attestation fonts, so they must be plain NFC UTF-8, with LF line ends,
// and hold only characters the fonts print as they are.
func TestMandateTextsAreClean(t *testing.T) {
	g, err := newGlyphs()
	if err != nil {
		t.Fatal(err)
	}
	for version := range shippedTextHashes {
		text, err := MandateTextByVersion(version)
		if err != nil {
			t.Fatal(err)
		}
		body := text.Body
		switch {
		case !utf8.ValidString(body):
			t.Errorf("%s is not UTF-8", version)
		case !norm.NFC.IsNormalString(body):
			t.Errorf("%s is not in NFC", version)
		case strings.ContainsAny(body, "\r\t\uFEFF"):
			t.Errorf("%s has a CR, a tab or a BOM", version)
		case !strings.HasSuffix(body, "\n"):
			t.Errorf("%s does not end with a newline", version)
		}
		for _, b := range text.Blocks() {
			if got := g.printable(b.Text); got != b.Text {
				t.Errorf("%s: %q does not print as it is: %q", version, b.Text, got)
			}
		}
	}
}

func TestMandateTextMentions(t *testing.T) {
	body := CurrentMandateText().Body
	// What DESIGN.md asks the consent to say, in the words of the text.
	for _, want := range []string{
		"aidants habilités", "en mon nom", "Procura", "pendant la durée indiquée",
		"journal", "espace usager", "révoquer ce mandat", "à tout moment",
		"actes bancaires sont exclus", "Argent - Impôts - Consommation",
		"RGPD", "responsables du traitement", "conservés", "réclamation", "CNIL",
		"articles 1984 et suivants du Code civil",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the mandate text does not say %q", want)
		}
	}
}

func TestMandateTextByVersionRefuses(t *testing.T) {
	for _, version := range []string{"", "v0", "v99", "../v1", "v1.md", "V1", "texts/v1"} {
		if _, err := MandateTextByVersion(version); err == nil {
			t.Errorf("version %q: no error", version)
		}
	}
}

func TestBlocks(t *testing.T) {
	text := MandateText{Body: "# Titre\n\n## Section\n\nUn paragraphe\nsur deux lignes.\n\n- un point\n  qui continue ;\n- un autre.\nSuite du point.\n\nFin.\n"}
	want := []TextBlock{
		{TextTitle, "Titre"},
		{TextHeading, "Section"},
		{TextParagraph, "Un paragraphe sur deux lignes."},
		{TextListItem, "un point qui continue ;"},
		{TextListItem, "un autre. Suite du point."},
		{TextParagraph, "Fin."},
	}
	got := text.Blocks()
	if len(got) != len(want) {
		t.Fatalf("got %d blocks %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("block %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestCurrentMandateTextBlocks(t *testing.T) {
	blocks := CurrentMandateText().Blocks()
	if blocks[0].Kind != TextTitle {
		t.Errorf("the text does not start with its title: %+v", blocks[0])
	}
	kinds := map[TextBlockKind]int{}
	for _, b := range blocks {
		kinds[b.Kind]++
		if strings.HasPrefix(b.Text, "#") || strings.HasPrefix(b.Text, "- ") || b.Text == "" {
			t.Errorf("block left unparsed: %+v", b)
		}
	}
	if kinds[TextHeading] < 4 || kinds[TextListItem] < 5 || kinds[TextParagraph] < 10 {
		t.Errorf("unexpected shape: %v", kinds)
	}
}
