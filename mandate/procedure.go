// Package mandate holds the procedures catalogue, mandates and permissions,
// and their rules.
package mandate

// Procedure is one of the fixed démarche categories a mandate can cover.
type Procedure struct {
	ID string
	// Label is shown to people and sent to services in rep_scope.
	Label string
	// RepScope is the FranceConnect rep_scope value for this procedure.
	RepScope string
	// Warning, when set, is shown wherever the procedure is chosen.
	Warning string
}

// Procedures is the catalogue, in display order (DESIGN.md §4).
var procedures = []Procedure{
	{ID: "papiers", Label: "Papiers - Citoyenneté - Élections", RepScope: "Papier-Citoyenneté-Elections"},
	{ID: "famille", Label: "Famille - Scolarité", RepScope: "Famille-Scolarité"},
	{ID: "social", Label: "Social - Santé", RepScope: "Social-Santé"},
	{ID: "travail", Label: "Travail - Formation", RepScope: "Travail-Formation"},
	{ID: "logement", Label: "Logement", RepScope: "Logement"},
	{ID: "transports", Label: "Transports - Mobilité", RepScope: "Transports-Mobilité"},
	{ID: "argent", Label: "Argent - Impôts - Consommation", RepScope: "Argent-Impots-Consommation",
		Warning: "Les actes bancaires (virements, gestion de comptes) sont exclus du mandat."},
	{ID: "justice", Label: "Justice", RepScope: "Justice"},
	{ID: "etranger", Label: "Étranger - Europe", RepScope: "Etranger-Europe"},
	{ID: "loisirs", Label: "Loisirs - Sport - Culture", RepScope: "Loisirs-Sport-Culture"},
}

// Procedures returns the catalogue in display order.
func Procedures() []Procedure {
	return append([]Procedure(nil), procedures...)
}

// ProcedureByID returns the procedure with this id.
func ProcedureByID(id string) (Procedure, bool) {
	for _, p := range procedures {
		if p.ID == id {
			return p, true
		}
	}
	return Procedure{}, false
}
