package web

import (
	"time"

	"procura/mandate"
)

// Pages write dates with the mandate package's formatters
// (mandate/text_dates.go), the ones attestations and emails use: one way
// to write a date everywhere, in Paris time.

// frenchBirthdate shows a FranceConnect birthdate, partial ones included:
// "12 avril 1985", "août 1970 (jour inconnu)", "1962 (jour et mois
// inconnus)".
func frenchBirthdate(s string) string {
	if f, err := mandate.FrenchBirthdate(s); err == nil {
		return f
	}
	return s
}

// bornOn is a FranceConnect birthdate after "né(e)": "le 12 avril 1985",
// "en août 1970", "en 1962".
func bornOn(s string) string {
	if f, err := mandate.FrenchBornOn(s); err == nil {
		return f
	}
	return s
}

// frenchDay is t's date in Paris: "1er mars 2027".
func frenchDay(t time.Time) string { return mandate.FrenchDate(t, paris()) }

// frenchMoment is t's date and time in Paris: "1er mars 2027 à 9 h 05".
func frenchMoment(t time.Time) string { return mandate.FrenchDateTime(t, paris()) }
