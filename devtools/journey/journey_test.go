package journey

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// choicePage is /oidc/choix as templates/delegated_choice.html renders it,
// with the layout's own form (sign-out) before it.
const choicePage = `<header><form method="post" action="/deconnexion"><input type="hidden" name="csrf_token" value="tok-1"><button type="submit">Se déconnecter</button></form></header>
<main role="main"><h1>Se connecter pour un usager</h1>
<form method="get" action="/oidc/choix"><input type="search" name="q" value=""><button class="fr-btn" type="submit">Rechercher</button></form>
<form method="post" action="/oidc/choix">
  <input type="hidden" name="csrf_token" value="tok-1">
  <section class="fr-mb-3w">
    <h2 class="fr-h5">Jean-Luc D&#39;Arcy <span class="fr-text--sm">— né(e) le 3 novembre 1962</span></h2>
    <ul><li><button type="submit" class="fr-btn" name="permission_id" value="p-social">Social - Santé</button></li>
    <li><button value="p-logement" name="permission_id" type=submit>Logement</button></li></ul>
  </section>
  <section class="fr-mb-3w">
    <h2 class="fr-h5">Élodie Lefèvre <span>— née le 12 avril 1985</span></h2>
    <ul><li><button type="submit" name="permission_id" value="p-elodie">Social - Santé</button></li></ul>
  </section>
  <button type="submit" class="fr-btn fr-btn--secondary" name="cancel" value="1">Annuler et revenir au service</button>
</form></main>`

func TestParseChoice(t *testing.T) {
	u, _ := url.Parse("http://procura.test/oidc/choix")
	c, err := ParseChoice(&Page{URL: u, Status: 200, Body: choicePage})
	if err != nil {
		t.Fatal(err)
	}
	if c.CSRFToken != "tok-1" || c.Action.String() != "http://procura.test/oidc/choix" || c.Cancel != "1" {
		t.Errorf("token %q action %s cancel %q", c.CSRFToken, c.Action, c.Cancel)
	}
	if len(c.Usagers) != 2 || c.Usagers[0].Name != "Jean-Luc D'Arcy" || c.Usagers[1].Name != "Élodie Lefèvre" {
		t.Fatalf("usagers %+v", c.Usagers)
	}
	if got := c.Permissions(); !slices.Equal(got, []string{"p-social", "p-logement", "p-elodie"}) {
		t.Errorf("permissions %v", got)
	}
	if id, err := c.Permission("Élodie Lefèvre", "Social - Santé"); err != nil || id != "p-elodie" {
		t.Errorf("Élodie's social: %q %v", id, err)
	}
	if id, err := c.Permission("", "Logement"); err != nil || id != "p-logement" {
		t.Errorf("any Logement: %q %v", id, err)
	}
	if _, err := c.Permission("", "Social - Santé"); err == nil {
		t.Error("two usagers offer social: want an error")
	}
}

func TestParseChoiceWithNobodyToChoose(t *testing.T) {
	body := `<form method="post" action="/oidc/choix"><input type="hidden" name="csrf_token" value="t"><p>Aucun usager</p>
<button type="submit" name="cancel" value="nobody">Revenir au service</button></form>`
	u, _ := url.Parse("http://procura.test/oidc/choix")
	c, err := ParseChoice(&Page{URL: u, Status: 200, Body: body})
	if err != nil || len(c.Usagers) != 0 || c.CSRFToken != "t" || c.Cancel != "nobody" {
		t.Fatalf("choice %+v, %v", c, err)
	}
	if _, err := ParseChoice(&Page{URL: u, Status: 200, Body: "<p>Erreur</p>"}); err == nil {
		t.Error("a page without the choice form parsed")
	}
}

func TestSandboxForm(t *testing.T) {
	body := `<form method="post" action="/fc-sandbox/authorize/choose?flow=a&amp;b=c"><ul>
<li><button type="submit" class="identite" name="identity" value="jean-luc-darcy"><strong>Jean-Luc</strong><span>1962</span></button></li>
<li><button type="submit" class="identite" name="identity" value="elodie-lefevre"><strong>Élodie</strong></button></li></ul></form>
<form method="post" action="/fc-sandbox/abort"><button type="submit" class="annuler">Annuler</button></form>`
	f := parse(body).formWith("identity")
	if f == nil || f.Action != "/fc-sandbox/authorize/choose?flow=a&b=c" || len(f.Buttons) != 2 || f.Buttons[1].Value != "elodie-lefevre" ||
		f.Buttons[0].Label != "Jean-Luc1962" {
		t.Fatalf("identity form %+v", f)
	}
}

func TestPageText(t *testing.T) {
	body := `<html><head><style>p{}</style></head><body><header>Menu</header><main><h1>Erreur</h1>
<script>var x;</script><div role="alert"><p>Code   incorrect.</p></div></main></body></html>`
	if got := pageText(body, 300); got != "Erreur Code incorrect." {
		t.Errorf("pageText = %q", got)
	}
	if got := pageText("<p>"+strings.Repeat("é", 200)+"</p>", 11); got != "ééééé…" {
		t.Errorf("cut = %q", got)
	}
}

func TestTOTPGivesEachStepOnce(t *testing.T) {
	const seed = "JBSWY3DPEHPK3PXP"
	codes := NewTOTP(seed, 0)
	ctx := context.Background()
	var got []string
	for range 2 {
		c, err := codes.Code(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	now := time.Now().Unix() / totpPeriod
	if last := codes.LastStep(); last < now || last > now+1 {
		t.Errorf("after two codes the last step is %d, current %d", last, now)
	}
	if got[0] == got[1] {
		// Two steps may share a code by chance (1 in a million): compare
		// with the codes of the steps used.
		a, _ := TOTPCode(seed, time.Unix((codes.LastStep()-1)*totpPeriod, 0))
		b, _ := TOTPCode(seed, time.Unix(codes.LastStep()*totpPeriod, 0))
		if a != b {
			t.Errorf("the same code twice: %v", got)
		}
	}
	// Beyond the next step, Code waits: a cancelled context ends the wait.
	ahead := NewTOTP(seed, now+1)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ahead.Code(cancelled); err == nil {
		t.Error("a code two steps ahead without waiting")
	}
}
