package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"procura/account"
	"procura/db"
	"procura/db/dbtest"
)

// navOf returns the header navigation of a page: each link as
// "label → URL", with " (current)" on the page shown.
func navOf(t *testing.T, body string) []string {
	t.Helper()
	start := strings.Index(body, `id="navigation-principale"`)
	if start < 0 {
		return nil
	}
	nav := body[start:]
	nav = nav[:strings.Index(nav, "</nav>")]
	var out []string
	for _, m := range regexp.MustCompile(`<a class="fr-nav__link" href="([^"]+)"( aria-current="page")?>([^<]+)</a>`).FindAllStringSubmatch(nav, -1) {
		link := m[3] + " → " + m[1]
		if m[2] != "" {
			link += " (current)"
		}
		out = append(out, link)
	}
	return out
}

func TestHomeSendsEachPersonToTheirSpace(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	resp, body := e.get("/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<a href="/connexion">Vous êtes aidant ou responsable de structure</a>`,
		`<a href="/usager">Vous avez confié un mandat</a>`,
		// The verification form, as on /mandats/verifier.
		`<form method="get" action="/mandats/verifier"`, `name="signature"`, "QR code",
		// The footer's legal pages.
		`href="/accessibilite">Accessibilité : non conforme</a>`,
		`href="/mentions-legales">Mentions légales</a>`,
		`href="/donnees-personnelles">Données personnelles</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %s", want)
		}
	}
	if nav := navOf(t, body); nav != nil {
		t.Errorf("anonymous visitor has a navigation: %v", nav)
	}
	// An error page's "Page d'accueil" leads to this page.
	resp, body = e.get("/nulle-part")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `<a class="fr-btn" href="/">Page d'accueil</a>`) {
		t.Errorf("404 page = %d, without its way home: %s", resp.StatusCode, body)
	}
}

func TestHeaderNavigationByRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		org, aidant := e.orgAndAidant(true)
		manager := e.addAccount(org.ID, account.RoleManager)
		both := e.addAccount(org.ID, account.RoleAidant, account.RoleManager) // not habilitated
		cases := []struct {
			name    string
			account string
			path    string
			want    []string
		}{
			{"habilitated aidant at home", aidant.Account.ID, "/aidant", []string{
				"Accueil → /aidant (current)", "Usagers et mandats → /aidant/usagers", "Nouveau mandat → /aidant/mandats/nouveau"}},
			{"habilitated aidant on the usagers list", aidant.Account.ID, "/aidant/usagers", []string{
				"Accueil → /aidant", "Usagers et mandats → /aidant/usagers (current)", "Nouveau mandat → /aidant/mandats/nouveau"}},
			{"manager, not an aidant", manager.Account.ID, "/responsable/journal", []string{
				"Accueil → /aidant", "Espace responsable → /responsable (current)"}},
			{"aidant and manager, not habilitated", both.Account.ID, "/aidant", []string{
				"Accueil → /aidant (current)", "Usagers et mandats → /aidant/usagers", "Espace responsable → /responsable"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := e.newClient()
				e.signIn(c, tc.account)
				resp, body := e.do(c, http.MethodGet, tc.path, nil, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d", tc.path, resp.StatusCode)
				}
				if got := navOf(t, body); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
					t.Errorf("navigation:\n got %q\nwant %q", got, tc.want)
				}
				if !strings.Contains(body, "Se déconnecter") {
					t.Error("no sign-out button")
				}
			})
		}

		// The usager, in their space: their space, and their own sign-out.
		c := e.signInUsager("jean-luc-darcy")
		_, body := e.follow(c, "/usager/espace")
		if got := navOf(t, body); strings.Join(got, "\n") != "Mon espace → /usager/espace (current)" {
			t.Errorf("usager navigation: %q", got)
		}
		if !strings.Contains(body, `action="/usager/deconnexion"`) {
			t.Error("usager space without its sign-out")
		}
	})
}

func TestAidantHomeNewMandateButtonShowsItsLabel(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	_, aidant := e.orgAndAidant(true)
	c := e.newClient()
	e.signIn(c, aidant.Account.ID)
	_, body := e.do(c, http.MethodGet, "/aidant", nil, nil)
	// In a DSFR button group, an icon button shows its label only when the
	// group says where the icon goes; without it, a blank square.
	want := `<ul class="fr-btns-group fr-btns-group--inline-md fr-btns-group--icon-left">
    <li><a class="fr-btn fr-icon-add-line fr-btn--icon-left" href="/aidant/mandats/nouveau">Nouveau mandat</a></li>`
	if !strings.Contains(body, want) {
		t.Errorf("aidant home lacks\n%s\nin\n%s", want, body)
	}
}

// The verification form names where the keys are, like a verification's
// result (axe found the link empty).
func TestVerifyFormLinksTheKeys(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	_, body := e.get("/mandats/verifier")
	if !strings.Contains(body, `<a href="http://localhost:8080/mandats/cles.json" id="cles-mandats">http://localhost:8080/mandats/cles.json</a>`) {
		t.Errorf("verification form without the keys' link: %s", body)
	}
}
