package usager

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// SearchKey folds a name for searching: lower case, accents removed,
// typographic apostrophes made plain, spaces collapsed. "Élodie D’Arcy"
// becomes "elodie d'arcy". The same folding applies to what is typed.
func SearchKey(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, s)
	if err != nil {
		folded = s
	}
	folded = strings.NewReplacer("’", "'", "ʼ", "'", "‘", "'").Replace(strings.ToLower(folded))
	return strings.Join(strings.Fields(folded), " ")
}
