package web

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"procura/db/dbtest"
	"procura/templates"
)

func TestLegalPagesNameTheOperatorAndStateTheSettings(t *testing.T) {
	operator := templates.Operator{
		Name: "Ministère de l'Exemple", Address: "1 rue de l'Exemple, 75000 Paris", Email: "contact@exemple.gouv.fr",
		DPOEmail: "dpo@exemple.gouv.fr", PublicationDirector: "Camille Directrice", Host: "Hébergeur Exemple, 2 rue du Nuage, 59000 Lille",
	}
	e := newEnv(t, dbtest.SQLite(t), func(s *Settings) {
		s.Operator, s.RetentionDays, s.EmailKeepDays = operator, 2000, 30
		s.SessionIdleTimeout, s.SessionMaxAge = 30*time.Minute, 10*time.Hour
	})
	cases := []struct {
		path string
		want []string
	}{
		{"/mentions-legales", []string{"<h1>Mentions légales</h1>", `id="operateur-nom">Ministère de l&#39;Exemple<`,
			"1 rue de l&#39;Exemple, 75000 Paris", `href="mailto:contact@exemple.gouv.fr"`, "Camille Directrice",
			"Hébergeur Exemple, 2 rue du Nuage, 59000 Lille", `href="mailto:dpo@exemple.gouv.fr"`,
			// The mandate text sends the usager here for the controllers'
			// details and their data protection officers'.
			"délégué à la protection des données", `href="/donnees-personnelles"`, `href="/accessibilite"`}},
		{"/donnees-personnelles", []string{"<h1>Données personnelles</h1>",
			`effacées 2000 jours (cinq ans au moins, comme le texte du mandat le prévoit) après la fin du dernier mandat`,
			`id="duree-session">Une session prend fin après 30 minutes sans activité, et au plus tard 10 heures après la connexion`,
			`id="duree-courriels">Supprimés 30 jours après leur envoi`,
			"article 6, paragraphe 1, point b", "CNIL", `href="mailto:dpo@exemple.gouv.fr"`, "Ministère de l&#39;Exemple",
			"rectifier ou effacer"}},
		{"/accessibilite", []string{"<h1>Déclaration d'accessibilité</h1>",
			"<strong>Procura est non conforme avec le RGAA 4.1.2</strong>", "aucun audit de conformité n'a encore été réalisé",
			"axe-core", "375 pixels", "ne remplacent pas un audit", `id="contact-accessibilite">contact@exemple.gouv.fr<`,
			"Ministère de l&#39;Exemple s'engage", "Défenseur des droits"}},
	}
	for _, tc := range cases {
		resp, body := e.get(tc.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", tc.path, resp.StatusCode)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", tc.path, want)
			}
		}
		// An automated check is no audit: the statement claims no rate.
		for _, never := range []string{"totalement conforme", "partiellement conforme", "% des critères"} {
			if strings.Contains(body, never) {
				t.Errorf("%s claims %q", tc.path, never)
			}
		}
	}
}

func TestPersonalDataPageDefaultsToTheDefaultRetention(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t)) // RetentionDays 0: the default
	_, body := e.get("/donnees-personnelles")
	if !strings.Contains(body, "effacées 1826 jours (cinq ans au moins, comme le texte du mandat le prévoit) après") {
		t.Errorf("retention without setting: %s", body)
	}
	if strings.Contains(body, `id="duree-courriels"`) {
		t.Error("an outbox duration is stated though none is set")
	}
}

// The mandate text sends the usager to the service's legal notice for the
// controllers' details: the footer of every page links it by that name.
func TestMandateTextReferencesExistingPages(t *testing.T) {
	text, err := os.ReadFile("../mandate/texts/v1.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "mentions légales du service") {
		t.Fatal("the mandate text no longer refers to the legal notice: check what it refers to now")
	}
	e := newEnv(t, dbtest.SQLite(t))
	_, body := e.get("/")
	if !strings.Contains(body, `<a class="fr-footer__bottom-link" href="/mentions-legales">Mentions légales</a>`) {
		t.Error("the footer does not link the legal notice")
	}
}

func TestFrenchDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute: "30 minutes", 10 * time.Hour: "10 heures", time.Hour: "1 heure",
		90 * time.Minute: "90 minutes", time.Minute: "1 minute",
	} {
		if got := frenchDuration(d); got != want {
			t.Errorf("frenchDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
