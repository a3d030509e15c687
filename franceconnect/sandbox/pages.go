package sandbox

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

//go:embed pages/*.html pages/style.css
var pageFiles embed.FS

// pages are the sandbox's own HTML pages: self-contained (one inline style
// sheet, allowed by its hash), no script, no outside asset.
type pages struct {
	tmpl *template.Template
	csp  string
}

func parsePages() (*pages, error) {
	css, err := pageFiles.ReadFile("pages/style.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(css)
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"style": func() template.CSS { return template.CSS(css) },
	}).ParseFS(pageFiles, "pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("sandbox: pages: %w", err)
	}
	// No form-action: after the identity form, the browser follows a redirect
	// to the relying party, which form-action would block.
	csp := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; frame-ancestors 'none'"
	return &pages{tmpl: tmpl, csp: csp}, nil
}

// identitiesPage is the page listing the test identities.
type identitiesPage struct {
	ClientID    string
	Scopes      []string
	Action      string
	AbortAction string
	Identities  []identityChoice
	Invalid     []identityChoice
}

type identityChoice struct {
	ID, Name, Birth, Place, UsageName, Defect string
}

type errorPage struct {
	Title, Message, Detail string
}

func (p *Provider) renderIdentities(w http.ResponseWriter, interactionID string, in interaction) {
	page := identitiesPage{
		ClientID:    in.clientID,
		Scopes:      in.scopes,
		Action:      p.endpoint("/interaction/" + interactionID + "/identity"),
		AbortAction: p.endpoint("/interaction/" + interactionID + "/abort"),
	}
	for _, id := range p.identities {
		c := identityChoice{
			ID:        id.ID,
			Name:      id.GivenName + " " + id.FamilyName,
			Birth:     describeBirth(id),
			Place:     describePlace(id),
			UsageName: id.PreferredUsername,
			Defect:    describeDefect(id.Defect),
		}
		if id.Defect != "" {
			page.Invalid = append(page.Invalid, c)
		} else {
			page.Identities = append(page.Identities, c)
		}
	}
	p.render(w, http.StatusOK, "identities", page)
}

// errorPage shows a French error page; detail is technical and safe (no
// secret), meant for the developer of the relying party.
func (p *Provider) errorPage(w http.ResponseWriter, status int, title, message, detail string) {
	p.render(w, status, "error", errorPage{Title: title, Message: message, Detail: clip(detail)})
}

// clip shortens a detail that may echo request input, so that the page
// cannot be filled with someone else's text.
func clip(s string) string {
	const max = 200
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

func (p *Provider) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := p.pages.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		p.log.Error("fc-sandbox: rendering page", "page", name, "err", err)
		http.Error(w, "Erreur interne", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", p.pages.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// describeDefect says in French what an invalid identity gets wrong.
func describeDefect(claim string) string {
	switch claim {
	case "":
		return ""
	case "gender":
		return "genre hors de female, male, unspecified"
	case "birthplace":
		return "lieu de naissance absent alors que né en France"
	case "birthdate":
		return "date de naissance impossible"
	case "email":
		return "adresse électronique invalide"
	default:
		return claim
	}
}

var months = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	"août", "septembre", "octobre", "novembre", "décembre"}

// describeBirth renders a FranceConnect birthdate in French, partial dates
// included ("1978", "juillet 1990"); anything else is shown as is.
func describeBirth(id Identity) string {
	verb := map[string]string{"female": "Née", "male": "Né"}[id.Gender]
	if verb == "" {
		verb = "Né·e"
	}
	parts := strings.Split(id.Birthdate, "-")
	if len(parts) != 3 {
		return verb + " le " + id.Birthdate
	}
	month, errM := strconv.Atoi(parts[1])
	day, errD := strconv.Atoi(parts[2])
	switch {
	case errM != nil || errD != nil || month < 0 || month > 12:
		return verb + " le " + id.Birthdate
	case month == 0:
		return verb + " en " + parts[0]
	case day == 0:
		return verb + " en " + months[month-1] + " " + parts[0]
	case day == 1:
		return verb + " le 1er " + months[month-1] + " " + parts[0]
	default:
		return fmt.Sprintf("%s le %d %s %s", verb, day, months[month-1], parts[0])
	}
}

func describePlace(id Identity) string {
	country := labelled(id.BirthcountryLabel, id.Birthcountry)
	switch {
	case id.Birthplace == "" && id.Birthcountry == franceCOG:
		return "en France, commune non renseignée"
	case id.Birthplace == "":
		return "à l’étranger : " + country
	}
	return "à " + labelled(id.BirthplaceLabel, id.Birthplace) + ", " + country
}

func labelled(label, code string) string {
	if label == "" {
		return code
	}
	return label + " (" + code + ")"
}
