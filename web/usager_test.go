package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"procura/db"
	"procura/db/dbtest"
)

// follow GETs location with c (absolute or relative to the server).
func (e *env) follow(c *http.Client, location string) (*http.Response, string) {
	e.t.Helper()
	if strings.HasPrefix(location, "/") {
		location = e.ts.URL + location
	}
	req, _ := http.NewRequest(http.MethodGet, location, nil)
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

// identify starts an identification from the usager space and picks the
// sandbox identity; it returns the response to the callback.
func (e *env) identify(c *http.Client, identity string) (*http.Response, string) {
	e.t.Helper()
	resp, _ := e.post(c, "/usager/connexion", url.Values{"csrf_token": {e.pageToken(c, "/usager")}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), e.fcServer.URL) {
		e.t.Fatalf("sign-in = %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	answer, err := e.browser(c).SandboxIdentity(context.Background(), resp.Header.Get("Location"), identity, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	callback, err := answer.Next()
	if err != nil {
		e.t.Fatal(err)
	}
	return e.follow(c, callback.String())
}

func TestUsagerSpaceJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.newClient()
		before := e.cookie(c)
		resp, body := e.identify(c, "elodie-lefevre")
		// The provider's session is ended right away, then the space opens.
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/session/end") {
			t.Fatalf("callback = %d → %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		resp, _ = e.follow(c, resp.Header.Get("Location"))
		resp, _ = e.follow(c, resp.Header.Get("Location"))
		if resp.Header.Get("Location") != "/usager/espace" {
			t.Fatalf("after provider logout → %s", resp.Header.Get("Location"))
		}
		if after := e.cookie(c); before != nil && after.Value == before.Value {
			t.Error("session not rotated at identification")
		}
		resp, body = e.follow(c, "/usager/espace")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Bonjour Élodie Anne Lefèvre") || !strings.Contains(body, "12 avril 1985") ||
			!strings.Contains(body, "Nom d'usage : Martin") {
			t.Fatalf("space = %d %s", resp.StatusCode, body)
		}
		var n int64
		d.Conn(context.Background()).Raw(`SELECT COUNT(*) FROM audit_entries WHERE action = 'usager.identified' AND actor_kind = 'usager'
			AND usager_id IN (SELECT id FROM usagers WHERE given_name = 'Élodie Anne')`).Scan(&n)
		if n != 1 {
			t.Errorf("%d identification entries, want 1", n)
		}
		tok := csrfInput.FindStringSubmatch(body)[1]
		resp, _ = e.post(c, "/usager/deconnexion", url.Values{"csrf_token": {tok}})
		if resp.Header.Get("Location") != "/usager?fin=1" {
			t.Fatalf("sign-out → %s", resp.Header.Get("Location"))
		}
		if resp, _ := e.follow(c, "/usager/espace"); resp.Header.Get("Location") != "/usager" {
			t.Errorf("space after sign-out → %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestUsagerIdentificationFailuresStoreNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		usagers := func() int64 {
			var n int64
			d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM usagers").Scan(&n)
			return n
		}
		failures := func() int64 {
			var n int64
			d.Conn(context.Background()).Raw("SELECT COUNT(*) FROM audit_entries WHERE action = 'usager.identification_failed'").Scan(&n)
			return n
		}
		tests := []struct {
			name    string
			run     func(c *http.Client) (*http.Response, string)
			status  int
			message string
			// noise: it names no flow of ours, so it is logged, not journaled.
			noise bool
		}{
			{"invalid gender from the provider", func(c *http.Client) (*http.Response, string) { return e.identify(c, "invalide-genre") },
				http.StatusBadRequest, "identité incomplète ou non conforme", false},
			{"invalid birthplace from the provider", func(c *http.Client) (*http.Response, string) {
				return e.identify(c, "invalide-lieu-de-naissance")
			}, http.StatusBadRequest, "identité incomplète ou non conforme", false},
			{"callback without a flow", func(c *http.Client) (*http.Response, string) {
				return e.follow(c, "/franceconnect/callback?code=forged&state=forged")
			}, http.StatusBadRequest, "ne correspond à aucune identification en cours", true},
			{"cancelled at the provider", func(c *http.Client) (*http.Response, string) {
				resp, _ := e.post(c, "/usager/connexion", url.Values{"csrf_token": {e.pageToken(c, "/usager")}})
				q, _ := url.Parse(resp.Header.Get("Location"))
				return e.follow(c, "/franceconnect/callback?error=access_denied&state="+url.QueryEscape(q.Query().Get("state")))
			}, http.StatusUnauthorized, "annulée", false},
			{"replayed callback", func(c *http.Client) (*http.Response, string) {
				resp, _ := e.post(c, "/usager/connexion", url.Values{"csrf_token": {e.pageToken(c, "/usager")}})
				q, _ := url.Parse(resp.Header.Get("Location"))
				cb := "/franceconnect/callback?code=x&state=" + url.QueryEscape(q.Query().Get("state"))
				e.follow(c, cb)
				return e.follow(c, cb)
			}, http.StatusBadRequest, "déjà été utilisée", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, f := usagers(), failures()
				resp, body := tt.run(e.newClient())
				if resp.StatusCode != tt.status || !strings.Contains(body, tt.message) || !strings.Contains(body, "Aucune donnée vous concernant") {
					t.Errorf("status %d, want %d with %q: %.400s", resp.StatusCode, tt.status, tt.message, body)
				}
				if usagers() != u {
					t.Error("a usager was stored")
				}
				switch {
				case tt.noise && failures() != f+boolInt(tt.name == "replayed callback"):
					// A replay's first callback had a flow (audited); the
					// replay itself has none.
					t.Errorf("%d entries for a callback naming no flow", failures()-f)
				case !tt.noise && failures() <= f:
					t.Error("the failure was not audited")
				}
			})
		}
	})
}

func TestFranceConnectLogoutReturnIsNoOpenRedirect(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	resp, _ := e.follow(e.newClient(), "/franceconnect/deconnexion?state=x&next=https://evil.example")
	if resp.Header.Get("Location") != "/usager" {
		t.Errorf("→ %s, want /usager", resp.Header.Get("Location"))
	}
}

func TestFrenchBirthdate(t *testing.T) {
	for in, want := range map[string]string{"1985-04-12": "12 avril 1985", "1962-00-00": "1962 (jour et mois inconnus)", "1970-08-00": "août 1970 (jour inconnu)", "bad": "bad"} {
		if got := frenchBirthdate(in); got != want {
			t.Errorf("frenchBirthdate(%q) = %q, want %q", in, got, want)
		}
	}
}

// After "né(e)": never "né(e) le 1978" for a partial birthdate.
func TestBornOn(t *testing.T) {
	for in, want := range map[string]string{"1985-04-12": "le 12 avril 1985", "1962-00-00": "en 1962", "1970-08-00": "en août 1970"} {
		if got := bornOn(in); got != want {
			t.Errorf("bornOn(%q) = %q, want %q", in, got, want)
		}
	}
}

// signInUsager identifies a new client as the sandbox identity in the
// usager space.
func (e *env) signInUsager(identity string) *http.Client {
	e.t.Helper()
	c := e.newClient()
	resp, _ := e.identify(c, identity)
	resp, _ = e.followAll(c, resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("usager sign-in = %d", resp.StatusCode)
	}
	return c
}

func TestUsagerSeesAndRevokesMandates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		id := e.createMandate(e.signInAidant(aidant), aidant, "jean-luc-darcy", "social", "logement")

		c := e.signInUsager("jean-luc-darcy")
		_, body := e.follow(c, "/usager/espace")
		if !strings.Contains(body, org.Name) || !strings.Contains(body, "Social - Santé") || !strings.Contains(body, "Mandat signé") ||
			!strings.Contains(body, "Camille Lefèvre") {
			t.Fatalf("usager space: %s", body)
		}
		var pid string
		d.Conn(context.Background()).Raw("SELECT id FROM permissions WHERE mandate_id = ? AND procedure = 'social'", id).Scan(&pid)

		// Another usager cannot revoke it, whatever id they forge.
		other := e.signInUsager("elodie-lefevre")
		tok := e.pageToken(other, "/usager/espace")
		if resp, _ := e.post(other, "/usager/mandats/"+id+"/revoquer", url.Values{"csrf_token": {tok}, "autorisation": {pid}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another usager's revocation = %d, want 404", resp.StatusCode)
		}
		if resp, _ := e.follow(other, "/usager/mandats/"+id+"/revoquer"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another usager's confirmation page = %d, want 404", resp.StatusCode)
		}

		tok = e.pageToken(c, "/usager/mandats/"+id+"/revoquer?autorisation="+pid)
		resp, _ := e.post(c, "/usager/mandats/"+id+"/revoquer", url.Values{"csrf_token": {tok}, "autorisation": {pid}})
		if resp.Header.Get("Location") != "/usager/espace?revoque=1" {
			t.Fatalf("revocation → %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = e.follow(c, "/usager/espace?revoque=1")
		if !strings.Contains(body, `id="statut-`+pid+`">révoqué`) || !strings.Contains(body, "Démarche révoquée") || !strings.Contains(body, "vous-même") {
			t.Errorf("after revocation: %s", body)
		}
		// The aidant sees it too.
		_, body = e.follow(e.signInAidant(aidant), "/aidant/mandats/"+id)
		if !strings.Contains(body, `id="statut-`+pid+`">révoqué`) {
			t.Errorf("aidant's page after the usager revoked: %s", body)
		}
		// Not signed in: the door.
		if resp, _ := e.follow(e.newClient(), "/usager/mandats/"+id+"/revoquer"); resp.Header.Get("Location") != "/usager" {
			t.Errorf("anonymous → %s", resp.Header.Get("Location"))
		}
	})
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
