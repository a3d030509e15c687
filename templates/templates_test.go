package templates_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"procura/templates"
)

func parse(t *testing.T) *templates.Engine {
	t.Helper()
	e, err := templates.Parse(templates.Options{AssetURL: func(name string) (string, error) {
		return "/static/" + name + "?v=test", nil
	}})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return e
}

func TestParseNeedsAssetURL(t *testing.T) {
	if _, err := templates.Parse(templates.Options{}); err == nil {
		t.Fatal("Parse without AssetURL succeeded")
	}
}

func TestLayout(t *testing.T) {
	e := parse(t)
	body, err := e.Render(&templates.HomePage{Layout: templates.Layout{Title: "Accueil"}})
	if err != nil {
		t.Fatal(err)
	}
	page := string(body)
	for _, want := range []string{
		`<html lang="fr">`,
		`<title>Accueil — Procura</title>`,
		`<p class="fr-logo">République<br>Française</p>`,
		`<p class="fr-header__service-title">Procura</p>`,
		`Agir pour autrui, en confiance`,
		`href="/static/dsfr/dsfr.min.css?v=test"`,
		`href="/static/dsfr/utility/utility.min.css?v=test"`,
		`href="/static/css/procura.css?v=test"`,
		`<script type="module" src="/static/dsfr/dsfr.module.min.js?v=test"></script>`,
		`<script nomodule src="/static/dsfr/dsfr.nomodule.min.js?v=test"></script>`,
		`<main role="main" id="contenu"`,
		`<footer class="fr-footer"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "Se déconnecter") {
		t.Error("an anonymous page shows the sign-out button")
	}
	// The CSP allows no inline script or style.
	if m := regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=`).FindString(page); m != "" {
		t.Errorf("inline script or style in the layout: %q", m)
	}
}

func TestLayoutSignedIn(t *testing.T) {
	e := parse(t)
	body, err := e.Render(&templates.HomePage{Layout: templates.Layout{
		Title: "Accueil", SignedInName: `Camille <Lefèvre>`, CSRFToken: "tok&en",
	}})
	if err != nil {
		t.Fatal(err)
	}
	page := string(body)
	for _, want := range []string{
		`Camille &lt;Lefèvre&gt;`,
		`<form method="post" action="/deconnexion">`,
		`<input type="hidden" name="csrf_token" value="tok&amp;en">`,
		`Se déconnecter`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "Camille <Lefèvre>") {
		t.Error("the name is not escaped")
	}
}

func TestErrorPage(t *testing.T) {
	e := parse(t)
	body, err := e.Render(&templates.ErrorPage{
		Layout: templates.Layout{Title: "Page introuvable", RequestID: "req-42"},
		Status: 404, Heading: "Page introuvable", Message: "La page n'existe pas.",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h1>Page introuvable</h1>", "Erreur 404", "La page n&#39;existe pas.", "<code>req-42</code>"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestRenderFailsWhole(t *testing.T) {
	e, err := templates.Parse(templates.Options{AssetURL: func(name string) (string, error) {
		return "", errors.New("no such asset")
	}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := e.Render(&templates.HomePage{})
	if err == nil {
		t.Fatal("Render succeeded with a failing asset function")
	}
	if body != nil {
		t.Errorf("Render returned %d bytes with its error", len(body))
	}
}

type unknownPage struct{ templates.Layout }

func (*unknownPage) Template() string { return "nope.html" }

func TestRenderUnknownPage(t *testing.T) {
	if _, err := parse(t).Render(&unknownPage{}); err == nil {
		t.Fatal("Render of an unknown page succeeded")
	}
}

// A list shows each status as a coloured badge with its word, and each cell
// names its column for the phone layout.
func TestUsagersListBadgesAndCards(t *testing.T) {
	e := parse(t)
	page := &templates.UsagersPage{Layout: templates.Layout{Title: "Usagers et mandats"}, Usagers: []templates.UsagerRow{{
		Name: "Jean-Luc D'Arcy", Birthdate: "le 3 novembre 1962",
		Mandates: []templates.MandateRow{
			{ID: "m1", Status: "active", StatusLabel: "actif", Procedures: "Social - Santé"},
			{ID: "m2", Status: "revoked", StatusLabel: "révoqué", Procedures: "Logement"},
		},
	}}}
	b, err := e.Render(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<table class="procura-cards">`,
		`<td data-label="Statut"><span class="fr-badge fr-badge--sm fr-badge--success">actif</span></td>`,
		`<td data-label="Statut"><span class="fr-badge fr-badge--sm fr-badge--error">révoqué</span></td>`,
		`<a href="/aidant/mandats/m1">Voir le mandat</a>`,
		`<td data-label="Démarches">Social - Santé</td>`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("usagers list lacks %s", want)
		}
	}
}
