package anomaly

import (
	"math"
	"testing"
)

func TestBalance(t *testing.T) {
	b := func(produced, received, out int64) Balance {
		return Balance{Batch: batch, FacilityID: 3, Produced: produced, Received: received, Out: out, Unit: "KG", At: at(90)}
	}
	tests := []struct {
		name    string
		b       Balance
		shelved []want
		shipped []want
	}{
		{"zero", Balance{}, nil, nil},
		{"balanced", b(0, 100_000, 100_000), nil, nil},
		{"one thousandth over", b(40_000, 60_000, 100_001), []want{{
			kind: OverShelved, sev: High, subject: batch, facility: 3, at: at(90),
			observed: 100.001, threshold: 100, unit: "kg",
			summary: []string{"100.001 kg of batch 42 put on the shelves at facility 3", "only 100 kg", "(0.001 kg too much)"},
		}}, []want{{
			kind: OverShipped, sev: High, subject: batch, facility: 3, at: at(90),
			observed: 100.001, threshold: 100, unit: "kg", summary: []string{"shipped from facility 3"},
		}}},
		{"from nowhere", Balance{Batch: batch, FacilityID: 3, Out: 5_000, Unit: "PIECE"}, []want{{
			kind: OverShelved, sev: High, subject: batch, facility: 3,
			observed: 5, threshold: 0, unit: "pieces", summary: []string{"5 pieces", "only 0 pieces"},
		}}, []want{{
			kind: OverShipped, sev: High, subject: batch, facility: 3,
			observed: 5, threshold: 0, unit: "pieces",
		}}},
		{"huge intake does not wrap around", b(math.MaxInt64, math.MaxInt64, math.MaxInt64), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, CheckOverShelved(tt.b), tt.shelved...)
			checkFindings(t, CheckOverShipped(tt.b), tt.shipped...)
		})
	}
}

func TestBalanceValues(t *testing.T) {
	f := CheckOverShelved(Balance{Batch: batch, FacilityID: 3, Produced: 1_500, Received: 2_000, Out: 4_250, Unit: "KG"})[0]
	for name, want := range map[string]float64{"produced": 1.5, "received": 2, "shelved": 4.25, "excess": 0.75} {
		if got := value(t, f, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if g := CheckOverShipped(Balance{Out: 1, Unit: "KG"})[0]; !hasValue(g, "shipped") {
		t.Errorf("OVER_SHIPPED evidence lacks the shipped quantity: %+v", g.Evidence.Values)
	}
}

func TestSaturatingArithmetic(t *testing.T) {
	tests := []struct{ a, b, sum, diff int64 }{
		{1, 2, 3, -1},
		{math.MaxInt64, 1, math.MaxInt64, math.MaxInt64 - 1},
		{math.MinInt64, -1, math.MinInt64, math.MinInt64 + 1},
		{0, math.MinInt64, math.MinInt64, math.MaxInt64},
		{-1, math.MinInt64, math.MinInt64, math.MaxInt64},
		{math.MaxInt64, math.MinInt64, -1, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := addSat(tt.a, tt.b); got != tt.sum {
			t.Errorf("addSat(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.sum)
		}
		if got := subSat(tt.a, tt.b); got != tt.diff {
			t.Errorf("subSat(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.diff)
		}
	}
}
