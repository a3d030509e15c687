package oversight

import "testing"

func TestInertNames(t *testing.T) {
	for in, want := range map[string]string{
		"Jean-Luc D'Arcy":          "Jean-Luc D'Arcy",
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+33 1":                    "'+33 1",
		"-2+3":                     "'-2+3",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\tx":                      "'\tx",
		"":                         "",
	} {
		if got := inert(in); got != want {
			t.Errorf("inert(%q) = %q, want %q", in, got, want)
		}
	}
}
