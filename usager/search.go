package usager

import (
	"strings"
	"unicode"

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
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, s)
	if err != nil {
		folded = s
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
