package journey

import (
	"context"
	"net/http"
	"net/url"
)

// Aidant is what signs an aidant in, and confirms a mandate.
type Aidant struct {
	Email, Password string
	Codes           Codes
}

// SignIn signs b in as a through /connexion (email, password and TOTP code
// in one form) and returns where the sign-in continues (the Location sent,
// not followed): /aidant, or /oidc/choix when a service's request waits.
// The form is read from /connexion?service=1, which shows it even to a
// signed-in aidant when a service asked for a new sign-in (prompt=login,
// max_age).
func (b *Browser) SignIn(ctx context.Context, a Aidant) (next string, err error) {
	const step = "sign-in"
	p, err := b.Get(ctx, "/connexion?service=1")
	if err != nil {
		return "", &Error{Step: step, Err: err}
	}
	tok := parse(p.Body).hidden("csrf_token")
	if p.Status != http.StatusOK || tok == "" {
		return "", unexpected(step+" page", p)
	}
	code, err := a.Codes.Code(ctx)
	if err != nil {
		return "", &Error{Step: step, Err: err}
	}
	p, err = b.Post(ctx, "/connexion", url.Values{"csrf_token": {tok}, "email": {a.Email}, "password": {a.Password}, "code": {code}})
	if err != nil {
		return "", &Error{Step: step, Err: err}
	}
	if p.Status != http.StatusSeeOther || p.Location == "" {
		return "", unexpected(step+" of "+a.Email, p)
	}
	return p.Location, nil
}
