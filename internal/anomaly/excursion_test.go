package anomaly

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
	"time"
)

func TestExcursions(t *testing.T) {
	nan := math.NaN()
	type exc struct {
		start, end float64 // minutes after t0
		peak, out  float64
		above      bool
		n          int
	}
	tests := []struct {
		name     string
		readings []Reading
		r        Range
		want     []exc
	}{
		{"nil", nil, chilled, nil},
		{"empty", []Reading{}, chilled, nil},
		{"all inside", series(5, 0, 1, 4, 3), chilled, nil},
		{"at the bounds is inside", series(5, 4, 0, 4, 0), chilled, nil},
		{"just above", series(5, 3, 4.1, 3), chilled, []exc{{5, 5, 4.1, 0.1, true, 1}}},
		{"single stray reading lasts zero", series(5, 3, 9, 3), chilled, []exc{{5, 5, 9, 5, true, 1}}},
		{"door spike", doorSpike(), chilled, []exc{{15, 20, 8, 4, true, 2}}},
		{"run to the end", series(5, 3, 5, 6, 7), chilled, []exc{{5, 15, 7, 3, true, 3}}},
		{"below", series(10, 1, -1, -3, -2, 1), chilled, []exc{{10, 30, -3, 3, false, 3}}},
		{"above then below are separate runs", series(5, 6, 7, -1, -2), chilled,
			[]exc{{0, 5, 7, 3, true, 2}, {10, 15, -2, 2, false, 2}}},
		{"two runs", series(5, 5, 3, 6, 6, 3), chilled, []exc{{0, 0, 5, 1, true, 1}, {10, 15, 6, 2, true, 2}}},
		{"peak tie keeps the earliest", series(5, 6, 6), chilled, []exc{{0, 5, 6, 2, true, 2}}},
		{"max only ignores lows", series(5, -30, 5), Range{Max: ptr(4)}, []exc{{5, 5, 5, 1, true, 1}}},
		{"min only ignores highs", series(5, 40, -1), Range{Min: ptr(0)}, []exc{{5, 5, -1, 1, false, 1}}},
		{"no range", series(5, 40, -40), Range{}, nil},
		{"NaN bound is open", series(5, 40, -1), Range{Min: ptr(0), Max: ptr(nan)}, []exc{{5, 5, -1, 1, false, 1}}},
		{"unsorted", []Reading{rd(10, 6), rd(0, 3), rd(15, 3), rd(5, 5)}, chilled, []exc{{5, 10, 6, 2, true, 2}}},
		{"NaN and Inf skipped", []Reading{rd(0, 5), rd(5, nan), rd(10, math.Inf(1)), rd(15, 6), rd(20, math.Inf(-1))}, chilled,
			[]exc{{0, 15, 6, 2, true, 2}}},
		{"exact duplicates count once", []Reading{rd(0, 5), rd(0, 5), rd(5, 6)}, chilled, []exc{{0, 5, 6, 2, true, 2}}},
		{"same time, different values, both kept", []Reading{rd(0, 6), rd(0, 5)}, chilled, []exc{{0, 0, 6, 2, true, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.readings)
			got := Excursions(tt.readings, tt.r)
			if !slices.Equal(in, tt.readings) && !hasNaN(in) {
				t.Errorf("input modified")
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d excursions, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				e := got[i]
				if !e.Start.Equal(at(w.start)) || !e.End.Equal(at(w.end)) || e.Peak != w.peak ||
					!near(e.Outside, w.out) || e.Above != w.above || len(e.Readings) != w.n {
					t.Errorf("excursion %d = %v..%v peak %v outside %v above %v n %d; want %+v",
						i, e.Start, e.End, e.Peak, e.Outside, e.Above, len(e.Readings), w)
				}
				if e.Duration() != at(w.end).Sub(at(w.start)) {
					t.Errorf("excursion %d: Duration %v", i, e.Duration())
				}
			}
		})
	}
}

func hasNaN(rs []Reading) bool {
	return slices.ContainsFunc(rs, func(r Reading) bool { return math.IsNaN(r.Celsius) })
}

// FuzzExcursions checks Excursions' invariants on arbitrary readings: each
// 4 bytes are a minute offset (so times repeat and come unsorted) and a
// temperature in tenths of °C, with one value standing for NaN.
func FuzzExcursions(f *testing.F) {
	f.Add([]byte{0, 0, 0, 30, 0, 5, 0, 90, 0, 10, 0, 20}, 0.0, 4.0, true, true)
	f.Add([]byte{0, 9, 0xff, 0x10, 0, 1, 0x80, 0, 0, 1, 0, 60}, -18.0, -15.0, false, true)
	f.Add([]byte{}, 0.0, 0.0, true, false)
	f.Fuzz(func(t *testing.T, data []byte, lo, hi float64, hasMin, hasMax bool) {
		var r Range
		if hasMin {
			r.Min = &lo
		}
		if hasMax {
			r.Max = &hi
		}
		var readings []Reading
		for ; len(data) >= 4; data = data[4:] {
			c := float64(int16(binary.BigEndian.Uint16(data[2:]))) / 10
			if c == -3276.8 {
				c = math.NaN()
			}
			readings = append(readings, Reading{
				At:      t0.Add(time.Duration(binary.BigEndian.Uint16(data)) * time.Minute),
				Celsius: c,
			})
		}
		exs := Excursions(readings, r)

		var outside []Reading // what the excursions must partition
		for _, rd := range cleanReadings(readings) {
			if s, _ := r.side(rd.Celsius); s != inside {
				outside = append(outside, rd)
			}
		}
		var covered []Reading
		for i, e := range exs {
			if e.Duration() < 0 {
				t.Fatalf("excursion %d lasts %v", i, e.Duration())
			}
			if len(e.Readings) == 0 || !e.Start.Equal(e.Readings[0].At) || !e.End.Equal(e.Readings[len(e.Readings)-1].At) {
				t.Fatalf("excursion %d: bounds %v..%v do not match its readings", i, e.Start, e.End)
			}
			if i > 0 && e.Start.Before(exs[i-1].End) {
				t.Fatalf("excursion %d starts before excursion %d ends", i, i-1)
			}
			peakSeen := false
			for j, rd := range e.Readings {
				s, out := r.side(rd.Celsius)
				if s == inside || (s == above) != e.Above || math.IsNaN(rd.Celsius) {
					t.Fatalf("excursion %d reading %v is not outside on its side", i, rd)
				}
				if j > 0 && rd.At.Before(e.Readings[j-1].At) {
					t.Fatalf("excursion %d readings out of order", i)
				}
				if out > e.Outside {
					t.Fatalf("excursion %d: reading %v further out than the peak", i, rd)
				}
				peakSeen = peakSeen || rd.Celsius == e.Peak
			}
			if !peakSeen {
				t.Fatalf("excursion %d: peak %v is not one of its readings", i, e.Peak)
			}
			covered = append(covered, e.Readings...)
		}
		if !slices.Equal(covered, outside) {
			t.Fatalf("excursions cover %v, want every reading outside in time order %v", covered, outside)
		}
	})
}
