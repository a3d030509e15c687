package mandate

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

func decodeWinAnsi(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		panic(err)
	}
	return out
}

func TestWinAnsi(t *testing.T) {
	tests := []struct {
		name, in, want string // want is what the PDF shows, decoded back to UTF-8
	}{
		{"ASCII", "Jean Dupont, 12 rue X", "Jean Dupont, 12 rue X"},
		{"French accents", "Élodie D'Arcy-Lefèvre, née à Besançon, Noël, où, Ÿ", "Élodie D'Arcy-Lefèvre, née à Besançon, Noël, où, Ÿ"},
		{"ligatures oe", "Œuvre, cœur, sœur", "Œuvre, cœur, sœur"},
		{"typographic punctuation", "l’usager « cité » … – — ‘a’ “b”", "l’usager « cité » … – — ‘a’ “b”"},
		{"euro", "0 € à régler", "0 € à régler"},
		{"decomposed accents are composed", "Ele\u0301onore", "Eléonore"},
		{"modifier apostrophe", "Lʼautorisation", "L’autorisation"},
		{"non-breaking hyphen and minus", "Jean\u2011Marc \u2212 2", "Jean-Marc - 2"},
		{"narrow no-break space", "«\u202fbonjour\u202f»", "«\u00a0bonjour\u00a0»"},
		{"zero-width and soft hyphen dropped", "Pro\u200bcu\u00adra\ufeff", "Procura"},
		{"controls dropped, newline kept", "a\x00b\x1bc\u0085d\ne\r", "abcd\ne"},
		{"tab becomes a space", "a\tb", "a b"},
		{"Latin letters outside the code page", "Łukasz Wałęsa, Ştefan Ţurcanu, Dvořák, Ğ", "Lukasz Walesa, Stefan Turcanu, Dvorák, G"},
		{"Vietnamese", "Nguyễn Thị Hương", "Nguyen Thi Huong"},
		{"ligature fi", "ﬁchier", "fichier"},
		{"German sharp s", "Straße, ẞ", "Straße, SS"},
		{"no equivalent", "Ωμέγα 東京", "????? ??"},
		{"invalid UTF-8", "a\xffb", "a?b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeWinAnsi(winAnsi(tt.in)); got != tt.want {
				t.Errorf("winAnsi(%q) shows %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFrenchSpacing(t *testing.T) {
	got := frenchSpacing.Replace("Attention : « oui » ; non ! Vraiment ?")
	want := "Attention\u00a0: «\u00a0oui\u00a0»\u00a0; non\u00a0! Vraiment\u00a0?"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzWinAnsi checks that whatever a name or a reason holds, the bytes given
// to the core fonts are printable Windows-1252, and that encoding is stable.
func FuzzWinAnsi(f *testing.F) {
	for _, seed := range []string{
		"", "Élodie D'Arcy-Lefèvre", "Œhlenschläger « ’ » € …", "Łódź Nguyễn", "e\u0301\u0301",
		"\x00\x7f\u0080\u009f\u00ad\u200b\ufeff", "a\xffb\xc3", "Ωμέγα 東京 🙂", "\u2028\u2029\r\n\t",
		"ǅ ﬃ ① ½ ™", "\u0301 leading mark", strings.Repeat("é", 100),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := winAnsi(in)
		for i := 0; i < len(out); i++ {
			c := out[i]
			switch {
			case c == '\n', c >= 0x20 && c < 0x7f:
			case c < 0x20, c == 0x7f, c == 0xad:
				t.Fatalf("winAnsi(%q) has the control or invisible byte %#x", in, c)
			case c == 0x81, c == 0x8d, c == 0x8f, c == 0x90, c == 0x9d:
				t.Fatalf("winAnsi(%q) has the byte %#x, undefined in Windows-1252", in, c)
			}
		}
		shown := decodeWinAnsi(out)
		if !utf8.ValidString(shown) {
			t.Fatalf("winAnsi(%q) decodes to invalid UTF-8", in)
		}
		if again := winAnsi(shown); again != out {
			t.Fatalf("not stable: winAnsi(%q) = %q, but winAnsi of what it shows = %q", in, out, again)
		}
		if len(out) > 4*len(in) {
			t.Fatalf("winAnsi(%q) grew to %d bytes", in, len(out))
		}
		printable := true
		for _, r := range in {
			printable = printable && (r == '\n' || (r >= 0x20 && r < 0x7f))
		}
		if printable && out != in {
			t.Fatalf("winAnsi changed printable ASCII %q into %q", in, out)
		}
	})
}
