package notice_test

import (
	"strings"
	"testing"

	"procura/notice"
	"procura/outbox"
)

// An address typed at signature is either refused or one bare address that
// the outbox accepts as a recipient, on one line.
func FuzzCheckAddress(f *testing.F) {
	for _, seed := range []string{"jean@example.fr", "  jean@example.fr ", "pas une adresse", "jean@exemple", "Jean <jean@example.fr>",
		"jean@example.fr\r\nBcc: x@example.com", "a@b.fr, c@d.fr", "\"a b\"@example.fr", "jean@example.fr.", "@example.fr", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		got, err := notice.CheckAddress(typed)
		if err != nil {
			return
		}
		if strings.ContainsAny(got, "\r\n,<>") || got != strings.TrimSpace(got) {
			t.Fatalf("CheckAddress(%q) = %q", typed, got)
		}
		m := outbox.Message{Key: "k", Kind: "test", To: got, Subject: "s", Text: "t"}
		if err := m.Validate(); err != nil {
			t.Fatalf("CheckAddress(%q) = %q, which the outbox refuses: %v", typed, got, err)
		}
	})
}
