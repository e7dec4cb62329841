package anomaly

import (
	"strings"
	"testing"
	"time"
)

// t0 is the start of every test trip.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// at is t0 plus m minutes.
func at(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }

// rd is a reading m minutes after t0.
func rd(m, c float64) Reading { return Reading{At: at(m), Celsius: c} }

// series is readings every step minutes from t0.
func series(step float64, cs ...float64) []Reading {
	rs := make([]Reading, len(cs))
	for i, c := range cs {
		rs[i] = rd(float64(i)*step, c)
	}
	return rs
}

func ptr(x float64) *float64 { return &x }

// chilled is chilled pork's storage range.
var chilled = Range{Min: ptr(0), Max: ptr(4)}

// meat is the default cold-chain parameters of MEAT.
var meat = DefaultConfig().ColdChainFor("MEAT")

var (
	shipment = Subject{Type: SubjectShipment, ID: 7}
	batch    = Subject{Type: SubjectBatch, ID: 42}
)

// compressorFailure rises from 3 °C to 12 °C in 3 hours, a reading
// every 5 minutes: above 4 °C from minute 25 on.
func compressorFailure() []Reading {
	var rs []Reading
	for i := 0; i <= 36; i++ {
		rs = append(rs, rd(float64(i*5), 3+0.25*float64(i)))
	}
	return rs
}

// doorSpike is a normal trip with the door opened at a stop: two readings
// 5 minutes apart at 8 °C.
func doorSpike() []Reading {
	return series(5, 2, 2.5, 3, 8, 8, 3, 2.5, 2, 2, 2, 2, 2)
}

// want is what a test checks of a finding.
type want struct {
	kind      Kind
	sev       Severity
	subject   Subject
	facility  int
	at        time.Time
	observed  float64
	threshold float64
	unit      string
	summary   []string // substrings of the summary
}

// checkFindings compares got with ws, in order.
func checkFindings(t *testing.T, got []Finding, ws ...want) {
	t.Helper()
	if len(got) != len(ws) {
		t.Fatalf("got %d findings, want %d: %+v", len(got), len(ws), got)
	}
	for i, w := range ws {
		f := got[i]
		if f.Kind != w.kind || f.Severity != w.sev || f.Subject != w.subject || f.FacilityID != w.facility {
			t.Errorf("finding %d: got %s %s %v facility %d, want %s %s %v facility %d",
				i, f.Kind, f.Severity, f.Subject, f.FacilityID, w.kind, w.sev, w.subject, w.facility)
		}
		if !f.At.Equal(w.at) {
			t.Errorf("finding %d: At = %v, want %v", i, f.At, w.at)
		}
		if !near(f.Evidence.Observed, w.observed) || !near(f.Evidence.Threshold, w.threshold) || f.Evidence.Unit != w.unit {
			t.Errorf("finding %d: observed %v, threshold %v %q; want %v, %v %q",
				i, f.Evidence.Observed, f.Evidence.Threshold, f.Evidence.Unit, w.observed, w.threshold, w.unit)
		}
		for _, s := range w.summary {
			if !strings.Contains(f.Evidence.Summary, s) {
				t.Errorf("finding %d: summary %q lacks %q", i, f.Evidence.Summary, s)
			}
		}
		if !strings.HasSuffix(f.Evidence.Summary, ".") {
			t.Errorf("finding %d: summary %q is not a sentence", i, f.Evidence.Summary)
		}
		if len(f.Evidence.Readings) > MaxEvidenceReadings {
			t.Errorf("finding %d: %d evidence readings", i, len(f.Evidence.Readings))
		}
	}
}

func near(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}

// value returns the evidence value called name.
func value(t *testing.T, f Finding, name string) float64 {
	t.Helper()
	for _, v := range f.Evidence.Values {
		if v.Name == name {
			return v.Value
		}
	}
	t.Fatalf("no value %q in %+v", name, f.Evidence.Values)
	return 0
}

// hasValue reports whether the evidence has a value called name.
func hasValue(f Finding, name string) bool {
	for _, v := range f.Evidence.Values {
		if v.Name == name {
			return true
		}
	}
	return false
}
