package anomaly

import (
	"math"
	"testing"
	"time"
)

func TestModifiedZ(t *testing.T) {
	nan := math.NaN()
	// meanAD of {5 ×6, 10}: the mean is 40/7, and the mean absolute
	// deviation around it 2·(6·5/7)/7 = 60/49.
	fallback := 5 / (1.253314 * 60 / 49)
	const z15 = 0.6745 / 1.5 // one unit from the median when MAD is 1.5
	tests := []struct {
		name        string
		values      []float64
		scores      []float64
		median, mad float64
		ok          bool
	}{
		{"nil", nil, nil, 0, 0, false},
		{"all NaN", []float64{nan, nan}, nil, 0, 0, false},
		{"one value", []float64{3}, nil, 3, 0, false},
		{"all equal", []float64{2, 2, 2}, nil, 2, 0, false},
		{"odd", []float64{1, 2, 3, 4, 100}, []float64{-1.349, -0.6745, 0, 0.6745, 65.4265}, 3, 1, true},
		{"even", []float64{1, 2, 4, 5}, []float64{-2 * z15, -z15, z15, 2 * z15}, 3, 1.5, true},
		{"MAD 0 falls back to the mean absolute deviation", []float64{5, 5, 5, 10, 5, 5, 5},
			[]float64{0, 0, 0, fallback, 0, 0, 0}, 5, 0, true},
		{"NaN scores NaN", []float64{1, nan, 2, 4, 5}, []float64{-2 * z15, nan, -z15, z15, 2 * z15}, 3, 1.5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scores, median, mad, ok := ModifiedZ(tt.values)
			if ok != tt.ok || median != tt.median || mad != tt.mad {
				t.Errorf("median %v, MAD %v, ok %v; want %v, %v, %v", median, mad, ok, tt.median, tt.mad, tt.ok)
			}
			if len(scores) != len(tt.scores) {
				t.Fatalf("scores %v, want %v", scores, tt.scores)
			}
			for i, w := range tt.scores {
				if math.IsNaN(w) != math.IsNaN(scores[i]) || (!math.IsNaN(w) && math.Abs(scores[i]-w) > 1e-9) {
					t.Errorf("score %d = %v, want %v", i, scores[i], w)
				}
			}
		})
	}
}

func TestOutliers(t *testing.T) {
	p := DefaultConfig().Measurements
	subj := func(i int) Subject { return Subject{Type: SubjectBatch, ID: i} }
	// sample is n values 10, 11, 12, 10, 11, 12... (median 11, MAD 1)
	// for batches 1..n, then the extra values for batches 100, 101...
	sample := func(n int, extra ...float64) []Sample {
		var s []Sample
		for i := range n {
			s = append(s, Sample{Subject: subj(i + 1), Value: float64(10 + i%3), At: at(float64(i))})
		}
		for i, v := range extra {
			s = append(s, Sample{Subject: subj(100 + i), Value: v, At: at(float64(1000 + i))})
		}
		return s
	}
	// Score 0.6745·(x−11)/1 > 3.5 needs x > 16.189.
	tests := []struct {
		name      string
		samples   []Sample
		p         OutlierParams
		upperOnly bool
		want      []want
	}{
		{"empty", nil, p, false, nil},
		{"one short of the minimum sample", sample(18, 40), p, false, nil},
		{"minimum sample", sample(19, 40), p, false, []want{{
			kind: MeasurementOutlier, sev: Medium, subject: subj(100), at: at(1000),
			observed: 0.6745 * 29, threshold: 3.5, unit: "z",
			summary: []string{"40 mg/100g has a modified z-score of 19.6, beyond ±3.5", "median of 11 mg/100g (MAD 1 mg/100g) among 20 values"},
		}}},
		{"NaN does not count towards the sample", append(sample(18, 40), Sample{Subject: subj(50), Value: math.NaN()}), p, false, nil},
		{"just under the threshold", sample(30, 16.18), p, false, nil},
		{"just over the threshold", sample(30, 16.2), p, false, []want{{
			kind: MeasurementOutlier, sev: Medium, subject: subj(100), at: at(1000),
			observed: 0.6745 * 5.2, threshold: 3.5, unit: "z",
		}}},
		{"low outliers count both ways", sample(30, 1), p, false, []want{{
			kind: MeasurementOutlier, sev: Medium, subject: subj(100), at: at(1000),
			observed: 0.6745 * -10, threshold: 3.5, unit: "z",
		}}},
		{"all equal", []Sample{{subj(1), 5, at(0)}, {subj(2), 5, at(0)}}, OutlierParams{Threshold: 3.5}, false, nil},
		{"sorted by subject", sample(30, 40, 1), p, false, []want{
			{kind: MeasurementOutlier, sev: Medium, subject: subj(100), at: at(1000), observed: 0.6745 * 29, threshold: 3.5, unit: "z"},
			{kind: MeasurementOutlier, sev: Medium, subject: subj(101), at: at(1001), observed: 0.6745 * -10, threshold: 3.5, unit: "z"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, Outliers(MeasurementOutlier, tt.samples, tt.p, tt.upperOnly, "mg/100g"), tt.want...)
		})
	}
}

func TestOutliersTransit(t *testing.T) {
	p := DefaultConfig().Transit
	route := func(hours ...float64) []Sample {
		var s []Sample
		for i, h := range hours {
			s = append(s, Sample{Subject: Subject{Type: SubjectShipment, ID: i + 1}, Value: h, At: at(float64(i * 60))})
		}
		return s
	}
	tests := []struct {
		name    string
		samples []Sample
		want    []want
	}{
		{"seven trips are too few", route(10, 10, 11, 10, 12, 10, 40), nil},
		// Median 10.5 h, MAD 0.5 h.
		{"slow trip", route(10, 10, 11, 10, 12, 10, 11, 40), []want{{
			kind: TransitOutlier, sev: Low, subject: Subject{Type: SubjectShipment, ID: 8}, at: at(420),
			observed: 0.6745 * 29.5 / 0.5, threshold: 3.5, unit: "z",
		}}},
		{"fast trips do not alarm", route(10, 10, 11, 10, 12, 10, 11, 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, Outliers(TransitOutlier, tt.samples, p, true, "h"), tt.want...)
		})
	}
}

func TestOutliersEvidence(t *testing.T) {
	p := OutlierParams{Threshold: 3.5, MinSample: 5}
	s := func(id int, v float64) Sample {
		return Sample{Subject: Subject{Type: SubjectBatch, ID: id}, Value: v, At: t0.Add(time.Duration(id) * time.Hour)}
	}
	// MAD is 0: the fallback scale is used and shown. The mean is 9.5
	// and the mean absolute deviation (9·4.5 + 40.5)/10 = 8.1.
	var fives []Sample
	for i := range 9 {
		fives = append(fives, s(i+1, 5))
	}
	got := Outliers(MeasurementOutlier, append(fives, s(10, 50)), p, false, "mg/100g")
	if len(got) != 1 {
		t.Fatalf("got %+v", got)
	}
	f := got[0]
	if value(t, f, "MAD") != 0 || value(t, f, "median") != 5 || value(t, f, "sample size") != 10 || value(t, f, "value") != 50 {
		t.Errorf("values %+v", f.Evidence.Values)
	}
	if mad := value(t, f, "mean absolute deviation"); !near(mad, 8.1) {
		t.Errorf("mean absolute deviation %v, want 8.1", mad)
	}
	if !near(f.Evidence.Observed, 45/(1.253314*8.1)) {
		t.Errorf("score %v", f.Evidence.Observed)
	}
	if !near(value(t, f, "score"), f.Evidence.Observed) {
		t.Errorf("score value differs from Observed")
	}

	// One finding per subject, for its most extreme value.
	got = Outliers(MeasurementOutlier, []Sample{s(1, 10), s(2, 11), s(3, 12), s(4, 10), s(5, 11), s(6, 12), s(7, 30), s(7, 40)}, p, false, "")
	if len(got) != 1 || value(t, got[0], "value") != 40 || value(t, got[0], "outlying values") != 2 {
		t.Errorf("got %+v", got)
	}
}
