package anomaly

import (
	"math"
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{fmt1(12.44), "12.4"},
		{fmt1(12.0), "12"},
		{fmt1(-0.04), "0"},
		{fmt1(-3.25), "-3.2"},
		{fmtNum(15.04), "15.04"},
		{fmtNum(9.833333), "9.833"},
		{fmtNum(0.0345), "0.0345"},
		{fmtNum(123456.78), "123456.8"},
		{fmtNum(0), "0"},
		{fmtNum(math.NaN()), "NaN"},
		{fmtC(-8.1), "-8.1 °C"},
		{fmtMin(95 * time.Minute), "95 min"},
		{fmtMin(90 * time.Second), "1.5 min"},
		{fmtSpan(7 * 24 * time.Hour), "7 days"},
		{fmtSpan(24 * time.Hour), "24 h"},
		{fmtSpan(20 * time.Minute), "20 min"},
		{fmtTime(time.Date(2025, 3, 1, 16, 5, 0, 0, time.FixedZone("CST", 8*3600))), "2025-03-01 08:05 UTC"},
		{fmtQty(1_500, "KG"), "1.5 kg"},
		{fmtQty(2_000, "ML"), "2 mL"},
		{fmtQty(3_000, "crate"), "3 crate"},
		{fmtQty(1, ""), "0.001"},
		{plural(1, "trip"), "1 trip"},
		{plural(0, "trip"), "0 trips"},
		{capitalise("above"), "Above"},
		{capitalise(""), ""},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}
