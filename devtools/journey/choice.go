package journey

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Choice is the choice page of a delegated login (/oidc/choix): its form,
// and the usagers it offers with the permission behind each procedure
// button.
type Choice struct {
	Page      *Page
	CSRFToken string
	// Action is where the form posts.
	Action *url.URL
	// Cancel is the value of the form's cancel button ("1" when the page
	// has none): the page may say why the aidant goes back.
	Cancel  string
	Usagers []ChoiceUsager
}

// ChoiceUsager is one usager offered, as the page titles them.
type ChoiceUsager struct {
	Name string
	// Procedures maps a button's label (Social - Santé…) to the
	// permission id it posts.
	Procedures map[string]string
	// Permissions are the permission ids, in page order.
	Permissions []string
}

// ParseChoice reads a choice page: the form with permission_id buttons
// (or only the cancel button when nobody can be chosen) and its CSRF
// token. A usager is the heading before their buttons.
func ParseChoice(p *Page) (*Choice, error) {
	doc := parse(p.Body)
	f := doc.formWith("permission_id")
	if f == nil {
		f = doc.formWith("cancel")
	}
	if f == nil {
		return nil, unexpected("choice page", p)
	}
	action, err := p.URL.Parse(f.Action)
	if err != nil {
		return nil, &Error{Step: "choice page", Err: err}
	}
	c := &Choice{Page: p, CSRFToken: f.Hidden.Get("csrf_token"), Action: action, Cancel: "1"}
	if c.CSRFToken == "" {
		c.CSRFToken = doc.hidden("csrf_token")
	}
	if c.CSRFToken == "" {
		return nil, unexpected("choice page without a CSRF token", p)
	}
	heading := -2 // no button yet
	for _, btn := range f.Buttons {
		if btn.Name == "cancel" {
			c.Cancel = btn.Value
		}
		if btn.Name != "permission_id" {
			continue
		}
		if btn.Heading != heading || len(c.Usagers) == 0 {
			heading = btn.Heading
			u := ChoiceUsager{Procedures: map[string]string{}}
			if heading >= 0 {
				u.Name = doc.Headings[heading]
			}
			c.Usagers = append(c.Usagers, u)
		}
		u := &c.Usagers[len(c.Usagers)-1]
		u.Procedures[btn.Label] = btn.Value
		u.Permissions = append(u.Permissions, btn.Value)
	}
	return c, nil
}

// Permissions returns every permission id offered, in page order.
func (c *Choice) Permissions() []string {
	var out []string
	for _, u := range c.Usagers {
		out = append(out, u.Permissions...)
	}
	return out
}

// Permission returns the permission id of the one button labelled
// procedure for the usager titled usager ("" for any usager); it is an
// error when none or several match.
func (c *Choice) Permission(usager, procedure string) (string, error) {
	var found []string
	for _, u := range c.Usagers {
		if id, ok := u.Procedures[procedure]; ok && (usager == "" || u.Name == usager) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("choice page: %d buttons %q for usager %q, want 1; usagers offered: %+v", len(found), procedure, usager, c.Usagers)
	}
	return found[0], nil
}

// OpenChoice GETs location (a service's authorization request, or the
// choice page itself) and follows Procura's redirects to the choice page,
// which it returns. The aidant must be signed in, recently enough for the
// request's max_age or prompt.
func (b *Browser) OpenChoice(ctx context.Context, location string) (*Choice, error) {
	p, err := b.Get(ctx, location)
	if err != nil {
		return nil, &Error{Step: "choice page", Err: err}
	}
	if p, err = b.follow(ctx, "choice page", p, b.OnProcura); err != nil {
		return nil, err
	}
	if p.Status != http.StatusOK {
		return nil, unexpected("choice page", p)
	}
	return ParseChoice(p)
}

// Submit posts c's form: the button of permissionID, or the cancel button
// when permissionID is "". It returns the answer, not followed.
func (b *Browser) Submit(ctx context.Context, c *Choice, permissionID string) (*Page, error) {
	form := url.Values{"csrf_token": {c.CSRFToken}}
	if permissionID == "" {
		form.Set("cancel", c.Cancel)
	} else {
		form.Set("permission_id", permissionID)
	}
	p, err := b.Post(ctx, c.Action.String(), form)
	if err != nil {
		return nil, &Error{Step: "choice post", Err: err}
	}
	return p, nil
}

// Choose submits c's form (see Submit) and returns the redirect to the
// service: its redirect URI with code and state, or with error when the
// aidant cancelled.
func (b *Browser) Choose(ctx context.Context, c *Choice, permissionID string) (callback *url.URL, err error) {
	p, err := b.Submit(ctx, c, permissionID)
	if err != nil {
		return nil, err
	}
	return b.ServiceRedirect(p)
}

// ServiceRedirect checks that p redirects off Procura (to the service)
// and returns where.
func (b *Browser) ServiceRedirect(p *Page) (*url.URL, error) {
	if !p.Redirect() {
		return nil, unexpected("choice post", p)
	}
	next, err := p.Next()
	if err != nil || b.OnProcura(next) {
		return nil, unexpected("choice post (want a redirect to the service)", p)
	}
	return next, nil
}
