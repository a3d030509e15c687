package main

import (
	"context"
	"errors"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"

	"procura/devtools/journey"
)

type generator struct {
	o         options
	transport *http.Transport
	back      *http.Client     // the service's back channel (token, userinfo), and pprof
	service   *journey.Service // once the fixtures are known
	fx        *Fixtures
	aidants   []*aidant
}

func newGenerator(o options) *generator {
	t := newTransport(o)
	return &generator{o: o, transport: t, back: &http.Client{Transport: t, Timeout: o.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login runs one complete delegated login for a (journey.Service.Login:
// authorize, choice page, choice post, token, userinfo), asking for the
// procedure with a rep_scope claims request, and fills the time of each
// step.
func (g *generator) login(ctx context.Context, a *aidant, times *journey.Timings) error {
	extra := url.Values{"acr_values": {"eidas1"},
		"claims": {`{"id_token":{"rep_scope":{"essential":true,"values":["` + g.o.procedure + `"]}}}`}}
	_, err := g.service.Login(ctx, a.browser, extra, pickAny, times)
	return err
}

// pickAny picks one of the offered permissions at random: the aidant acts
// for any of the organisation's usagers.
func pickAny(c *journey.Choice) (string, error) {
	ids := c.Permissions()
	if len(ids) == 0 {
		return "", errors.New("no permission offered")
	}
	return ids[mathrand.IntN(len(ids))], nil
}
