package mandate

import (
	"strings"
	"unicode"

	"github.com/go-fonts/liberation/liberationmonoregular"
	"github.com/go-fonts/liberation/liberationsansbold"
	"github.com/go-fonts/liberation/liberationsansitalic"
	"github.com/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

// The attestations embed Liberation Sans (regular, bold, italic) and
// Liberation Mono 2.1, from github.com/go-fonts/liberation, so that a name
// prints as it was typed, in any Latin, Greek or Cyrillic script:
//   - coverage: Latin-1, Latin Extended-A and B, Latin Extended Additional
//     (Vietnamese) but for 9 medieval letters, Greek and Greek Extended but
//     for 8 archaic letters, Cyrillic entirely (TestAttestationFontCoverage);
//   - metrics: Liberation Sans has the widths of Arial, hence of the
//     Helvetica the layout was drawn with, and Liberation Mono those of
//     Courier: line breaks and page counts stay as they were. DejaVu Sans
//     covers a few more archaic letters but is wider and nearly twice the size;
//   - licence: SIL Open Font License 1.1, which allows redistribution and
//     embedding in documents (notice in mandate/FONT_LICENSE); the Go
//     packages are BSD-3.
//
// fpdf embeds only the glyphs a document uses (a subset per face), and a
// face only if the document uses it (see document.style).

const (
	fontSans = "LiberationSans"
	fontMono = "LiberationMono"
)

// fontFile returns the TrueType file of a face the attestations use, by
// fpdf family and style ("", "B" or "I"), or nil.
func fontFile(family, style string) []byte {
	switch {
	case family == fontSans && style == "":
		return liberationsansregular.TTF
	case family == fontSans && style == "B":
		return liberationsansbold.TTF
	case family == fontSans && style == "I":
		return liberationsansitalic.TTF
	case family == fontMono && style == "":
		return liberationmonoregular.TTF
	}
	return nil
}

// missingGlyph is printed for a character the fonts cannot draw (Chinese,
// Arabic, a medieval Latin letter…). A name must not lose a letter without
// anyone noticing, nor gain a plausible one, so the attestation shows the
// empty square readers know as "a character this font lacks", in the text
// layer too (pdftotext gives □). Refusing such a name when the mandate is
// created would be the other way out; it belongs to the mandate's creation,
// not to printing.
const missingGlyph = '\u25a1' // □ WHITE SQUARE, in every face above

// glyphs says which characters the attestation fonts can draw.
type glyphs struct {
	font *sfnt.Font
	buf  sfnt.Buffer
}

// newGlyphs reads the character map of Liberation Sans regular: its bold and
// italic faces have the same map, and Liberation Mono prints only hashes and
// URLs, which are ASCII (TestAttestationFontCoverage checks both).
func newGlyphs() (*glyphs, error) {
	font, err := sfnt.Parse(liberationsansregular.TTF)
	if err != nil {
		return nil, err
	}
	return &glyphs{font: font}, nil
}

func (g *glyphs) has(r rune) bool {
	if r >= ' ' && r <= '~' {
		return true // Basic Latin, all there
	}
	i, err := g.font.GlyphIndex(&g.buf, r)
	return err == nil && i != 0
}

// printable prepares s for the attestation fonts: composed (NFC, so that
// "e" + U+0301 prints as the one glyph é), newlines kept, tabs made spaces,
// other control and invisible format characters (zero-width spaces, soft
// hyphens, BOM, direction marks) dropped. A character the fonts lack
// becomes its compatibility equivalent when the fonts have that (U+2011
// non-breaking hyphen → U+2010 hyphen, the ﬀ ligature → ff), else
// missingGlyph.
func (g *glyphs) printable(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, string(missingGlyph)))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteByte(' ')
		case r == '\u2028' || r == '\u2029': // line and paragraph separators
			b.WriteByte('\n')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		case g.has(r):
			b.WriteRune(r)
		default:
			b.WriteString(g.equivalent(r))
		}
	}
	return b.String()
}

// equivalent is the compatibility decomposition of r (NFKC) if the fonts
// can draw all of it, else missingGlyph.
func (g *glyphs) equivalent(r rune) string {
	k := norm.NFKC.String(string(r))
	if k == string(r) || strings.ContainsFunc(k, func(c rune) bool { return !g.has(c) }) {
		return string(missingGlyph)
	}
	return k
}
