package mandate

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// The mandate texts, one file per version (texts/v1.md, texts/v2.md…).
//
// Contract: a version's bytes never change once shipped. Every mandate
// signature includes the SHA-256 of the exact text the usager consented to,
// so editing a shipped file would make every mandate signed over it
// unverifiable, and its attestation impossible to print. New wording means a
// new file and a new CurrentMandateTextVersion; the old files stay, because
// the attestations of the mandates signed over them still print them.
// texts/.gitattributes keeps git from rewriting line endings, and
// TestMandateTextsNeverChange pins each version's hash.
//
//go:embed texts/*.md
var mandateTexts embed.FS

// CurrentMandateTextVersion is the version shown to usagers giving a mandate now.
const CurrentMandateTextVersion = "v1"

// MandateText is one version of the text a usager consents to when giving a
// mandate.
type MandateText struct {
	Version string // "v1"
	Body    string // the exact bytes of texts/<Version>.md (Markdown subset, see Blocks)
	SHA256  string // lowercase hex SHA-256 of Body, as signed in the mandate
}

var textVersionPattern = regexp.MustCompile(`^v[1-9][0-9]*$`)

// MandateTextByVersion returns a shipped version of the mandate text.
func MandateTextByVersion(version string) (MandateText, error) {
	if !textVersionPattern.MatchString(version) {
		return MandateText{}, fmt.Errorf("mandate text version %q: not of the form v<n>", version)
	}
	body, err := mandateTexts.ReadFile("texts/" + version + ".md")
	if err != nil {
		return MandateText{}, fmt.Errorf("mandate text version %q: unknown", version)
	}
	sum := sha256.Sum256(body)
	return MandateText{Version: version, Body: string(body), SHA256: hex.EncodeToString(sum[:])}, nil
}

// CurrentMandateText returns the version of the mandate text to show and sign
// now. The file is embedded in the binary and tested, so it cannot be
// missing; if it ever were, that is a broken build, hence the panic.
func CurrentMandateText() MandateText {
	t, err := MandateTextByVersion(CurrentMandateTextVersion)
	if err != nil {
		panic("mandate: current mandate text is not embedded: " + err.Error())
	}
	return t
}

// TextBlockKind says how a block of the mandate text is laid out.
type TextBlockKind int

const (
	TextTitle     TextBlockKind = iota + 1 // a line starting with "# "
	TextHeading                            // a line starting with "## "
	TextParagraph                          // lines up to a blank line, joined by spaces
	TextListItem                           // a line starting with "- ", and its continuation lines
)

// TextBlock is one title, heading, paragraph or list item of a mandate text.
type TextBlock struct {
	Kind TextBlockKind
	Text string
}

// Blocks splits the text into its blocks, so that the attestation and the
// web pages lay out the same words the same way. Only the Markdown subset
// used by the texts is understood: "# ", "## ", "- " and paragraphs.
func (t MandateText) Blocks() []TextBlock {
	var blocks []TextBlock
	open := false // whether the last block may take continuation lines
	for _, line := range strings.Split(t.Body, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			open = false
		case strings.HasPrefix(line, "# "):
			blocks = append(blocks, TextBlock{TextTitle, strings.TrimSpace(line[2:])})
			open = false
		case strings.HasPrefix(line, "## "):
			blocks = append(blocks, TextBlock{TextHeading, strings.TrimSpace(line[3:])})
			open = false
		case strings.HasPrefix(line, "- "):
			blocks = append(blocks, TextBlock{TextListItem, strings.TrimSpace(line[2:])})
			open = true
		case open:
			blocks[len(blocks)-1].Text += " " + line
		default:
			blocks = append(blocks, TextBlock{TextParagraph, line})
			open = true
		}
	}
	return blocks
}
