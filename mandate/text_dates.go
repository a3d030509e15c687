package mandate

import (
	"fmt"
	"strconv"
	"time"
)

var frenchMonths = [...]string{
	"janvier", "février", "mars", "avril", "mai", "juin",
	"juillet", "août", "septembre", "octobre", "novembre", "décembre",
}

// Paris returns the time zone in which dates are shown to people. It fails
// only when the time zone database is missing: programs import time/tzdata
// (cmd/procura does), so that it is there on minimal images too. Dates on an
// attestation are never shown in another zone as a fallback.
func Paris() (*time.Location, error) {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, fmt.Errorf("mandate: loading Europe/Paris (import time/tzdata in the program): %w", err)
	}
	return loc, nil
}

// FrenchDate formats t in loc as a French date: "1er mars 2026", "22 novembre 2026".
func FrenchDate(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return frenchDay(t.Day()) + " " + frenchMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// FrenchDateTime formats t in loc as a French date and time, hours and
// minutes as French typography writes them: "22 novembre 2026 à 14 h 05",
// "1er mars 2026 à 9 h 00".
func FrenchDateTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%s à %d h %02d", FrenchDate(t, loc), t.Hour(), t.Minute())
}

// FrenchParisDateTime is FrenchDateTime in Paris, saying so, as pages and
// attestations write the times a mandate begins and ends: "30 mars 2027 à
// 11 h 00 (heure de Paris)". paris is Paris().
func FrenchParisDateTime(t time.Time, paris *time.Location) string {
	return FrenchDateTime(t, paris) + " (heure de Paris)"
}

// DaylightSavingNote explains, when the clocks change in loc between from
// and to (a mandate's signature and its end), why the end is not at the
// time of day of the signature: a mandate lasts whole days of 24 hours
// (DESIGN.md §4: expiry = signature time + duration). It is "" when the
// two times have the same offset (no change, or two that cancel out).
func DaylightSavingNote(from, to time.Time, loc *time.Location) string {
	from, to = from.In(loc), to.In(loc)
	_, before := from.Zone()
	_, after := to.Zone()
	change := "d’été"
	switch {
	case after == before:
		return ""
	case after < before:
		change = "d’hiver"
	}
	return fmt.Sprintf("Le passage à l’heure %s a lieu pendant le mandat : sa durée se compte en jours de 24 heures, "+
		"c’est pourquoi l’heure de fin (%d h %02d) diffère d’une heure de l’heure de signature (%d h %02d).",
		change, to.Hour(), to.Minute(), from.Hour(), from.Minute())
}

func frenchDay(d int) string {
	if d == 1 {
		return "1er"
	}
	return strconv.Itoa(d)
}

// FrenchBirthdate formats a FranceConnect birthdate (YYYY-MM-DD, or
// YYYY-MM-00 and YYYY-00-00 when the civil register does not know the day or
// the month) in French: "3 mars 1962", "mars 1962 (jour inconnu)",
// "1962 (jour et mois inconnus)".
func FrenchBirthdate(s string) (string, error) {
	year, month, day, err := parseBirthdate(s)
	if err != nil {
		return "", err
	}
	switch {
	case month == 0:
		return fmt.Sprintf("%d (jour et mois inconnus)", year), nil
	case day == 0:
		return fmt.Sprintf("%s %d (jour inconnu)", frenchMonths[month-1], year), nil
	default:
		return fmt.Sprintf("%s %s %d", frenchDay(day), frenchMonths[month-1], year), nil
	}
}

// FrenchBornOn formats a FranceConnect birthdate to follow "né(e)" in a
// sentence: "le 1er mars 1962", "en mars 1962" (day unknown), "en 1962"
// (day and month unknown), never "né(e) le 1962".
func FrenchBornOn(s string) (string, error) {
	year, month, day, err := parseBirthdate(s)
	if err != nil {
		return "", err
	}
	switch {
	case month == 0:
		return fmt.Sprintf("en %d", year), nil
	case day == 0:
		return fmt.Sprintf("en %s %d", frenchMonths[month-1], year), nil
	default:
		return fmt.Sprintf("le %s %s %d", frenchDay(day), frenchMonths[month-1], year), nil
	}
}

// parseBirthdate checks a FranceConnect birthdate: a real calendar date, or
// one with an unknown day (00), or with unknown day and month (00-00).
func parseBirthdate(s string) (year, month, day int, err error) {
	bad := fmt.Errorf("birthdate %q: not YYYY-MM-DD, YYYY-MM-00 or YYYY-00-00", s)
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, bad
	}
	for i, c := range []byte(s) {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return 0, 0, 0, bad
		}
	}
	year, _ = strconv.Atoi(s[:4])
	month, _ = strconv.Atoi(s[5:7])
	day, _ = strconv.Atoi(s[8:])
	switch {
	case year == 0 || month > 12:
		return 0, 0, 0, bad
	case month == 0 && day != 0:
		return 0, 0, 0, fmt.Errorf("birthdate %q: a day without a month", s)
	case day != 0:
		if t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC); t.Day() != day {
			return 0, 0, 0, fmt.Errorf("birthdate %q: no such day", s)
		}
	}
	return year, month, day, nil
}
