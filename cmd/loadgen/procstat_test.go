package main

import "testing"

func TestRSSFlat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		points []float64
		flat   bool
		growth float64
	}{
		{"no series", nil, true, 0},
		{"one slice", []float64{60}, true, 0},
		{"steady", []float64{60, 62, 61, 63}, true, 3},
		{"shrinking", []float64{80, 70, 65}, true, -15},
		{"within 5 MB of a small heap", []float64{30, 34.5}, true, 4.5},
		{"within 10 % of a large heap", []float64{100, 109}, true, 9},
		{"climbing", []float64{60, 70, 80, 90}, false, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &ServerStats{}
			for i, mb := range tc.points {
				s.RSSOverTime = append(s.RSSOverTime, RSSPoint{AtSeconds: float64(10 * (i + 1)), RSSMB: mb})
			}
			if got := s.RSSFlat(); got != tc.flat {
				t.Errorf("RSSFlat(%v) = %v, want %v", tc.points, got, tc.flat)
			}
			if got := s.RSSGrowthMB(); got != tc.growth {
				t.Errorf("RSSGrowthMB(%v) = %v, want %v", tc.points, got, tc.growth)
			}
		})
	}
}

func TestSoakVerdict(t *testing.T) {
	flat := &ServerStats{RSSOverTime: []RSSPoint{{10, 60}, {20, 61}}}
	leaking := &ServerStats{RSSOverTime: []RSSPoint{{10, 60}, {20, 90}}}
	for _, tc := range []struct {
		name string
		r    *Result
		ok   bool
	}{
		{"clean", &Result{Phase: "rate", Logins: 100, Server: flat}, true},
		{"errors", &Result{Phase: "rate", Logins: 100, Errors: 1, Server: flat}, false},
		{"leak", &Result{Phase: "rate", Logins: 100, Server: leaking}, false},
		{"unsampled", &Result{Phase: "rate", Logins: 100}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := soakVerdict(tc.r); (err == nil) != tc.ok {
				t.Errorf("soakVerdict = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
