package anomaly

import (
	"fmt"
	"slices"
	"time"
)

// minGapReadings is the fewest readings a trip needs before its median
// interval means anything.
const minGapReadings = 4

// Gaps raises LOGGING_GAP (LOW) when two consecutive readings lie strictly
// further apart than p.GapFactor times the trip's median interval and at
// least p.MinGap apart. Readings at the same time count once and NaN
// values are skipped; a trip needs at least 4 readings left. The evidence
// is the longest gap, with the number of gaps when there were several.
func Gaps(s Subject, readings []Reading, p ColdChainParams) []Finding {
	rs := slices.CompactFunc(cleanReadings(readings), func(a, b Reading) bool {
		return a.At.Equal(b.At)
	})
	if len(rs) < minGapReadings {
		return nil
	}
	intervals := make([]time.Duration, len(rs)-1)
	for i := range intervals {
		intervals[i] = rs[i+1].At.Sub(rs[i].At)
	}
	m := medianDuration(intervals)
	limit := p.GapFactor * float64(m)
	best, n := -1, 0
	for i, d := range intervals {
		if float64(d) > limit && d >= p.MinGap {
			n++
			if best < 0 || d > intervals[best] { // ties keep the earliest
				best = i
			}
		}
	}
	if n == 0 {
		return nil
	}
	gap := intervals[best]
	from, to := rs[best], rs[best+1]
	threshold := max(time.Duration(limit), p.MinGap)
	summary := fmt.Sprintf("No reading for %s after %s, %s× the trip's median interval of %s",
		fmtMin(gap), fmtTime(from.At), fmt1(float64(gap)/float64(m)), fmtMin(m))
	values := []Value{
		{Name: "median interval", Value: m.Minutes(), Unit: "min"},
		{Name: "gap factor", Value: p.GapFactor},
		{Name: "minimum gap", Value: p.MinGap.Minutes(), Unit: "min"},
		{Name: "readings", Value: float64(len(rs))},
	}
	if n > 1 {
		summary += fmt.Sprintf(" (%d gaps)", n)
		values = append(values, Value{Name: "gaps", Value: float64(n)})
	}
	return []Finding{{
		Kind:     LoggingGap,
		Severity: LoggingGap.DefaultSeverity(),
		Subject:  s,
		At:       to.At,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  gap.Minutes(),
			Threshold: threshold.Minutes(),
			Unit:      "min",
			From:      timePtr(from.At),
			To:        timePtr(to.At),
			Readings:  []Reading{from, to},
			Values:    values,
		},
	}}
}

// medianDuration returns the median of ds (the mean of the middle two
// when there is an even number), or 0 for none. It does not modify ds.
func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	// Halve each before adding, so that huge intervals cannot overflow.
	return s[mid-1]/2 + s[mid]/2 + (s[mid-1]%2+s[mid]%2)/2
}
