package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

func TestCSRF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tok := e.token(e.client)
		tests := []struct {
			name   string
			client func() *http.Client
			form   url.Values
			header http.Header
			want   int
		}{
			{"valid token", func() *http.Client { return e.client }, url.Values{"csrf_token": {tok}}, nil, http.StatusOK},
			{"missing token", func() *http.Client { return e.client }, url.Values{}, nil, http.StatusForbidden},
			{"empty token", func() *http.Client { return e.client }, url.Values{"csrf_token": {""}}, nil, http.StatusForbidden},
			{"wrong token", func() *http.Client { return e.client }, url.Values{"csrf_token": {tok[:len(tok)-1] + "x"}}, nil, http.StatusForbidden},
			{"token of no session", e.newClient, url.Values{"csrf_token": {tok}}, nil, http.StatusForbidden},
			{"token in the query only", func() *http.Client { return e.client }, nil, nil, http.StatusForbidden},
			{"cross-site browser request", func() *http.Client { return e.client }, url.Values{"csrf_token": {tok}},
				http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
			{"foreign Origin", func() *http.Client { return e.client }, url.Values{"csrf_token": {tok}},
				http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
			{"same-origin browser request", func() *http.Client { return e.client }, url.Values{"csrf_token": {tok}},
				http.Header{"Sec-Fetch-Site": {"same-origin"}}, http.StatusOK},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				rowsBefore, handledBefore := e.sessionRows("1 = 1"), e.count()
				path := "/test/form"
				if tc.form == nil {
					path += "?csrf_token=" + url.QueryEscape(tok)
					tc.form = url.Values{}
				}
				tc.form.Set("note", tc.name)
				header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
				for k, v := range tc.header {
					header[k] = v
				}
				resp, body := e.do(tc.client(), http.MethodPost, path, strings.NewReader(tc.form.Encode()), header)
				if resp.StatusCode != tc.want {
					t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.want, body)
				}
				if tc.want == http.StatusOK {
					return
				}
				if !strings.Contains(body, "Ce formulaire a expiré ou ne provient pas de Procura") || !strings.Contains(body, `lang="fr"`) {
					t.Errorf("403 page does not explain: %s", body)
				}
				if e.count() != handledBefore {
					t.Error("the handler ran")
				}
				if e.sessionRows("1 = 1") != rowsBefore {
					t.Error("a session row was written")
				}
			})
		}
		// What the refused requests tried to store is not in the session.
		s, err := e.srv.sessions.New(requestWith(e.cookie(e.client)), e.srv.sessions.Name())
		if err != nil {
			t.Fatal(err)
		}
		if note := s.Values["note"]; note != "same-origin browser request" {
			t.Errorf("session note = %v, want the last accepted one", note)
		}
	})
}

func TestCSRFExemptGroup(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	resp, body := e.post(e.newClient(), "/test-exempt/token", url.Values{"grant_type": {"authorization_code"}})
	if resp.StatusCode != http.StatusOK || body != "exempt" {
		t.Errorf("exempt POST = %d %q", resp.StatusCode, body)
	}
	// Exempt from CSRF, not from routing: unknown paths are still 404.
	resp, _ = e.post(e.newClient(), "/test-exempt/nope", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown exempt path = %d, want 404", resp.StatusCode)
	}
}

func TestSignOutNeedsCSRF(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	accountID := e.newAccount("Camille", "Lefèvre")
	e.signIn(e.client, accountID)
	resp, _ := e.post(e.client, "/deconnexion", url.Values{})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without token = %d, want 403", resp.StatusCode)
	}
	if got := e.whoami(e.client); got != accountID {
		t.Errorf("signed out by a forged request: %q", got)
	}
}
