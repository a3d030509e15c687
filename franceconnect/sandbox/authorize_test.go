package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// validAuthorize is a request FranceConnect accepts.
func validAuthorize() url.Values {
	return url.Values{
		"response_type": {"code"},
		"client_id":     {clientID},
		"redirect_uri":  {redirectURI},
		"scope":         {allFCScopesStr},
		"state":         {testState},
		"nonce":         {testNonce},
		"acr_values":    {"eidas1"},
	}
}

func TestAuthorizeAcceptsValidRequest(t *testing.T) {
	r := newRP(t, setup{})
	q := validAuthorize()
	q.Set("prompt", "login consent")
	q.Set("unknown_parameter", "ignored")
	r.openIdentityPage(r.issuer + "/authorize?" + q.Encode())
}

// Before client_id and redirect_uri are known good, nothing may redirect.
func TestAuthorizeRefusesOnPageBeforeRedirectURIIsTrusted(t *testing.T) {
	tests := []struct {
		name   string
		change func(url.Values)
		want   string // on the page
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "inconnu") }, "Fournisseur de service inconnu"},
		{"no client", func(q url.Values) { q.Del("client_id") }, "Fournisseur de service inconnu"},
		{"repeated client", func(q url.Values) { q.Add("client_id", clientID) }, "Fournisseur de service inconnu"},
		{"wrong redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/callback") }, "Adresse de retour non autorisée"},
		{"redirect_uri of another client", func(q url.Values) { q.Set("redirect_uri", otherRedirect) }, "Adresse de retour non autorisée"},
		{"redirect_uri prefix only", func(q url.Values) { q.Set("redirect_uri", "https://service.example/franceconnect/callback") }, "Adresse de retour non autorisée"},
		{"no redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, "Adresse de retour non autorisée"},
		{"repeated redirect_uri", func(q url.Values) { q.Add("redirect_uri", "https://evil.example/") }, "Adresse de retour non autorisée"},
		{"unknown client and bad everything", func(q url.Values) { q.Set("client_id", "x"); q.Del("nonce"); q.Del("state") }, "Fournisseur de service inconnu"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRP(t, setup{})
			q := validAuthorize()
			tc.change(q)
			res := r.get(r.issuer + "/authorize?" + q.Encode())
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 400 and no redirect", res.StatusCode, res.Header.Get("Location"))
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(res.body, tc.want) ||
				!strings.Contains(res.body, `lang="fr"`) {
				t.Errorf("page does not say %q:\n%s", tc.want, res.body)
			}
		})
	}
}

// Once the redirect URI is trusted, errors go back to it (OpenID Connect
// Core §3.1.2.6).
func TestAuthorizeRefusesByRedirect(t *testing.T) {
	tests := []struct {
		name      string
		change    func(url.Values)
		wantError string
	}{
		{"no nonce", func(q url.Values) { q.Del("nonce") }, "invalid_request"},
		{"nonce of 21 characters", func(q url.Values) { q.Set("nonce", strings.Repeat("n", 21)) }, "invalid_request"},
		{"no state", func(q url.Values) { q.Del("state") }, "invalid_request"},
		{"no acr_values", func(q url.Values) { q.Del("acr_values") }, "invalid_request"},
		{"acr eidas2", func(q url.Values) { q.Set("acr_values", "eidas2") }, "invalid_request"},
		{"acr eidas1 and eidas3", func(q url.Values) { q.Set("acr_values", "eidas1 eidas3") }, "invalid_request"},
		{"no response_type", func(q url.Values) { q.Del("response_type") }, "unsupported_response_type"},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "id_token token") }, "unsupported_response_type"},
		{"no openid scope", func(q url.Values) { q.Set("scope", "email given_name") }, "invalid_scope"},
		{"no scope", func(q url.Values) { q.Del("scope") }, "invalid_scope"},
		{"repeated nonce", func(q url.Values) { q.Add("nonce", testNonce) }, "invalid_request"},
		{"claims not JSON", func(q url.Values) { q.Set("claims", "{amr") }, "invalid_request"},
		{"prompt none", func(q url.Values) { q.Set("prompt", "none") }, "login_required"},
		{"request object", func(q url.Values) { q.Set("request", "eyJ.eyJ.sig") }, "request_not_supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRP(t, setup{})
			q := validAuthorize()
			tc.change(q)
			back := r.callback(r.get(r.issuer+"/authorize?"+q.Encode()), redirectURI)
			if back.Get("error") != tc.wantError || back.Get("error_description") == "" || back.Has("code") {
				t.Errorf("callback %v, want error=%s with a description and no code", back, tc.wantError)
			}
			if want := q.Get("state"); back.Get("state") != want || (want == "" && back.Has("state")) {
				t.Errorf("callback state = %q, want %q", back.Get("state"), want)
			}
		})
	}
}

func TestCancelAnswersAccessDenied(t *testing.T) {
	r := newRP(t, setup{})
	page := r.openIdentityPage(r.authorizeURL())
	back := r.callback(r.postForm(page.abort, nil), redirectURI)
	if back.Get("error") != "access_denied" || back.Get("state") != testState || back.Has("code") {
		t.Errorf("callback %v, want error=access_denied and the state", back)
	}
	// The interaction is over: neither a choice nor a second cancel goes through.
	for _, u := range []string{page.action, page.abort} {
		res := r.postForm(u, url.Values{"identity": {"elodie-lefevre"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "Demande expirée") {
			t.Errorf("POST %s after cancel: status %d", u, res.StatusCode)
		}
	}
}

func TestIdentityChoiceIsSingleUseAndExpires(t *testing.T) {
	r := newRP(t, setup{})
	page := r.openIdentityPage(r.authorizeURL())

	res := r.postForm(page.action, url.Values{"identity": {"personne-inconnue"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "Identité inconnue") {
		t.Errorf("unknown identity: status %d", res.StatusCode)
	}
	r.callback(r.postForm(page.action, url.Values{"identity": {"elodie-lefevre"}}), redirectURI)
	if res := r.postForm(page.action, url.Values{"identity": {"elodie-lefevre"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("second choice: status %d, want 400", res.StatusCode)
	}

	late := r.openIdentityPage(r.authorizeURL())
	r.clock.Advance(10*time.Minute + time.Second)
	if res := r.postForm(late.action, url.Values{"identity": {"elodie-lefevre"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("choice after 10 minutes: status %d, want 400", res.StatusCode)
	}
}

func TestUnknownPath(t *testing.T) {
	r := newRP(t, setup{})
	for _, u := range []string{r.issuer + "/nope", r.srv.URL + "/", r.issuer + "/interaction/x/identity"} {
		if res := r.get(u); res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, "Page introuvable") {
			t.Errorf("GET %s: %d, want the 404 page", u, res.StatusCode)
		}
	}
}
