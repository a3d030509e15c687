package oversight

import (
	"net/url"
	"testing"

	"procura/problem"
)

func TestThresholdsRoundTrip(t *testing.T) {
	v := url.Values{}
	for k, s := range DefaultThresholds.Values() {
		v.Set(k, s)
	}
	got, err := ThresholdsFromValues(v)
	if err != nil || got != DefaultThresholds {
		t.Fatalf("defaults read back as %+v, %v", got, err)
	}
	v.Del("dimanche") // an unchecked box sends nothing
	if got, err := ThresholdsFromValues(v); err != nil || got.Sunday {
		t.Errorf("without the box: %+v, %v", got, err)
	}
}

func TestNight(t *testing.T) {
	for _, tc := range []struct {
		start, end int
		night      []int
	}{
		{20, 7, []int{20, 23, 0, 6}},
		{0, 6, []int{0, 5}},
		{8, 8, nil},
	} {
		th := Thresholds{NightStart: tc.start, NightEnd: tc.end}
		n := 0
		for h := range 24 {
			if th.night(h) {
				n++
			}
		}
		for _, h := range tc.night {
			if !th.night(h) {
				t.Errorf("%d–%d: %d h is not night", tc.start, tc.end, h)
			}
		}
		want := (tc.end - tc.start + 24) % 24
		if n != want {
			t.Errorf("%d–%d: %d night hours, want %d", tc.start, tc.end, n, want)
		}
	}
}

// FuzzThresholdsFromValues: whatever a form sends, the thresholds are
// within their bounds or refused with a French message, never a panic.
func FuzzThresholdsFromValues(f *testing.F) {
	f.Add("3", "20", "20", "7", "1", "3", "5", "30", "14")
	f.Add("", "-1", "24", "x", "oui", "1e3", "0x10", "181", " 14 ")
	f.Add("50", "10000", "0", "23", "0", "100", "1000", "0", "180")
	f.Fuzz(func(t *testing.T, factor, floor, start, end, sunday, aidants, refusals, habs, mandates string) {
		v := url.Values{"facteur_volume": {factor}, "plancher_volume": {floor}, "nuit_debut": {start}, "nuit_fin": {end},
			"dimanche": {sunday}, "usager_aidants": {aidants}, "refus": {refusals}, "jours_habilitation": {habs}, "jours_mandats": {mandates}}
		th, err := ThresholdsFromValues(v)
		if err != nil {
			if problem.CodeOf(err) != problem.Invalid || problem.MessageOf(err) == "" {
				t.Fatalf("refusal %v is not a French message", err)
			}
			return
		}
		for _, fl := range thresholdFields {
			if n := *fl.field(&th); n < fl.min || n > fl.max {
				t.Fatalf("%s = %d accepted", fl.name, n)
			}
		}
	})
}
