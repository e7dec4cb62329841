package anomaly

import (
	"slices"
	"testing"
	"time"
)

// TestJudgeJourney: each trip's verdict is what OutOfRange, Sustained and
// Cumulative find, so the consumer's verdict and the screener's alerts
// agree.
func TestJudgeJourney(t *testing.T) {
	for _, c := range []struct {
		name    string
		legs    [][]Reading
		kinds   [][]Kind
		minutes []float64
	}{
		{"door opened once", [][]Reading{series(10, 2, 3, 6.8, 3, 2)}, [][]Kind{nil}, []float64{0}},
		{"two short spikes", [][]Reading{series(10, 2, 6, 6.5, 3, 7, 7.5, 2)}, [][]Kind{nil}, []float64{20}},
		{"far out of range", [][]Reading{series(10, 2, 12.5, 3)}, [][]Kind{{TemperatureOutOfRange}}, []float64{0}},
		{"sustained", [][]Reading{series(10, 2, 6, 6, 6, 6, 3)}, [][]Kind{{SustainedExcursion}}, []float64{30}},
		{"over budget across trips", [][]Reading{
			series(10, 2, 6, 6, 6, 3), // 20 min
			series(10, 2, 6, 6, 6, 3), // 20 min
			series(10, 2, 6, 6, 6, 3), // 20 min: 60 in all, not over
			series(10, 2, 3, 3),       // none: not part of it
		}, [][]Kind{nil, nil, nil, nil}, []float64{20, 20, 20, 0}},
		{"over budget, one minute more", [][]Reading{
			series(10, 2, 6, 6, 6, 3),
			series(10, 2, 6, 6, 6, 3),
			append(series(10, 2, 6, 6, 6), rd(31, 6)), // 21 min
			series(10, 2, 3, 3),
		}, [][]Kind{{CumulativeExcursion}, {CumulativeExcursion}, {CumulativeExcursion}, nil}, []float64{20, 20, 21, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := JudgeJourney(c.legs, chilled, meat)
			if len(got) != len(c.legs) {
				t.Fatalf("%d verdicts for %d legs", len(got), len(c.legs))
			}
			for i, v := range got {
				if !slices.Equal(v.Kinds, c.kinds[i]) || v.OutOfRange != time.Duration(c.minutes[i]*float64(time.Minute)) {
					t.Errorf("leg %d: %v, %s; want %v, %v min", i, v.Kinds, v.OutOfRange, c.kinds[i], c.minutes[i])
				}
				if v.Breached() != (len(c.kinds[i]) > 0) {
					t.Errorf("leg %d: breached %v", i, v.Breached())
				}
				// The screener's own verdict on the trip.
				screened := len(OutOfRange(shipment, c.legs[i], chilled, meat)) + len(Sustained(shipment, c.legs[i], chilled, meat))
				if trip := slices.DeleteFunc(slices.Clone(v.Kinds), func(k Kind) bool { return k == CumulativeExcursion }); len(trip) != screened {
					t.Errorf("leg %d: %v, the screener finds %d", i, v.Kinds, screened)
				}
			}
		})
	}
	if r := Round1(6.800000000000001); r != 6.8 {
		t.Errorf("Round1 = %v", r)
	}
	if r := Round1(-0.04); r != 0 || 1/r < 0 {
		t.Errorf("Round1(-0.04) = %v", r)
	}
}
