package anomaly

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSortFindings(t *testing.T) {
	f := func(st SubjectType, id int, k Kind, facility int) Finding {
		return Finding{Subject: Subject{Type: st, ID: id}, Kind: k, FacilityID: facility}
	}
	got := []Finding{
		f(SubjectTraceCode, 1, ScanBurst, 0),
		f(SubjectShipment, 2, LoggingGap, 0),
		f(SubjectBatch, 10, ExpiredOnShelf, 4),
		f(SubjectBatch, 9, OverShelved, 0),
		f(SubjectBatch, 10, ExpiredOnShelf, 3),
		f(SubjectBatch, 10, CumulativeExcursion, 0),
	}
	SortFindings(got)
	want := []Finding{
		f(SubjectBatch, 9, OverShelved, 0),
		f(SubjectBatch, 10, CumulativeExcursion, 0),
		f(SubjectBatch, 10, ExpiredOnShelf, 3),
		f(SubjectBatch, 10, ExpiredOnShelf, 4),
		f(SubjectShipment, 2, LoggingGap, 0),
		f(SubjectTraceCode, 1, ScanBurst, 0),
	}
	if !slices.EqualFunc(got, want, func(a, b Finding) bool { return compareFindings(a, b) == 0 }) {
		t.Errorf("got %+v", got)
	}
	SortFindings(nil)
}

func TestTrimReadings(t *testing.T) {
	for _, n := range []int{0, 1, 24, 25, 100} {
		rs := series(1, make([]float64, n)...)
		got := trimReadings(rs)
		if len(got) != min(n, MaxEvidenceReadings) {
			t.Errorf("%d readings trimmed to %d", n, len(got))
			continue
		}
		if n > MaxEvidenceReadings && (got[0] != rs[0] || got[11] != rs[11] || got[12] != rs[n-12] || got[23] != rs[n-1]) {
			t.Errorf("%d readings: not the first and last 12", n)
		}
	}
}

func TestEvidenceJSON(t *testing.T) {
	from := at(0)
	e := Evidence{
		Summary: "s", Observed: 1.5, Threshold: 1, Unit: "min", From: &from,
		Readings: []Reading{rd(0, 5)}, Values: []Value{{Name: "n", Value: 2}}, Regions: []string{"110105"},
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"summary":"s","observed":1.5,"threshold":1,"unit":"min","from":"2025-03-01T08:00:00Z",` +
		`"readings":[{"at":"2025-03-01T08:00:00Z","celsius":5}],"values":[{"name":"n","value":2}],"regions":["110105"]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(Evidence{})
	if string(b) != `{"summary":"","observed":0,"threshold":0,"unit":""}` {
		t.Errorf("empty evidence: %s", b)
	}
}

// TestFindingsEncode runs every rule on awkward input and checks that the
// findings encode as JSON (no NaN or infinity slipped through) and have
// sentence summaries.
func TestFindingsEncode(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	rs := []Reading{rd(0, nan), rd(1, inf), rd(2, 30), rd(40, 30), rd(41, -inf), rd(200, 30), rd(201, 30), rd(202, 3)}
	c := DefaultConfig()
	var all []Finding
	all = append(all, OutOfRange(shipment, rs, chilled, meat)...)
	all = append(all, Sustained(shipment, rs, chilled, meat)...)
	all = append(all, Cumulative(batch, [][]Reading{rs, rs}, chilled, meat)...)
	all = append(all, Gaps(shipment, rs, meat)...)
	in := Inspection{ID: 1, At: at(0), Failed: true, Measurements: []Measurement{{Name: "TVB-N", Value: inf}, {Name: "TVB-N", Value: 16}}}
	all = append(all, FailedInspection(batch, in)...)
	all = append(all, OverLimit(batch, in, c.LegalLimits)...)
	var samples []Sample
	for i := range 30 {
		samples = append(samples, Sample{Subject: Subject{Type: SubjectBatch, ID: i}, Value: float64(i % 3)})
	}
	samples = append(samples, Sample{Value: nan}, Sample{Value: inf}, Sample{Subject: batch, Value: 100})
	all = append(all, Outliers(MeasurementOutlier, samples, c.Measurements, false, "")...)
	if len(all) != 7 {
		t.Errorf("%d findings, want 7: %+v", len(all), all)
	}
	for _, f := range all {
		if _, err := json.Marshal(f.Evidence); err != nil {
			t.Errorf("%s: %v", f.Kind, err)
		}
		if !strings.HasSuffix(f.Evidence.Summary, ".") || strings.Contains(f.Evidence.Summary, "%!") {
			t.Errorf("%s: summary %q", f.Kind, f.Evidence.Summary)
		}
		if f.Severity == "" || f.Subject.Type == "" || f.At.IsZero() && f.Kind != MeasurementOutlier {
			t.Errorf("%s: incomplete finding %+v", f.Kind, f)
		}
	}
}

func TestFingerprint(t *testing.T) {
	subject := Subject{Type: SubjectShipment, ID: 7}
	outlier := func(value, median float64, n int) Finding {
		return Finding{Kind: TransitOutlier, Subject: subject, Evidence: Evidence{
			Summary: "slow", Observed: (value - median) / 3, Unit: "min",
			Values: []Value{{Name: "value", Value: value, Unit: "min"}, {Name: "median", Value: median}, {Name: "sample size", Value: float64(n)}},
		}}
	}
	if outlier(300, 60, 10).Fingerprint() != outlier(300, 62, 11).Fingerprint() {
		t.Error("an outlier's fingerprint moves with its sample")
	}
	if outlier(300, 60, 10).Fingerprint() == outlier(320, 60, 10).Fingerprint() {
		t.Error("an outlier's fingerprint ignores its own value")
	}
	sustained := func(minutes float64) Finding {
		return Finding{Kind: SustainedExcursion, Subject: subject, Evidence: Evidence{Observed: minutes, Unit: "min"}}
	}
	if sustained(40).Fingerprint() == sustained(55).Fingerprint() {
		t.Error("a longer excursion has the same fingerprint")
	}
}
