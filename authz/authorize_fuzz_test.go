package authz

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"procura/db/dbtest"
	"procura/problem"
)

// authorizeSeeds are authorization queries: valid ones and the shapes of
// the known mistakes.
var authorizeSeeds = []string{
	"",
	"response_type=code&scope=openid&state=state-0123456789&nonce=nonce-0123456789",
	"scope=openid+procedure%3Asocial+procedure%3Ajustice&claims=%7B%22id_token%22%3A%7B%22rep_scope%22%3A%7B%22essential%22%3Atrue%2C%22values%22%3A%5B%22Social-Sant%C3%A9%22%5D%7D%7D%7D",
	`claims={"id_token":{"rep_scope":{"value":"famille","values":["Logement",3]},"acr":{"essential":true,"values":["eidas1"]}}}`,
	`claims={"id_token":{"rep_scope":null,"acr":null},"userinfo":{"given_name":{"essential":true}}}`,
	`claims=[1,2]&prompt=none+login&max_age=-1`,
	"prompt=login%20consent&max_age=99999999999999999999999999&acr_values=eidas2%20eidas1",
	"code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
	"code_challenge=short&code_challenge_method=plain&nonce=a",
	"state=a&state=b&nonce=%00%ff&scope=%zz",
	"request=eyJhbGciOiJub25lIn0.e30.&request_uri=https%3A%2F%2Fx",
	"id_token_hint=a.b.c&response_mode=form_post&response_type=code+id_token",
}

// FuzzAuthorizeParameters checks the parsers of an authorization request:
// no panic, a canonical form that is stable, and limits that hold.
func FuzzAuthorizeParameters(f *testing.F) {
	for _, s := range authorizeSeeds {
		f.Add(s)
	}
	client := &Client{ID: "c", Procedures: []string{"social", "famille"}, PKCERequired: true}
	fc := &Client{ID: "fc", Procedures: []string{"social"}, FranceConnectCompat: true}
	f.Fuzz(func(t *testing.T, raw string) {
		params, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		canonical, _ := canonicalAuthorize(params)
		again, dup := canonicalAuthorize(mustParseQuery(t, canonical.Encode()))
		if dup != "" || again.Encode() != canonical.Encode() {
			t.Fatalf("canonical form not stable: %q then %q (dup %q)", canonical.Encode(), again.Encode(), dup)
		}
		prompt, perr := parsePrompt(canonical.Get("prompt"))
		if perr == nil && len(prompt) > 1 && contains(prompt, "none") {
			t.Fatalf("prompt %v accepted none with others", prompt)
		}
		if n, ok, err := parseMaxAge(canonical.Get("max_age")); err == nil && ok && (n < 0 || n > maxMaxAge) {
			t.Fatalf("max_age %d out of bounds", n)
		}
		claims, cerr := parseClaims(canonical.Get("claims"))
		if cerr == nil {
			scopes := strings.Fields(canonical.Get("scope"))
			for _, c := range []*Client{client, fc} {
				procs, err := requestedProcedures(scopes, claims, c)
				if err == nil && len(procs) == 0 {
					t.Fatal("no procedure and no error")
				}
				for _, p := range procs {
					if !c.ServesProcedure(p) {
						t.Fatalf("procedure %q offered but not served", p)
					}
				}
			}
		}
		for _, c := range []*Client{client, fc} {
			challenge := canonical.Get("code_challenge")
			if checkPKCE(c, challenge, canonical.Get("code_challenge_method")) == nil && c.PKCERequired && len(challenge) != 43 {
				t.Fatalf("PKCE %q accepted for a client that requires it", challenge)
			}
			nonce := canonical.Get("nonce")
			if checkNonce(c, nonce, challenge != "") == nil && c.FranceConnectCompat && len(nonce) < strongNonceLength {
				t.Fatalf("nonce %q accepted for a FranceConnect-compatible client", nonce)
			}
		}
	})
}

func mustParseQuery(t *testing.T, s string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(s)
	if err != nil {
		t.Fatalf("canonical query %q does not parse: %v", s, err)
	}
	return q
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// FuzzParseAuthorize runs whole authorization requests of a registered
// client through the provider: no panic, no 5xx, an error is either a page
// (never a redirect) or a redirect to the registered URI only, and a valid
// request resumes to itself.
func FuzzParseAuthorize(f *testing.F) {
	op := newTestOP(f, dbtest.SQLite(f))
	rp := op.newRP(f, ClientRegistration{})
	base := url.Values{
		"client_id": {rp.client.ID}, "redirect_uri": {rp.conf.RedirectURL}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"state-0123456789"}, "nonce": {"nonce-0123456789"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}.Encode()
	f.Add(base)
	for _, s := range authorizeSeeds {
		f.Add(base + "&" + s)
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest("GET", "/oidc/authorize", nil)
		req.URL.RawQuery = raw
		ar, err := op.p.ParseAuthorize(ctx, req)
		switch {
		case err != nil && ar == nil:
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Code != problem.Invalid {
				t.Fatalf("page error %v is not an invalid problem", err)
			}
		case err != nil:
			w := httptest.NewRecorder()
			op.p.WriteAuthorizeError(w, req, ar, err)
			loc := w.Header().Get("Location")
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, rp.conf.RedirectURL+"?") {
				t.Fatalf("error %v answered %d to %q", err, w.Code, loc)
			}
		default:
			again, err := op.p.ResumeAuthorize(ctx, ar.Pending())
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			if again.query != ar.query {
				t.Fatalf("resume: query %q, want %q", again.query, ar.query)
			}
		}
	})
}
