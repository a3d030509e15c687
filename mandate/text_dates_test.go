package mandate

import (
	"strings"
	"testing"
	"time"
)

func TestFrenchDateTime(t *testing.T) {
	paris, err := Paris()
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		name     string
		at       time.Time
		wantDate string
		wantTime string
	}{
		{"winter, UTC+1", utc(2026, time.November, 22, 13, 5), "22 novembre 2026", "22 novembre 2026 à 14 h 05"},
		{"summer, UTC+2", utc(2026, time.July, 14, 12, 0), "14 juillet 2026", "14 juillet 2026 à 14 h 00"},
		{"first of the month", utc(2027, time.March, 1, 8, 7), "1er mars 2027", "1er mars 2027 à 9 h 07"},
		{"new year in Paris, not yet in UTC", utc(2026, time.December, 31, 23, 30), "1er janvier 2027", "1er janvier 2027 à 0 h 30"},
		{"last minute before summer time", utc(2026, time.March, 29, 0, 59), "29 mars 2026", "29 mars 2026 à 1 h 59"},
		{"first minute of summer time (2 h is skipped)", utc(2026, time.March, 29, 1, 0), "29 mars 2026", "29 mars 2026 à 3 h 00"},
		{"last minute of summer time", utc(2026, time.October, 25, 0, 59), "25 octobre 2026", "25 octobre 2026 à 2 h 59"},
		{"first minute of winter time (2 h comes twice)", utc(2026, time.October, 25, 1, 0), "25 octobre 2026", "25 octobre 2026 à 2 h 00"},
		{"accented months", utc(2026, time.February, 10, 10, 0), "10 février 2026", "10 février 2026 à 11 h 00"},
		{"août", utc(2026, time.August, 15, 22, 59), "16 août 2026", "16 août 2026 à 0 h 59"},
		{"décembre", utc(2026, time.December, 24, 17, 45), "24 décembre 2026", "24 décembre 2026 à 18 h 45"},
		{"given in another zone", time.Date(2026, time.November, 22, 8, 5, 0, 0, newYork), "22 novembre 2026", "22 novembre 2026 à 14 h 05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FrenchDate(tt.at, paris); got != tt.wantDate {
				t.Errorf("FrenchDate = %q, want %q", got, tt.wantDate)
			}
			if got := FrenchDateTime(tt.at, paris); got != tt.wantTime {
				t.Errorf("FrenchDateTime = %q, want %q", got, tt.wantTime)
			}
		})
	}
}

func TestFrenchBirthdate(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "1962-03-14", want: "14 mars 1962"},
		{in: "1962-03-01", want: "1er mars 1962"},
		{in: "1962-08-15", want: "15 août 1962"},
		{in: "1962-12-31", want: "31 décembre 1962"},
		{in: "2000-02-29", want: "29 février 2000"},
		{in: "1962-02-00", want: "février 1962 (jour inconnu)"},
		{in: "1962-00-00", want: "1962 (jour et mois inconnus)"},
		{in: "1900-02-29", wantErr: true}, // not a leap year
		{in: "1962-04-31", wantErr: true},
		{in: "1962-00-05", wantErr: true}, // a day without a month
		{in: "1962-13-01", wantErr: true},
		{in: "0000-00-00", wantErr: true},
		{in: "62-03-14", wantErr: true},
		{in: "1962/03/14", wantErr: true},
		{in: "1962-3-14", wantErr: true},
		{in: "1962-03-1x", wantErr: true},
		{in: "+962-03-14", wantErr: true},
		{in: "1962-03-14T00:00:00Z", wantErr: true},
		{in: "１９６２-03-14", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := FrenchBirthdate(tt.in)
			switch {
			case tt.wantErr && err == nil:
				t.Errorf("got %q, want an error", got)
			case !tt.wantErr && err != nil:
				t.Errorf("error %v, want %q", err, tt.want)
			case got != tt.want:
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFrenchBornOn(t *testing.T) {
	for in, want := range map[string]string{"1985-04-12": "le 12 avril 1985", "1962-03-01": "le 1er mars 1962",
		"1970-08-00": "en août 1970", "1978-00-00": "en 1978"} {
		if got, err := FrenchBornOn(in); err != nil || got != want {
			t.Errorf("FrenchBornOn(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"bad", "1978-00-12", "1978-02-30", ""} {
		if got, err := FrenchBornOn(in); err == nil {
			t.Errorf("FrenchBornOn(%q) = %q, want an error", in, got)
		}
	}
}

// A mandate lasts whole days of 24 hours: across a change of the clocks,
// its end in Paris is an hour later or earlier in the day than its
// signature, and the pages say why.
func TestDaylightSavingNote(t *testing.T) {
	paris, err := Paris()
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	tests := []struct {
		name     string
		signed   time.Time
		days     int
		wantEnd  string
		wantNote string
	}{
		{"across summer time", time.Date(2027, time.March, 10, 10, 0, 0, 0, paris), 31, "10 avril 2027 à 11 h 00 (heure de Paris)", "heure d’été a lieu pendant le mandat : sa durée se compte en jours de 24 heures, c’est pourquoi l’heure de fin (11 h 00) diffère d’une heure de l’heure de signature (10 h 00)."},
		{"across winter time", time.Date(2026, time.October, 1, 10, 0, 0, 0, paris), 31, "1er novembre 2026 à 9 h 00 (heure de Paris)", "heure d’hiver"},
		{"no change", time.Date(2026, time.November, 24, 23, 59, 0, 0, paris), 1, "25 novembre 2026 à 23 h 59 (heure de Paris)", ""},
		{"a year: both changes", time.Date(2026, time.November, 24, 10, 0, 0, 0, paris), 365, "24 novembre 2027 à 10 h 00 (heure de Paris)", ""},
		{"ends in the night of the change", time.Date(2027, time.February, 26, 23, 59, 0, 0, paris), 31, "30 mars 2027 à 0 h 59 (heure de Paris)", "heure d’été"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end := tt.signed.Add(time.Duration(tt.days) * day)
			if got := FrenchParisDateTime(end, paris); got != tt.wantEnd {
				t.Errorf("end = %q, want %q", got, tt.wantEnd)
			}
			note := DaylightSavingNote(tt.signed, end, paris)
			if (tt.wantNote == "") != (note == "") || !strings.Contains(note, tt.wantNote) {
				t.Errorf("note = %q, want one about %q", note, tt.wantNote)
			}
		})
	}
}
