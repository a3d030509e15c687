package authz

import (
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"procura/audit"
	"procura/db"
	"procura/db/dbtest"
	"procura/problem"
)

type testIntrospection struct {
	Active    bool              `json:"active"`
	Scope     string            `json:"scope"`
	ClientID  string            `json:"client_id"`
	Sub       string            `json:"sub"`
	TokenType string            `json:"token_type"`
	Exp       int64             `json:"exp"`
	Act       map[string]string `json:"act"`
	RepScope  []string          `json:"rep_scope"`
	Error     string            `json:"error"`
}

func (rp *testRP) introspect(t *testing.T, token, hint string) testIntrospection {
	t.Helper()
	var out testIntrospection
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	resp := rp.op.postForm(t, PathIntrospect, rp.client.ID, rp.secret, form, &out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspect: got %d %+v", resp.StatusCode, out)
	}
	return out
}

func (rp *testRP) revoke(t *testing.T, token, hint string) int {
	t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return rp.op.postForm(t, PathRevoke, rp.client.ID, rp.secret, form, nil).StatusCode
}

func TestIntrospectionAndRevocation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		del := op.delegation
		rp := op.newRP(t, ClientRegistration{})
		other := op.newRP(t, ClientRegistration{})
		tok, idt, _ := rp.login(t)

		got := rp.introspect(t, tok.AccessToken, "")
		if !got.Active || got.ClientID != rp.client.ID || got.Sub != idt.Subject || got.TokenType != "Bearer" ||
			got.Scope == "" || got.Exp == 0 || got.Act["org"] != del.OrganisationSIRET || len(got.RepScope) != 1 {
			t.Errorf("own access token: got %+v", got)
		}
		if got := rp.introspect(t, tok.RefreshToken, "refresh_token"); !got.Active || got.TokenType != "" {
			t.Errorf("own refresh token: got %+v", got)
		}
		// Another client learns nothing of it, and cannot revoke it.
		if got := other.introspect(t, tok.AccessToken, ""); got.Active || got.Sub != "" {
			t.Errorf("another client's introspection: got %+v", got)
		}
		if status := other.revoke(t, tok.AccessToken, ""); status != http.StatusOK {
			t.Errorf("another client's revocation: got %d, want 200", status)
		}
		if !rp.introspect(t, tok.AccessToken, "").Active {
			t.Fatal("another client revoked the token")
		}
		// Without client authentication: refused.
		var body testIntrospection
		resp := op.postForm(t, PathIntrospect, "", "", url.Values{"token": {tok.AccessToken}}, &body)
		if resp.StatusCode != http.StatusUnauthorized || body.Error != "invalid_client" {
			t.Errorf("anonymous introspection: got %d %+v", resp.StatusCode, body)
		}
		resp = op.postForm(t, PathIntrospect, rp.client.ID, "wrong", url.Values{"token": {tok.AccessToken}}, &body)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong secret: got %d", resp.StatusCode)
		}
		// A Bearer token is not a client's credentials (fosite's own
		// endpoint would accept it).
		req, _ := http.NewRequest("POST", op.srv.URL+PathIntrospect, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if r, err := op.srv.Client().Do(req); err != nil || r.StatusCode == http.StatusOK {
			t.Errorf("Bearer as credentials: got %v %v", r, err)
		}

		// The owner revokes the refresh token: the whole grant ends.
		if status := rp.revoke(t, tok.RefreshToken, "refresh_token"); status != http.StatusOK {
			t.Errorf("revocation: got %d", status)
		}
		if rp.introspect(t, tok.AccessToken, "").Active || rp.introspect(t, tok.RefreshToken, "").Active {
			t.Error("after revocation: tokens still active")
		}
		if _, err := rp.conf.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveError(err) != "invalid_grant" {
			t.Errorf("refresh after revocation: got %v", err)
		}
		// Revoking again, or an unknown token: 200, nothing recorded.
		if status := rp.revoke(t, tok.RefreshToken, ""); status != http.StatusOK {
			t.Errorf("second revocation: got %d", status)
		}
		if status := rp.revoke(t, "nothing", ""); status != http.StatusOK {
			t.Errorf("unknown token: got %d", status)
		}
		es := op.entries(t, del.OrganisationID, audit.ActionTokenRevoked)
		if len(es) != 1 || es[0].ClientID != rp.client.ID || es[0].PermissionID != del.PermissionID || es[0].Details["token_type"] != "refresh_token" {
			t.Errorf("token.revoked entries: got %+v, want one", es)
		}
	})
}

func TestIntrospectionPrivateKeyJWTAndPermission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		op := newTestOP(t, d)
		rp := op.newRP(t, ClientRegistration{TokenEndpointAuthMethod: AuthMethodPrivateKeyJWT})
		tok, _, _ := rp.login(t)
		jti := randomID(t, "jti-")
		var out testIntrospection
		resp := op.postForm(t, PathIntrospect, "", "", withAssertion(t, rp, url.Values{"token": {tok.AccessToken}}, jti), &out)
		if resp.StatusCode != http.StatusOK || !out.Active {
			t.Errorf("private_key_jwt introspection: got %d %+v", resp.StatusCode, out)
		}
		resp = op.postForm(t, PathIntrospect, "", "", withAssertion(t, rp, url.Values{"token": {tok.AccessToken}}, jti), &out)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("replayed assertion: got %d", resp.StatusCode)
		}
		// A token whose permission ended is inactive.
		op.perms.refuse(op.delegation.PermissionID, errTestRefused)
		resp = op.postForm(t, PathIntrospect, "", "", withAssertion(t, rp, url.Values{"token": {tok.AccessToken}}, randomID(t, "jti-")), &out)
		if resp.StatusCode != http.StatusOK || out.Active {
			t.Errorf("after the permission ended: got %d %+v", resp.StatusCode, out)
		}
	})
}

// withAssertion adds to form rp's client authentication by private_key_jwt.
func withAssertion(t testing.TB, rp *testRP, form url.Values, jti string) url.Values {
	t.Helper()
	form.Set("client_id", rp.client.ID)
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", rp.assertionJWT(t, jti))
	return form
}

var errTestRefused = problem.New(problem.Forbidden, "Le mandat a été révoqué.")
