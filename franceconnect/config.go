package franceconnect

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultScopes are the scopes asked for when Config.Scopes is empty: the
// identité pivot, email and the nom d'usage.
var DefaultScopes = []string{
	"openid", "given_name", "family_name", "birthdate", "gender",
	"birthplace", "birthcountry", "email", "preferred_username",
}

// Config is everything a Client needs. Pointing it at FranceConnect's
// integration or production environment is a matter of these values only,
// e.g. Issuer "https://fcp-low.integ01.dev-franceconnect.fr/api/v2".
type Config struct {
	// Issuer is the provider's issuer identifier, exactly as its discovery
	// document publishes it; discovery is fetched from
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret are the relying party's credentials; the
	// secret is sent with client_secret_post, as FranceConnect expects.
	ClientID     string
	ClientSecret string
	// RedirectURI is the callback registered at the provider.
	RedirectURI string
	// PostLogoutRedirectURI is where the provider sends the browser back
	// after ending its session (LogoutURL); optional.
	PostLogoutRedirectURI string
	// Scopes asked for; nil means DefaultScopes. Must contain openid.
	Scopes []string
	// AllowUnsignedUserinfo accepts a plain-JSON userinfo answer. Off by
	// default: FranceConnect v2 signs userinfo, and only a signed answer is
	// evidence of the identity that can be checked later. Turn it on only for
	// a provider that cannot sign, never for FranceConnect.
	AllowUnsignedUserinfo bool
	// HTTPClient makes every request to the provider; nil means a client
	// with a 10 s timeout that follows no redirect.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// defaultTimeout bounds each request to the provider with the default
// HTTPClient.
const defaultTimeout = 10 * time.Second

func (cfg Config) withDefaults() Config {
	if cfg.Scopes == nil {
		cfg.Scopes = DefaultScopes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{
			Timeout: defaultTimeout,
			// A redirect from the token endpoint would carry the client
			// secret elsewhere: the provider's endpoints answer directly.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

func (cfg Config) validate() error {
	var errs []error
	if err := checkURL("Issuer", cfg.Issuer, false); err != nil {
		errs = append(errs, err)
	}
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("ClientID is required"))
	}
	if cfg.ClientSecret == "" {
		errs = append(errs, errors.New("ClientSecret is required"))
	}
	if err := checkURL("RedirectURI", cfg.RedirectURI, true); err != nil {
		errs = append(errs, err)
	}
	if cfg.PostLogoutRedirectURI != "" {
		if err := checkURL("PostLogoutRedirectURI", cfg.PostLogoutRedirectURI, true); err != nil {
			errs = append(errs, err)
		}
	}
	if !slices.Contains(cfg.Scopes, "openid") {
		errs = append(errs, errors.New("the scopes must contain openid"))
	}
	for _, s := range cfg.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			errs = append(errs, fmt.Errorf("scope %q is not a scope token", s))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("franceconnect: config: %w", err)
	}
	return nil
}

// checkURL requires an absolute http(s) URL without fragment or user info;
// an issuer has no query either (OpenID Connect Discovery §3).
func checkURL(name, raw string, queryAllowed bool) error {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return fmt.Errorf("%s is required", name)
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return fmt.Errorf("%s %q: want an absolute http(s) URL", name, raw)
	case u.Fragment != "" || u.User != nil || (!queryAllowed && u.RawQuery != ""):
		return fmt.Errorf("%s %q: no fragment, user info or query allowed", name, raw)
	}
	return nil
}
