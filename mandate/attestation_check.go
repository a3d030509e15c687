package mandate

import (
	"procura/procedure"

	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"procura/problem"
)

// ErrAttestationData refuses to print an attestation from incomplete or
// inconsistent data; the wrapped detail lists every problem found.
var ErrAttestationData = problem.New(problem.Invalid,
	"L’attestation ne peut pas être établie : des informations manquent ou sont incorrectes.")

// Limits on what an attestation prints: far above any real value, they keep
// a bug upstream from producing a hundred-page document.
const (
	maxShortField = 300  // names, ids, labels, address
	maxReason     = 1000 // a revocation reason
	maxURL        = 300  // a QR code of version 10 at most: modules of 0.5 mm at 30 mm, easy to scan
	maxSignature  = 16 << 10
)

// AttestationOrganisation is the organisation a mandate is given to.
type AttestationOrganisation struct {
	Name    string
	SIRET   string // 14 digits
	Address string // optional: street, postcode and town, on one line
}

// AttestationUsager is the usager, as identified by FranceConnect.
type AttestationUsager struct {
	GivenNames string // FranceConnect given_name: every given name, space-separated
	FamilyName string // FranceConnect family_name: the birth name
	UsageName  string // optional: FranceConnect preferred_username, the nom d'usage
	Birthdate  string // FranceConnect birthdate: YYYY-MM-DD, YYYY-MM-00 or YYYY-00-00
}

// checker collects every problem of the data, so that one error names them all.
type checker struct{ problems []error }

func (c *checker) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Errorf(format, args...))
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &problem.Error{Code: ErrAttestationData.Code, Message: ErrAttestationData.Message, Err: errors.Join(c.problems...)}
}

// required checks a field that must be printed, on one line.
func (c *checker) required(name, value string, max int) {
	switch {
	case strings.TrimSpace(value) == "":
		c.addf("%s is missing", name)
	default:
		c.optional(name, value, max)
	}
}

func (c *checker) optional(name, value string, max int) {
	switch {
	case !utf8.ValidString(value):
		c.addf("%s is not valid UTF-8", name)
	case utf8.RuneCountInString(value) > max:
		c.addf("%s is longer than %d characters", name, max)
	}
}

func (c *checker) organisation(o AttestationOrganisation) {
	c.required("organisation name", o.Name, maxShortField)
	c.optional("organisation address", o.Address, maxShortField)
	if len(o.SIRET) != 14 || strings.Trim(o.SIRET, "0123456789") != "" {
		c.addf("organisation SIRET %q is not 14 digits", o.SIRET)
	}
}

func (c *checker) usager(u AttestationUsager) {
	c.required("usager given names", u.GivenNames, maxShortField)
	c.required("usager family name", u.FamilyName, maxShortField)
	c.optional("usager usage name", u.UsageName, maxShortField)
	if _, _, _, err := parseBirthdate(u.Birthdate); err != nil {
		c.addf("usager %w", err)
	}
}

// procedures checks the ids against the catalogue and returns the
// procedures in catalogue order.
func (c *checker) procedures(ids []string, needed bool) []procedure.Procedure {
	if len(ids) == 0 {
		if needed {
			c.addf("no procedure")
		}
		return nil
	}
	var out []procedure.Procedure
	for _, p := range procedure.All() {
		if n := countOf(ids, p.ID); n > 0 {
			out = append(out, p)
			if n > 1 {
				c.addf("procedure %q listed %d times", p.ID, n)
			}
		}
	}
	for _, id := range ids {
		if _, ok := procedure.ByID(id); !ok {
			c.addf("unknown procedure %q", id)
		}
	}
	return out
}

func countOf(ids []string, id string) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

// verificationURL checks the URL of the public verification page: absolute,
// http(s) (http for development), short enough for a QR code.
func (c *checker) verificationURL(raw string) {
	if raw == "" {
		c.addf("verification URL is missing")
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		c.addf("verification URL: %w", err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		c.addf("verification URL %q is not an absolute http(s) URL", raw)
	case len(raw) > maxURL:
		c.addf("verification URL is longer than %d bytes", maxURL)
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		c.addf("verification URL %q has spaces or non-ASCII characters: escape them", raw)
	}
}

func (c *checker) when(name string, t time.Time) {
	if t.IsZero() {
		c.addf("%s is missing", name)
	}
}

// compactJWS checks the shape of a compact JWS (RFC 7515 §7.1): three
// base64url parts, none empty (no detached payload).
func (c *checker) compactJWS(s string) {
	parts := strings.Split(s, ".")
	ok := len(parts) == 3 && len(s) <= maxSignature && !slices.Contains(parts, "")
	for _, p := range parts {
		ok = ok && strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
	}
	if !ok {
		c.addf("signature is not a compact JWS")
	}
}

// SignatureFingerprint is how an attestation prints a mandate's signature:
// the SHA-256 of the compact JWS, in groups of four hex digits. The
// verification page shows the same, so that a person can compare.
func SignatureFingerprint(jws string) string {
	sum := sha256.Sum256([]byte(jws))
	return groupHex(hex.EncodeToString(sum[:]))
}

func groupHex(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i:min(i+4, len(h))])
	}
	return b.String()
}

// formatSIRET groups a SIRET as it is usually printed: SIREN (3 3 3) then NIC.
func formatSIRET(s string) string {
	if len(s) != 14 {
		return s
	}
	return s[:3] + " " + s[3:6] + " " + s[6:9] + " " + s[9:]
}

// usagerName is the usager as the attestation names them: given names, then
// family name.
func usagerName(u AttestationUsager) string {
	return oneLine(u.GivenNames) + " " + oneLine(u.FamilyName)
}

// oneLine keeps a field on one line, whatever it holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
