// Package procedure is the fixed catalogue of démarche categories a mandate
// can cover (DESIGN.md §4).
package procedure

import "slices"

// Procedure is one of the fixed démarche categories a mandate can cover.
type Procedure struct {
	ID string
	// Label is shown to people and sent to services in rep_scope.
	Label string
	// RepScope is the FranceConnect rep_scope value for this procedure.
	RepScope string
	// Description says what the category covers, for the aidant and the
	// usager choosing it.
	Description string
	// Examples are services where it is used.
	Examples string
	// Warning, when set, is shown wherever the procedure is chosen.
	Warning string
}

// procedures is the catalogue, in display order.
var procedures = []Procedure{
	{ID: "papiers", Label: "Papiers - Citoyenneté - Élections", RepScope: "Papier-Citoyenneté-Elections",
		Description: "Pièces d'identité, état civil, inscription sur les listes électorales, recensement.",
		Examples:    "ANTS, service-public.fr"},
	{ID: "famille", Label: "Famille - Scolarité", RepScope: "Famille-Scolarité",
		Description: "Prestations familiales, naissance, garde d'enfants, inscriptions scolaires, bourses.",
		Examples:    "CAF, caf.fr, EduConnect"},
	{ID: "social", Label: "Social - Santé", RepScope: "Social-Santé",
		Description: "Assurance maladie, complémentaire santé solidaire, RSA, aides sociales, retraite, handicap.",
		Examples:    "ameli.fr, CAF, info-retraite.fr, MDPH"},
	{ID: "travail", Label: "Travail - Formation", RepScope: "Travail-Formation",
		Description: "Recherche d'emploi, indemnisation chômage, formation professionnelle.",
		Examples:    "France Travail, Mon compte formation"},
	{ID: "logement", Label: "Logement", RepScope: "Logement",
		Description: "Aides au logement, demande de logement social, énergie.",
		Examples:    "CAF (APL), demande-logement-social.gouv.fr, chèque énergie"},
	{ID: "transports", Label: "Transports - Mobilité", RepScope: "Transports-Mobilité",
		Description: "Permis de conduire, carte grise, amendes.",
		Examples:    "ANTS, ANTAI"},
	{ID: "argent", Label: "Argent - Impôts - Consommation", RepScope: "Argent-Impots-Consommation",
		Description: "Impôts, déclaration de revenus, litiges de consommation.",
		Examples:    "impots.gouv.fr",
		Warning:     "Les actes bancaires (virements, gestion de comptes) sont exclus du mandat."},
	{ID: "justice", Label: "Justice", RepScope: "Justice",
		Description: "Casier judiciaire, aide juridictionnelle, démarches auprès des tribunaux.",
		Examples:    "casier-judiciaire.justice.gouv.fr, justice.fr"},
	{ID: "etranger", Label: "Étranger - Europe", RepScope: "Etranger-Europe",
		Description: "Titres de séjour, naturalisation, démarches des Français à l'étranger.",
		Examples:    "ANEF (administration-etrangers-en-france)"},
	{ID: "loisirs", Label: "Loisirs - Sport - Culture", RepScope: "Loisirs-Sport-Culture",
		Description: "Pass Culture, licences et aides sportives, chasse et pêche.",
		Examples:    "pass Culture, Pass'Sport"},
}

// All returns the catalogue in display order.
func All() []Procedure {
	return append([]Procedure(nil), procedures...)
}

// ByID returns the procedure with this id.
func ByID(id string) (Procedure, bool) {
	for _, p := range procedures {
		if p.ID == id {
			return p, true
		}
	}
	return Procedure{}, false
}

// ByRequest returns the procedure a service names in a request: its id, its
// FranceConnect rep_scope value, or its label.
func ByRequest(s string) (Procedure, bool) {
	for _, p := range procedures {
		if s == p.ID || s == p.RepScope || s == p.Label {
			return p, true
		}
	}
	return Procedure{}, false
}

// Rank is the position of id in the catalogue; unknown ids come last.
func Rank(id string) int {
	for i, p := range procedures {
		if p.ID == id {
			return i
		}
	}
	return len(procedures)
}

// InOrder returns the known ids among ids, once each, in catalogue order.
func InOrder(ids []string) []string {
	var out []string
	for _, p := range procedures {
		if slices.Contains(ids, p.ID) {
			out = append(out, p.ID)
		}
	}
	return out
}
