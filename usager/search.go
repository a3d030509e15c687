package usager

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// SearchKey folds a name for searching: lower case, accents removed,
// apostrophes (plain or typographic) removed, hyphens and other
// punctuation made spaces, spaces collapsed. "Marie-Thérèse D’Arcy"
// becomes "marie therese darcy". The same folding applies to what is
// typed, and a search matches any part of the key (Names), so "thérèse",
// "darcy", "d'arcy" and "jean luc" find Marie-Thérèse D'Arcy and Jean-Luc.
func SearchKey(s string) string {
	return newFolder().key(s)
}

// folder computes search keys; one folder reuses its transformer (and its
// buffers) across keys, where SearchKey makes one per call. Not safe for
// concurrent use.
type folder struct{ unaccent transform.Transformer }

func newFolder() folder {
	return folder{transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)}
}

// key is SearchKey(s).
func (f folder) key(s string) string {
	folded := s
	if !isASCII(s) { // ASCII has no marks to remove
		var err error
		if folded, _, err = transform.String(f.unaccent, s); err != nil {
			folded = s
		}
	}
	folded = strings.Map(func(r rune) rune {
		switch {
		case r == '\'' || r == '’' || r == 'ʼ' || r == '‘' || r == '`':
			return -1
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return r
		}
		return ' '
	}, strings.ToLower(folded))
	return strings.Join(strings.Fields(folded), " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
