package anomaly

import (
	"cmp"
	"slices"
	"time"
)

// Excursion is a run of consecutive readings strictly outside a range.
type Excursion struct {
	// Start and End are the times of its first and last readings.
	Start, End time.Time
	// Peak is the reading furthest outside, in °C.
	Peak float64
	// Outside is how many °C Peak lies beyond the bound it crossed.
	Outside float64
	// Above reports whether the excursion is above the maximum rather
	// than below the minimum.
	Above bool
	// Readings are the excursion's readings in time order.
	Readings []Reading
}

// Duration is the time from the excursion's first reading to its last:
// a single stray reading lasts zero.
func (e Excursion) Duration() time.Duration { return e.End.Sub(e.Start) }

// Excursions returns the runs of consecutive readings strictly outside r,
// in time order. Readings are judged in time order whatever order they
// come in; NaN and infinite values are skipped as sensor faults, and
// exact duplicates (same time, same value) count once. A run above the
// range and a run below it are separate excursions even when adjacent.
func Excursions(readings []Reading, r Range) []Excursion {
	var out []Excursion
	var cur *Excursion
	for _, rd := range cleanReadings(readings) {
		s, outside := r.side(rd.Celsius)
		if cur != nil && (s == inside || (s == above) != cur.Above) {
			out = append(out, *cur)
			cur = nil
		}
		if s == inside {
			continue
		}
		if cur == nil {
			cur = &Excursion{Start: rd.At, Peak: rd.Celsius, Outside: outside, Above: s == above}
		}
		cur.End = rd.At
		cur.Readings = append(cur.Readings, rd)
		// The first reading furthest out is the peak, so ties keep the earliest.
		if outside > cur.Outside {
			cur.Peak, cur.Outside = rd.Celsius, outside
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

type side int8

const (
	inside side = iota
	above
	below
)

// side tells where v lies relative to r, and how far beyond the bound.
// A value both above Max and below Min (a range with Min > Max) counts as
// above.
func (r Range) side(v float64) (side, float64) {
	if hi, ok := bound(r.Max); ok && v > hi {
		return above, v - hi
	}
	if lo, ok := bound(r.Min); ok && v < lo {
		return below, lo - v
	}
	return inside, 0
}

// cleanReadings returns a copy of rs in time order without NaN or
// infinite values (which would also break the JSON evidence) and without
// exact duplicates. Readings at the same time are ordered by value so the
// result does not depend on the input order.
func cleanReadings(rs []Reading) []Reading {
	out := make([]Reading, 0, len(rs))
	for _, r := range rs {
		if finite(r.Celsius) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Reading) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Celsius, b.Celsius))
	})
	return slices.CompactFunc(out, func(a, b Reading) bool {
		return a.At.Equal(b.At) && a.Celsius == b.Celsius
	})
}
