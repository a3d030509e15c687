package journey

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Mandate is what an aidant asks for in a new mandate.
type Mandate struct {
	// Procedures are procedure ids (social, logement…).
	Procedures []string
	// Days is the duration: 1, 31, 182 or 365.
	Days int
	// Usager is the FranceConnect sandbox identity that identifies the
	// usager, its value on the sandbox's page (jean-luc-darcy…); when
	// empty, the Nth identity the page lists (from 0).
	Usager string
	Nth    int
	// Notify is the usager's wish to be told by email of each login;
	// Email, optional, the address they give for it.
	Notify bool
	Email  string
}

// CreateMandate runs the creation journey (web/mandate_new.go) in b,
// signed in as a: the procedures and the duration, the usager's
// identification on the FranceConnect sandbox, then the recap with the
// usager's consent and a's TOTP code. It returns the new mandate's id.
func (b *Browser) CreateMandate(ctx context.Context, a Aidant, m Mandate) (mandateID string, err error) {
	p, err := b.Get(ctx, "/aidant/mandats/nouveau")
	if err != nil {
		return "", &Error{Step: "mandate form", Err: err}
	}
	tok := parse(p.Body).hidden("csrf_token")
	if p.Status != http.StatusOK || tok == "" {
		return "", unexpected("mandate form", p)
	}
	p, err = b.Post(ctx, "/aidant/mandats/nouveau", url.Values{"csrf_token": {tok}, "duration": {strconv.Itoa(m.Days)}, "procedures": m.Procedures})
	if err != nil {
		return "", &Error{Step: "mandate procedures", Err: err}
	}
	if p.Status != http.StatusSeeOther || p.Location == "" {
		return "", unexpected("mandate procedures", p)
	}
	sandbox, err := p.Next()
	if err != nil {
		return "", &Error{Step: "mandate procedures", Err: err}
	}
	if p, err = b.SandboxIdentity(ctx, sandbox.String(), m.Usager, m.Nth); err != nil {
		return "", err
	}
	// Back through Procura's callback (and the end of the sandbox's
	// session) to the recap.
	if p, err = b.follow(ctx, "mandate identification", p, func(*url.URL) bool { return true }); err != nil {
		return "", err
	}
	doc := parse(p.Body)
	recap := doc.formWith("text_version")
	if p.Status != http.StatusOK || recap == nil {
		return "", unexpected("mandate recap", p)
	}
	code, err := a.Codes.Code(ctx)
	if err != nil {
		return "", &Error{Step: "mandate signature", Err: err}
	}
	action, err := p.URL.Parse(recap.Action)
	if err != nil {
		return "", &Error{Step: "mandate recap", Err: err}
	}
	form := url.Values{"csrf_token": {recap.Hidden.Get("csrf_token")}, "text_version": {recap.Hidden.Get("text_version")},
		"consent": {"1"}, "code": {code}}
	if m.Notify {
		form.Set("notify", "1")
	}
	if m.Email != "" {
		form.Set("notify_email", m.Email)
	}
	if p, err = b.Post(ctx, action.String(), form); err != nil {
		return "", &Error{Step: "mandate signature", Err: err}
	}
	// The new mandate's page: /aidant/mandats/{id}?cree=1.
	id, created := strings.CutPrefix(strings.TrimSuffix(p.Location, "?cree=1"), "/aidant/mandats/")
	if p.Status != http.StatusSeeOther || !created || !strings.HasSuffix(p.Location, "?cree=1") || id == "" || strings.Contains(id, "/") {
		return "", unexpected("mandate signature", p)
	}
	return id, nil
}

// SandboxIdentity picks an identity on the FranceConnect sandbox's page
// at location (where Procura sent the browser to identify a usager): the
// one whose value is identity, or when identity is "" the nth one listed.
// It returns the sandbox's answer, the redirect to Procura's callback, not
// followed.
func (b *Browser) SandboxIdentity(ctx context.Context, location, identity string, nth int) (*Page, error) {
	const step = "sandbox identities"
	p, err := b.Get(ctx, location)
	if err != nil {
		return nil, &Error{Step: step, Err: err}
	}
	f := parse(p.Body).formWith("identity")
	if p.Status != http.StatusOK || f == nil {
		return nil, unexpected(step, p)
	}
	if identity == "" {
		var listed []string
		for _, btn := range f.Buttons {
			if btn.Name == "identity" {
				listed = append(listed, btn.Value)
			}
		}
		if nth < 0 || nth >= len(listed) {
			return nil, &Error{Step: step, Status: p.Status, Err: fmt.Errorf("the sandbox lists %d identities, not %d", len(listed), nth+1)}
		}
		identity = listed[nth]
	}
	action, err := p.URL.Parse(f.Action)
	if err != nil {
		return nil, &Error{Step: step, Err: err}
	}
	form := url.Values{"identity": {identity}}
	for name, values := range f.Hidden {
		form[name] = values
	}
	if p, err = b.Post(ctx, action.String(), form); err != nil {
		return nil, &Error{Step: "sandbox identity " + identity, Err: err}
	}
	if !p.Redirect() {
		return nil, unexpected("sandbox identity "+identity, p)
	}
	return p, nil
}
