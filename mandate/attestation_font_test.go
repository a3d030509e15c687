package mandate

import (
	"testing"
	"unicode"

	"golang.org/x/image/font/sfnt"
)

func parseFace(t *testing.T, family, style string) *sfnt.Font {
	t.Helper()
	ttf := fontFile(family, style)
	if ttf == nil {
		t.Fatalf("no font file for %s %q", family, style)
	}
	font, err := sfnt.Parse(ttf)
	if err != nil {
		t.Fatalf("%s %q: %v", family, style, err)
	}
	return font
}

func hasGlyph(font *sfnt.Font, buf *sfnt.Buffer, r rune) bool {
	i, err := font.GlyphIndex(buf, r)
	return err == nil && i != 0
}

// TestAttestationFontCoverage pins what the comment of attestation_font.go
// promises, and what glyphs.printable relies on: the bold and italic faces
// draw every character the regular one does, the monospace face all of
// ASCII, every face the missing-glyph square; and the scripts of the
// usagers' names are there.
func TestAttestationFontCoverage(t *testing.T) {
	regular := parseFace(t, fontSans, "")
	var buf sfnt.Buffer
	for _, style := range []string{"B", "I"} {
		face := parseFace(t, fontSans, style)
		for r := rune(0); r <= 0xffff; r++ {
			if hasGlyph(regular, &buf, r) && !hasGlyph(face, &buf, r) {
				t.Errorf("%s %s lacks %U, which the regular face has", fontSans, style, r)
			}
		}
	}
	mono := parseFace(t, fontMono, "")
	for r := rune(' '); r <= '~'; r++ {
		if !hasGlyph(mono, &buf, r) {
			t.Errorf("%s lacks %q", fontMono, r)
		}
	}
	for _, face := range []*sfnt.Font{regular, mono} {
		if !hasGlyph(face, &buf, missingGlyph) {
			t.Errorf("a face lacks the missing-glyph square %U", missingGlyph)
		}
	}

	// Letters of the scripts the attestations promise, with the few
	// archaic ones Liberation 2.1 lacks.
	scripts := []struct {
		name    string
		lo, hi  rune
		missing string
	}{
		{"Latin-1 Supplement", 0xc0, 0xff, ""},
		{"Latin Extended-A", 0x100, 0x17f, ""},
		{"Latin Extended-B", 0x180, 0x24f, ""},
		{"Latin Extended Additional", 0x1e00, 0x1eff, "ẜẝẟỺỻỼỽỾỿ"},
		{"Greek", 0x370, 0x3ff, "ͰͱͲͳͶͷͿϏ"},
		{"Greek Extended", 0x1f00, 0x1fff, ""},
		{"Cyrillic", 0x400, 0x4ff, ""},
	}
	for _, s := range scripts {
		var missing []rune
		for r := s.lo; r <= s.hi; r++ {
			if unicode.IsLetter(r) && !hasGlyph(regular, &buf, r) {
				missing = append(missing, r)
			}
		}
		if string(missing) != s.missing {
			t.Errorf("%s: letters missing %q, want %q", s.name, string(missing), s.missing)
		}
	}
}

func TestGlyphsPrintable(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"French", "Élodie D'Arcy-Lefèvre, Œuvre, « cité » … – — 0 €", "Élodie D'Arcy-Lefèvre, Œuvre, « cité » … – — 0 €"},
		{"typographic apostrophes kept", "d’Arcy, Lʼautorisation", "d’Arcy, Lʼautorisation"},
		{"Greek", "Ελένη Παπαδοπούλου", "Ελένη Παπαδοπούλου"},
		{"Cyrillic", "Наталья Иванова", "Наталья Иванова"},
		{"Vietnamese", "Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"},
		{"Latin extended", "Zoë Łukasiewicz-Ørsted, Şükrü Çağlar, Dvořák, ǅ, ẞ", "Zoë Łukasiewicz-Ørsted, Şükrü Çağlar, Dvořák, ǅ, ẞ"},
		{"decomposed accents are composed", "Ele\u0301onore Nguye\u0302\u0303n", "Eléonore Nguyễn"},
		{"newline kept, tab a space", "a\tb\nc", "a b\nc"},
		{"controls dropped", "a\x00b\x1bc\u0085d\re", "abcde"},
		{"line separators end a line", "a\u2028b\u2029c", "a\nb\nc"},
		{"invisible format characters dropped", "Pro\u200bcu\u00adra\ufeff\u200e\u2060", "Procura"},
		{"missing non-breaking hyphen becomes a hyphen", "Jean\u2011Marc", "Jean\u2010Marc"},
		{"missing ligature becomes its letters", "\ufb00", "ff"},
		{"no glyph: a visible square", "Ỻewelyn 東京 ا", "□ewelyn □□ □"},
		{"invalid UTF-8: a visible square", "a\xffb", "a□b"},
	}
	g, err := newGlyphs()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := g.printable(tt.in); got != tt.want {
				t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
