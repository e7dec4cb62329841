package anomaly

import (
	"math"
	"testing"
	"time"
)

func TestOutOfRange(t *testing.T) {
	tests := []struct {
		name     string
		readings []Reading
		r        Range
		p        ColdChainParams
		want     []want
	}{
		{"empty", nil, chilled, meat, nil},
		{"no range", series(5, 40), Range{}, meat, nil},
		{"at the hard limit", series(5, 3, 12, 3), chilled, meat, nil},
		{"just over the hard limit", series(5, 3, 12.1, 3), chilled, meat, []want{{
			kind: TemperatureOutOfRange, sev: High, subject: shipment, at: at(5),
			observed: 12.1, threshold: 12, unit: "°C",
			summary: []string{"12.1 °C", "8.1 °C above the 4 °C maximum", "12 °C hard limit"},
		}}},
		{"at the low hard limit", series(5, 1, -8, 1), chilled, meat, nil},
		{"just under the low hard limit", series(5, 1, -8.1, 1), chilled, meat, []want{{
			kind: TemperatureOutOfRange, sev: High, subject: shipment, at: at(5),
			observed: -8.1, threshold: -8, unit: "°C", summary: []string{"below the 0 °C minimum"},
		}}},
		{"max only: lows never alarm", series(5, -30), Range{Max: ptr(4)}, meat, nil},
		{"compressor failure peaks at the hard limit", compressorFailure(), chilled, meat, nil},
		{"door spike", doorSpike(), chilled, meat, nil},
		{"worst reported, last is At", series(5, 13, 20, 14, 3), chilled, meat, []want{{
			kind: TemperatureOutOfRange, sev: High, subject: shipment, at: at(10),
			observed: 20, threshold: 12, unit: "°C", summary: []string{"3 readings beyond it"},
		}}},
		{"zero margin", series(5, 4.5), chilled, ColdChainParams{}, []want{{
			kind: TemperatureOutOfRange, sev: High, subject: shipment, at: at(0),
			observed: 4.5, threshold: 4, unit: "°C",
		}}},
		{"unsorted with NaN", []Reading{rd(10, 3), rd(5, math.NaN()), rd(0, 15)}, chilled, meat, []want{{
			kind: TemperatureOutOfRange, sev: High, subject: shipment, at: at(0),
			observed: 15, threshold: 12, unit: "°C",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, OutOfRange(shipment, tt.readings, tt.r, tt.p), tt.want...)
		})
	}
}

func TestOutOfRangeEvidence(t *testing.T) {
	var rs []Reading
	for i := range 30 {
		rs = append(rs, rd(float64(i), 13+float64(i)/10))
	}
	f := OutOfRange(shipment, rs, chilled, meat)[0]
	if n := len(f.Evidence.Readings); n != MaxEvidenceReadings {
		t.Errorf("%d evidence readings, want %d", n, MaxEvidenceReadings)
	}
	if f.Evidence.Readings[11] != rs[11] || f.Evidence.Readings[12] != rs[18] {
		t.Errorf("evidence readings are not the first and last 12")
	}
	if !f.Evidence.From.Equal(at(0)) || !f.Evidence.To.Equal(at(29)) {
		t.Errorf("From..To = %v..%v", f.Evidence.From, f.Evidence.To)
	}
	if got := value(t, f, "readings beyond hard limit"); got != 30 {
		t.Errorf("readings beyond hard limit = %v", got)
	}
}

func TestSustained(t *testing.T) {
	// Thirty minutes above 4 °C: readings at 0, 10, 20, 30 min at v.
	flat := func(v float64) []Reading { return series(10, 3, v, v, v, v, 3) }
	tests := []struct {
		name     string
		readings []Reading
		r        Range
		p        ColdChainParams
		want     []want
	}{
		{"empty", nil, chilled, meat, nil},
		{"door spike lasts 5 min", doorSpike(), chilled, meat, nil},
		{"slow compressor failure", compressorFailure(), chilled, meat, []want{{
			kind: SustainedExcursion, sev: High, subject: shipment, at: at(180),
			observed: 155, threshold: 30, unit: "min",
			summary: []string{"Above the 4 °C maximum for 155 min", "peaking at 12 °C (8 °C outside)", "limit is 30 min"},
		}}},
		{"exactly the sustained time", flat(6), chilled, meat, []want{{
			kind: SustainedExcursion, sev: Medium, subject: shipment, at: at(40),
			observed: 30, threshold: 30, unit: "min",
		}}},
		{"a minute short", []Reading{rd(0, 3), rd(1, 6), rd(30, 6), rd(40, 3)}, chilled, meat, nil},
		{"exactly 5 °C outside is MEDIUM", flat(9), chilled, meat, []want{{
			kind: SustainedExcursion, sev: Medium, subject: shipment, at: at(40),
			observed: 30, threshold: 30, unit: "min",
		}}},
		{"just over 5 °C outside is HIGH", flat(9.1), chilled, meat, []want{{
			kind: SustainedExcursion, sev: High, subject: shipment, at: at(40),
			observed: 30, threshold: 30, unit: "min",
		}}},
		{"below the minimum", series(10, 1, -1, -2, -1, -1, 1), chilled, meat, []want{{
			kind: SustainedExcursion, sev: Medium, subject: shipment, at: at(40),
			observed: 30, threshold: 30, unit: "min", summary: []string{"Below the 0 °C minimum"},
		}}},
		{"aquatic is stricter", series(10, 3, 6, 6, 6, 3), chilled, DefaultConfig().ColdChainFor("AQUATIC"), []want{{
			kind: SustainedExcursion, sev: Medium, subject: shipment, at: at(30),
			observed: 20, threshold: 20, unit: "min",
		}}},
		{"unsorted with duplicates", []Reading{rd(40, 6), rd(0, 3), rd(20, 6), rd(50, 3), rd(10, 6), rd(30, 6), rd(0, 3)}, chilled, meat, []want{{
			kind: SustainedExcursion, sev: Medium, subject: shipment, at: at(40),
			observed: 30, threshold: 30, unit: "min",
		}}},
		{"unsorted, too short", []Reading{rd(30, 6), rd(0, 3), rd(20, 6), rd(40, 3), rd(10, 6)}, chilled, meat, nil},
		{"NaN does not break a run", []Reading{rd(0, 6), rd(15, math.NaN()), rd(30, 6)}, chilled, meat, []want{{
			kind: SustainedExcursion, sev: Medium, subject: shipment, at: at(30),
			observed: 30, threshold: 30, unit: "min",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, Sustained(shipment, tt.readings, tt.r, tt.p), tt.want...)
		})
	}
}

func TestSustainedPicksTheWorst(t *testing.T) {
	// A mild 60-minute excursion, then a severe 30-minute one.
	rs := append(series(10, 3, 5, 5, 5, 5, 5, 5, 3),
		rd(100, 10), rd(110, 10), rd(120, 10), rd(130, 10), rd(140, 3))
	got := Sustained(shipment, rs, chilled, meat)
	checkFindings(t, got, want{
		kind: SustainedExcursion, sev: High, subject: shipment, at: at(130),
		observed: 30, threshold: 30, unit: "min", summary: []string{"2 such excursions"},
	})
	if got := value(t, got[0], "excursions"); got != 2 {
		t.Errorf("excursions = %v", got)
	}
	if len(got[0].Evidence.Readings) != 4 || !got[0].Evidence.From.Equal(at(100)) {
		t.Errorf("evidence is not the severe excursion: %+v", got[0].Evidence)
	}

	// Among equally severe ones, the longest.
	rs = append(series(10, 3, 5, 5, 5, 5, 3), rd(60, 5), rd(70, 5), rd(80, 5), rd(90, 5), rd(100, 5), rd(110, 3))
	checkFindings(t, Sustained(shipment, rs, chilled, meat), want{
		kind: SustainedExcursion, sev: Medium, subject: shipment, at: at(100),
		observed: 40, threshold: 30, unit: "min",
	})
}

func TestCumulative(t *testing.T) {
	// excursion lasts m minutes, 2 °C above the range.
	excursion := func(m float64) []Reading { return []Reading{rd(0, 3), rd(10, 6), rd(10+m, 6), rd(20+m, 3)} }
	tests := []struct {
		name string
		legs [][]Reading
		p    ColdChainParams
		want []want
	}{
		{"no legs", nil, meat, nil},
		{"empty legs", [][]Reading{nil, {}}, meat, nil},
		{"door spike", [][]Reading{doorSpike()}, meat, nil},
		{"exactly the budget", [][]Reading{excursion(60)}, meat, nil},
		{"just over the budget", [][]Reading{excursion(61)}, meat, []want{{
			kind: CumulativeExcursion, sev: Medium, subject: batch, at: at(71),
			observed: 61, threshold: 60, unit: "min",
			summary: []string{"61 min outside the range in 1 excursion on 1 trip, over the 60 min budget (longest 61 min, peak 6 °C)"},
		}}},
		{"compressor failure", [][]Reading{compressorFailure()}, meat, []want{{
			kind: CumulativeExcursion, sev: Medium, subject: batch, at: at(180),
			observed: 155, threshold: 60, unit: "min",
		}}},
		{"adds up over legs", [][]Reading{excursion(40), shiftReadings(excursion(25), 24*60)}, meat, []want{{
			kind: CumulativeExcursion, sev: Medium, subject: batch, at: at(24*60 + 35),
			observed: 65, threshold: 60, unit: "min", summary: []string{"2 excursions on 2 trips"},
		}}},
		{"excursions do not span legs", [][]Reading{
			{rd(0, 3), rd(10, 6), rd(40, 6)},     // ends outside: 30 min
			{rd(100, 6), rd(130, 6), rd(140, 3)}, // starts outside: 30 min
		}, meat, nil},
		{"stray readings add nothing", [][]Reading{series(10, 9, 3, 9, 3, 9, 3, 9)}, ColdChainParams{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, Cumulative(batch, tt.legs, chilled, tt.p), tt.want...)
		})
	}
}

func shiftReadings(rs []Reading, m float64) []Reading {
	out := make([]Reading, len(rs))
	for i, r := range rs {
		out[i] = Reading{At: r.At.Add(time.Duration(m * float64(time.Minute))), Celsius: r.Celsius}
	}
	return out
}

func TestGaps(t *testing.T) {
	tests := []struct {
		name     string
		readings []Reading
		want     []want
	}{
		{"empty", nil, nil},
		{"regular", series(5, 1, 2, 3, 2, 1, 2), nil},
		{"logger gap", []Reading{rd(0, 2), rd(5, 2), rd(10, 2), rd(95, 2), rd(100, 2), rd(105, 2)}, []want{{
			kind: LoggingGap, sev: Low, subject: shipment, at: at(95),
			observed: 85, threshold: 20, unit: "min",
			summary: []string{"No reading for 85 min after 2025-03-01 08:10 UTC", "17× the trip's median interval of 5 min"},
		}}},
		{"three readings are too few", []Reading{rd(0, 2), rd(5, 2), rd(300, 2)}, nil},
		{"duplicates do not make four", []Reading{rd(0, 2), rd(5, 2), rd(5, 3), rd(300, 2)}, nil},
		{"four readings suffice", []Reading{rd(0, 2), rd(5, 2), rd(10, 2), rd(300, 2)}, []want{{
			kind: LoggingGap, sev: Low, subject: shipment, at: at(300),
			observed: 290, threshold: 20, unit: "min",
		}}},
		// Median interval 10 min: the factor makes 30 min the bar.
		{"exactly gap factor × median", series10(0, 10, 20, 30, 60, 70, 80), nil},
		{"just over gap factor × median", series10(0, 10, 20, 30, 61, 71, 81), []want{{
			kind: LoggingGap, sev: Low, subject: shipment, at: at(61),
			observed: 31, threshold: 30, unit: "min",
		}}},
		// Median interval 2 min: the minimum gap makes 20 min the bar.
		{"just under the minimum gap", series10(0, 2, 4, 6, 25, 27, 29), nil},
		{"exactly the minimum gap", series10(0, 2, 4, 6, 26, 28, 30), []want{{
			kind: LoggingGap, sev: Low, subject: shipment, at: at(26),
			observed: 20, threshold: 20, unit: "min",
		}}},
		{"longest of several", series10(0, 5, 10, 15, 60, 65, 70, 75, 200, 205), []want{{
			kind: LoggingGap, sev: Low, subject: shipment, at: at(200),
			observed: 125, threshold: 20, unit: "min", summary: []string{"(2 gaps)"},
		}}},
		{"unsorted with NaN", []Reading{rd(100, 2), rd(5, 2), rd(0, 2), rd(50, math.NaN()), rd(10, 2), rd(105, 2)}, []want{{
			kind: LoggingGap, sev: Low, subject: shipment, at: at(100),
			observed: 90, threshold: 20, unit: "min",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, Gaps(shipment, tt.readings, meat), tt.want...)
		})
	}
}

// series10 is 10 °C readings at the given minutes.
func series10(ms ...float64) []Reading {
	rs := make([]Reading, len(ms))
	for i, m := range ms {
		rs[i] = rd(m, 10)
	}
	return rs
}

func TestMedianDuration(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3}, 3},
		{[]time.Duration{5, 1, 3}, 3},
		{[]time.Duration{4, 1, 3, 2}, 2},
		{[]time.Duration{3, 4}, 3},
		{[]time.Duration{math.MaxInt64, math.MaxInt64}, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := medianDuration(tt.in); got != tt.want {
			t.Errorf("medianDuration(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
