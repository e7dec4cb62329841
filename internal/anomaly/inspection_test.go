package anomaly

import (
	"math"
	"testing"
)

func TestFailedInspection(t *testing.T) {
	tvbn := Measurement{Name: "TVB-N", Value: 24.1, Unit: "mg/100g"}
	tests := []struct {
		name string
		in   Inspection
		want []want
	}{
		{"passed", Inspection{ID: 3, At: at(0), Measurements: []Measurement{tvbn}}, nil},
		{"zero value", Inspection{}, nil},
		{"failed", Inspection{ID: 3, At: at(60), Failed: true, Measurements: []Measurement{tvbn}}, []want{{
			kind: InspectionFailed, sev: High, subject: batch, at: at(60),
			summary: []string{"Inspection 3 on 2025-03-01 09:00 UTC failed", "1 measurement"},
		}}},
		{"failed without measurements", Inspection{ID: 4, At: at(0), Failed: true}, []want{{
			kind: InspectionFailed, sev: High, subject: batch, at: at(0),
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, FailedInspection(batch, tt.in), tt.want...)
		})
	}
}

func TestOverLimit(t *testing.T) {
	limits := DefaultConfig().LegalLimits
	m := func(name string, v float64, unit string, lo, hi *float64) Measurement {
		return Measurement{Name: name, Value: v, Unit: unit, LimitMin: lo, LimitMax: hi}
	}
	insp := func(ms ...Measurement) Inspection { return Inspection{ID: 9, At: at(30), Measurements: ms} }
	tests := []struct {
		name string
		in   Inspection
		want []want
	}{
		{"no measurements", insp(), nil},
		{"built-in limit: at it", insp(m("TVB-N", 15, "mg/100g", nil, nil)), nil},
		{"built-in limit: just over", insp(m("TVB-N", 15.1, "mg/100g", nil, nil)), []want{{
			kind: OverLegalLimit, sev: Critical, subject: batch, at: at(30),
			observed: 15.1, threshold: 15, unit: "mg/100g",
			summary: []string{"Inspection 9: TVB-N 15.1 mg/100g is above the legal maximum of 15 mg/100g"},
		}}},
		{"built-in limit: name case and unit spacing", insp(m("tvb-n", 20, "mg/100 g", nil, nil)), []want{{
			kind: OverLegalLimit, sev: Critical, subject: batch, at: at(30),
			observed: 20, threshold: 15, unit: "mg/100 g",
		}}},
		{"built-in limit: no unit recorded", insp(m("TVB-N", 20, "", nil, nil)), []want{{
			kind: OverLegalLimit, sev: Critical, subject: batch, at: at(30),
			observed: 20, threshold: 15, unit: "mg/100g",
		}}},
		{"built-in limit: other unit is not comparable", insp(m("TVB-N", 150, "mg/kg", nil, nil)), nil},
		{"unknown measurement", insp(m("pH", 9, "", nil, nil)), nil},
		{"recorded limit wins over the table", insp(m("TVB-N", 18, "mg/100g", nil, ptr(20))), nil},
		{"recorded maximum exceeded", insp(m("Pb", 0.25, "mg/kg", nil, ptr(0.2))), []want{{
			kind: OverLegalLimit, sev: Critical, subject: batch, at: at(30),
			observed: 0.25, threshold: 0.2, unit: "mg/kg",
			summary: []string{"Pb 0.25 mg/kg is above the recorded maximum of 0.2 mg/kg"},
		}}},
		{"recorded minimum: at it", insp(m("pH", 5.5, "", ptr(5.5), ptr(7))), nil},
		{"recorded minimum: just under", insp(m("pH", 5.4, "", ptr(5.5), ptr(7))), []want{{
			kind: OverLegalLimit, sev: Critical, subject: batch, at: at(30),
			observed: 5.4, threshold: 5.5, summary: []string{"below the recorded minimum"},
		}}},
		{"NaN skipped", insp(m("TVB-N", math.NaN(), "mg/100g", nil, nil)), nil},
		{"worst of several, relative to its limit", insp(
			m("TVB-N", 30, "mg/100g", nil, nil), // twice the limit
			m("Pb", 1, "mg/kg", nil, ptr(0.2)),  // five times
			m("pH", 6, "", ptr(5.5), ptr(7)),
		), []want{{
			kind: OverLegalLimit, sev: Critical, subject: batch, at: at(30),
			observed: 1, threshold: 0.2, unit: "mg/kg", summary: []string{"(2 measurements over their limits)"},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, OverLimit(batch, tt.in, limits), tt.want...)
		})
	}
}

func TestOverLimitValues(t *testing.T) {
	in := Inspection{ID: 9, At: at(0), Measurements: []Measurement{
		{Name: "TVB-N", Value: 30, Unit: "mg/100g"},
		{Name: "Pb", Value: 1, Unit: "mg/kg", LimitMax: ptr(0.2)},
	}}
	got := OverLimit(batch, in, DefaultConfig().LegalLimits)
	want := []Value{
		{Name: "inspection", Value: 9},
		{Name: "TVB-N", Value: 30, Unit: "mg/100g"},
		{Name: "TVB-N maximum", Value: 15, Unit: "mg/100g"},
		{Name: "Pb", Value: 1, Unit: "mg/kg"},
		{Name: "Pb maximum", Value: 0.2, Unit: "mg/kg"},
	}
	if len(got) != 1 || len(got[0].Evidence.Values) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, v := range want {
		if got[0].Evidence.Values[i] != v {
			t.Errorf("value %d = %+v, want %+v", i, got[0].Evidence.Values[i], v)
		}
	}
	if OverLimit(batch, in, nil) == nil {
		t.Errorf("recorded limits must apply without a table")
	}
}
