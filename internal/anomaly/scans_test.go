package anomaly

import (
	"slices"
	"testing"
	"time"
)

func TestScans(t *testing.T) {
	p := DefaultConfig().Scans
	code := Subject{Type: SubjectTraceCode, ID: 5}
	// every is n scans step minutes apart from t0, in region.
	every := func(n int, step float64, region string) []Scan {
		s := make([]Scan, n)
		for i := range s {
			s[i] = Scan{At: at(float64(i) * step), Region: region}
		}
		return s
	}
	week := 7 * 24 * 60.0
	day := 24 * 60.0
	tests := []struct {
		name       string
		serialised bool
		scans      []Scan
		want       []want
	}{
		{"none", true, nil, nil},
		{"lot code scanned everywhere", false, append(every(50, 1, "110105"), Scan{At: at(2), Region: "440305"}), nil},
		{"20 scans in a week", true, every(20, 60, "110105"), nil},
		{"21 scans in a week", true, every(21, 60, "110105"), []want{{
			kind: ScanBurst, sev: Medium, subject: code, at: at(20 * 60),
			observed: 21, threshold: 20, unit: "scans",
			summary: []string{"Scanned 21 times between 2025-03-01 08:00 UTC and 2025-03-02 04:00 UTC, more than 20 within 7 days", "from 1 region"},
		}}},
		{"21 scans, the last exactly a week after the first", true,
			append(every(20, 1, ""), Scan{At: at(week)}), []want{{
				kind: ScanBurst, sev: Medium, subject: code, at: at(week),
				observed: 21, threshold: 20, unit: "scans",
			}}},
		{"21 scans over a week and a minute", true,
			append(every(20, 1, ""), Scan{At: at(week + 1)}), nil},
		{"duplicate times count", true, every(21, 0, ""), []want{{
			kind: ScanBurst, sev: Medium, subject: code, at: t0, observed: 21, threshold: 20, unit: "scans",
		}}},
		{"same province", true, []Scan{{at(0), "110105"}, {at(5), "110108"}}, nil},
		{"unknown regions", true, []Scan{{at(0), ""}, {at(5), "440305"}, {at(6), "44"}, {at(7), "11abcd"}}, nil},
		{"two provinces within a day", true, []Scan{{at(0), "110105"}, {at(210), "440305"}}, []want{{
			kind: ScanSpread, sev: High, subject: code, at: at(210), observed: 3.5, threshold: 24, unit: "h",
			summary: []string{"Scanned in region 110105 and 3.5 h later in region 440305, a different province, within 24 h"},
		}}},
		{"exactly a day apart", true, []Scan{{at(day), "440305"}, {at(0), "110105"}}, []want{{
			kind: ScanSpread, sev: High, subject: code, at: at(day), observed: 24, threshold: 24, unit: "h",
		}}},
		{"a day and a minute apart", true, []Scan{{at(0), "110105"}, {at(day + 1), "440305"}}, nil},
		{"closest pair is reported", true, []Scan{
			{at(0), "110105"}, {at(600), "440305"}, {at(900), "440306"}, {at(960), "310101"}, {at(2000), "110105"},
		}, []want{{
			kind: ScanSpread, sev: High, subject: code, at: at(960), observed: 1, threshold: 24, unit: "h",
		}}},
		{"burst and spread, sorted by kind", true, append(every(25, 10, "110105"), Scan{At: at(5), Region: "440305"}), []want{
			{kind: ScanBurst, sev: Medium, subject: code, at: at(240), observed: 26, threshold: 20, unit: "scans", summary: []string{"from 2 regions"}},
			{kind: ScanSpread, sev: High, subject: code, at: at(5), observed: 5.0 / 60, threshold: 24, unit: "h"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.scans)
			checkFindings(t, Scans(code, tt.serialised, tt.scans, p), tt.want...)
			if !slices.Equal(in, tt.scans) {
				t.Errorf("input modified")
			}
		})
	}
}

func TestScansEvidence(t *testing.T) {
	p := ScanParams{BurstCount: 2, BurstWindow: time.Hour, SpreadWindow: time.Hour}
	scans := []Scan{{at(0), "440305"}, {at(10), "110105"}, {at(20), ""}, {at(30), "440305"}}
	got := Scans(batch, true, scans, p)
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	if r := got[0].Evidence.Regions; !slices.Equal(r, []string{"110105", "440305"}) {
		t.Errorf("burst regions %v", r)
	}
	if r := got[1].Evidence.Regions; !slices.Equal(r, []string{"440305", "110105"}) {
		t.Errorf("spread regions %v, want the pair in time order", r)
	}
	if !got[1].Evidence.From.Equal(at(0)) || !got[1].Evidence.To.Equal(at(10)) {
		t.Errorf("spread From..To = %v..%v", got[1].Evidence.From, got[1].Evidence.To)
	}
	// A nonsensical window must not panic.
	_ = Scans(batch, true, scans, ScanParams{BurstWindow: -time.Hour, SpreadWindow: -time.Hour})
}
