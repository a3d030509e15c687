package mandate

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// The attestations use the PDF core fonts (Helvetica, Courier): nothing to
// embed or download, and text that every reader extracts and searches. Their
// encoding is WinAnsi (Windows-1252), which holds French entirely (é è à ç ô
// œ Œ Ÿ « » ’ … – — €). winAnsi turns any string into that encoding, keeping
// what it can and replacing the rest by the nearest safe equivalent, never by
// a byte that the font would draw as garbage.

// winAnsiSubstitutes are the characters outside Windows-1252 that have an
// obvious equivalent inside it (0 drops the character).
var winAnsiSubstitutes = map[rune]rune{
	'\t':     ' ',
	'\u00ad': 0,        // soft hyphen: invisible where it does not break
	'\u02b9': '\'',     // modifier prime
	'\u02bb': '\u2018', // modifier turned comma (okina)
	'\u02bc': '\u2019', // modifier apostrophe, often typed for ’
	'\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2043': '-', '\u2212': '-',
	'\u2015': '\u2014',
	'\u201b': '\u2018', '\u201f': '\u201c',
	'\u2032': '\'', '\u2035': '\'', '\u2033': '"',
	'\u2024': '.',
	// Spaces: the non-breaking ones stay non-breaking.
	'\u2007': '\u00a0', '\u202f': '\u00a0', '\u2060': 0,
	'\u2000': ' ', '\u2001': ' ', '\u2002': ' ', '\u2003': ' ', '\u2004': ' ', '\u2005': ' ',
	'\u2006': ' ', '\u2008': ' ', '\u2009': ' ', '\u200a': ' ', '\u205f': ' ', '\u3000': ' ',
	'\u2028': '\n', '\u2029': '\n',
	'\u200b': 0, '\u200c': 0, '\u200d': 0, '\ufeff': 0, '\u200e': 0, '\u200f': 0,
}

// winAnsiLetters transliterates the Latin letters that have no decomposition
// to a base letter plus accents (ł is not l + a mark).
var winAnsiLetters = map[rune]string{
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ħ': "h", 'Ħ': "H", 'ı': "i",
	'ŀ': "l", 'Ŀ': "L", 'ŧ': "t", 'Ŧ': "T", 'ĸ': "k", 'ƒ': "f", 'ẞ': "SS",
	'ə': "e", 'Ə': "E", 'ŋ': "n", 'Ŋ': "N", 'ɨ': "i", 'ʉ': "u",
}

// winAnsi encodes s in Windows-1252 for the core fonts. Newlines are kept
// (they end a line in a multi-line cell); other control characters are
// dropped. Characters outside the code page become, in order of preference,
// their listed substitute, their compatibility decomposition without accents
// (ǅ → Dž → Dz, ﬁ → fi, ă → a), a transliteration (ł → l), or "?".
func winAnsi(s string) string {
	s = norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if sub, ok := winAnsiSubstitutes[r]; ok {
			if sub != 0 {
				writeWinAnsiRune(&b, sub)
			}
			continue
		}
		if writeWinAnsiRune(&b, r) {
			continue
		}
		if fallbackWinAnsi(&b, r) {
			continue
		}
		b.WriteByte('?')
	}
	return b.String()
}

// writeWinAnsiRune writes r if the code page holds it, reports whether it
// could (a dropped control character counts as written).
func writeWinAnsiRune(b *strings.Builder, r rune) bool {
	switch {
	case r == '\n' || (r >= 0x20 && r < 0x7f):
		b.WriteByte(byte(r))
		return true
	case unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Mn):
		// Dropped: C0, DEL and C1 (which the x/text table maps onto undefined
		// bytes), invisible format characters, and accents left alone after
		// NFC (the code page has no combining marks).
		return true
	}
	c, ok := charmap.Windows1252.EncodeRune(r)
	if ok && c >= 0x80 {
		b.WriteByte(c)
	}
	return ok
}

// fallbackWinAnsi writes the compatibility decomposition of r without its
// accents, or its transliteration, if either fits the code page.
func fallbackWinAnsi(b *strings.Builder, r rune) bool {
	if t, ok := winAnsiLetters[r]; ok {
		b.WriteString(t)
		return true
	}
	var buf [utf8.UTFMax]byte
	decomposed := norm.NFKD.String(string(buf[:utf8.EncodeRune(buf[:], r)]))
	if decomposed == string(r) {
		return false
	}
	var out strings.Builder
	for _, d := range decomposed {
		if unicode.Is(unicode.Mn, d) {
			continue
		}
		if sub, ok := winAnsiSubstitutes[d]; ok {
			d = sub
		}
		if d == 0 {
			continue
		}
		if t, ok := winAnsiLetters[d]; ok {
			out.WriteString(t)
			continue
		}
		if !writeWinAnsiRune(&out, d) {
			return false
		}
	}
	if out.Len() == 0 {
		return false
	}
	b.WriteString(out.String())
	return true
}

// frenchSpacing puts the non-breaking spaces of French typography before
// : ; ! ? and inside « », so that a line never starts with one of them.
var frenchSpacing = strings.NewReplacer(
	" :", "\u00a0:", " ;", "\u00a0;", " !", "\u00a0!", " ?", "\u00a0?",
	"« ", "«\u00a0", " »", "\u00a0»",
)
