package anomaly

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// The cold-chain rules judge a trip's readings against the product's
// storage range. Each returns at most one finding for its subject: the
// worst case, with a count in the evidence when there were several.

// sustainedHigh is how far outside the range, in °C, a sustained
// excursion's peak must lie to be HIGH rather than MEDIUM.
const sustainedHigh = 5.0

// OutOfRange raises TEMPERATURE_OUT_OF_RANGE (HIGH) when any reading lies
// strictly more than p.HardMargin outside r. The evidence is the reading
// furthest out, with every reading beyond the hard limit (trimmed).
func OutOfRange(s Subject, readings []Reading, r Range, p ColdChainParams) []Finding {
	var hard Range
	if hi, ok := bound(r.Max); ok {
		h := hi + p.HardMargin
		hard.Max = &h
	}
	if lo, ok := bound(r.Min); ok {
		l := lo - p.HardMargin
		hard.Min = &l
	}
	var hits []Reading
	var worst Reading
	var worstSide side
	worstOut := -1.0
	for _, rd := range cleanReadings(readings) {
		sd, out := hard.side(rd.Celsius)
		if sd == inside {
			continue
		}
		hits = append(hits, rd)
		if out > worstOut { // ties keep the earliest
			worst, worstSide, worstOut = rd, sd, out
		}
	}
	if len(hits) == 0 {
		return nil
	}
	dir, name, limit, hardLimit := "above", "maximum", *r.Max, *hard.Max
	outside := worst.Celsius - limit
	if worstSide == below {
		dir, name, limit, hardLimit = "below", "minimum", *r.Min, *hard.Min
		outside = limit - worst.Celsius
	}
	summary := fmt.Sprintf("%s, %s %s the %s %s and past the %s hard limit",
		fmtC(worst.Celsius), fmtC(outside), dir, fmtC(limit), name, fmtC(hardLimit))
	if len(hits) > 1 {
		summary += fmt.Sprintf(" (%s beyond it)", plural(len(hits), "reading"))
	}
	last := hits[len(hits)-1]
	return []Finding{{
		Kind:     TemperatureOutOfRange,
		Severity: TemperatureOutOfRange.DefaultSeverity(),
		Subject:  s,
		At:       last.At,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  worst.Celsius,
			Threshold: hardLimit,
			Unit:      "°C",
			From:      timePtr(hits[0].At),
			To:        timePtr(last.At),
			Readings:  trimReadings(hits),
			Values: []Value{
				{Name: name, Value: limit, Unit: "°C"},
				{Name: "hard margin", Value: p.HardMargin, Unit: "°C"},
				{Name: "outside", Value: outside, Unit: "°C"},
				{Name: "readings beyond hard limit", Value: float64(len(hits))},
			},
		},
	}}
}

// Sustained raises SUSTAINED_EXCURSION when an excursion lasts at least
// p.Sustained: HIGH when its peak lies more than 5 °C outside r, MEDIUM
// otherwise. When several excursions qualify, the finding reports the
// worst: highest severity, then longest, then furthest outside, so that a
// long mild excursion does not hide a short severe one.
func Sustained(s Subject, readings []Reading, r Range, p ColdChainParams) []Finding {
	var best Excursion
	var bestSev Severity
	n := 0
	for _, ex := range Excursions(readings, r) {
		if ex.Duration() < p.Sustained {
			continue
		}
		sev := Medium
		if ex.Outside > sustainedHigh {
			sev = High
		}
		n++
		if n == 1 || cmp.Or(
			cmp.Compare(severityRank(sev), severityRank(bestSev)),
			cmp.Compare(ex.Duration(), best.Duration()),
			cmp.Compare(ex.Outside, best.Outside),
		) > 0 {
			best, bestSev = ex, sev
		}
	}
	if n == 0 {
		return nil
	}
	name, limit := r.crossed(best)
	summary := fmt.Sprintf("%s the %s %s for %s, peaking at %s (%s outside); the limit is %s",
		capitalise(best.direction()), fmtC(limit), name, fmtMin(best.Duration()),
		fmtC(best.Peak), fmtC(best.Outside), fmtMin(p.Sustained))
	values := []Value{
		{Name: "peak", Value: best.Peak, Unit: "°C"},
		{Name: name, Value: limit, Unit: "°C"},
		{Name: "outside", Value: best.Outside, Unit: "°C"},
		{Name: "readings", Value: float64(len(best.Readings))},
	}
	if n > 1 {
		summary += fmt.Sprintf(" (%d such excursions)", n)
		values = append(values, Value{Name: "excursions", Value: float64(n)})
	}
	return []Finding{{
		Kind:     SustainedExcursion,
		Severity: bestSev,
		Subject:  s,
		At:       best.End,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  best.Duration().Minutes(),
			Threshold: p.Sustained.Minutes(),
			Unit:      "min",
			From:      timePtr(best.Start),
			To:        timePtr(best.End),
			Readings:  trimReadings(best.Readings),
			Values:    values,
		},
	}}
}

// Cumulative raises CUMULATIVE_EXCURSION (MEDIUM) when the durations of
// all excursions of a batch's journey add up to strictly more than
// p.Budget. legs holds the readings of each trip the batch was on; an
// excursion never spans two legs, since the batch was not in either
// vehicle in between. The evidence readings are those of the excursions
// that lasted, in time order and trimmed.
func Cumulative(batch Subject, legs [][]Reading, r Range, p ColdChainParams) []Finding {
	var counted []Excursion
	trips := 0
	for _, leg := range legs {
		found := false
		for _, ex := range Excursions(leg, r) {
			// A zero-length excursion adds nothing to the total.
			if ex.Duration() > 0 {
				counted = append(counted, ex)
				found = true
			}
		}
		if found {
			trips++
		}
	}
	var total, longest time.Duration
	for _, ex := range counted {
		total += ex.Duration()
		longest = max(longest, ex.Duration())
	}
	if total <= p.Budget {
		return nil
	}
	slices.SortStableFunc(counted, func(a, b Excursion) int {
		return cmp.Or(a.Start.Compare(b.Start), a.End.Compare(b.End))
	})
	var readings []Reading
	worst := counted[0]
	from, to := counted[0].Start, counted[0].End
	for _, ex := range counted {
		readings = append(readings, ex.Readings...)
		if ex.Outside > worst.Outside {
			worst = ex
		}
		if ex.End.After(to) {
			to = ex.End
		}
	}
	// Trips may overlap in time (a batch split across two lorries).
	slices.SortStableFunc(readings, func(a, b Reading) int { return a.At.Compare(b.At) })
	summary := fmt.Sprintf("%s outside the range in %s on %s, over the %s budget (longest %s, peak %s)",
		fmtMin(total), plural(len(counted), "excursion"), plural(trips, "trip"),
		fmtMin(p.Budget), fmtMin(longest), fmtC(worst.Peak))
	return []Finding{{
		Kind:     CumulativeExcursion,
		Severity: CumulativeExcursion.DefaultSeverity(),
		Subject:  batch,
		At:       to,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  total.Minutes(),
			Threshold: p.Budget.Minutes(),
			Unit:      "min",
			From:      timePtr(from),
			To:        timePtr(to),
			Readings:  trimReadings(readings),
			Values: []Value{
				{Name: "excursions", Value: float64(len(counted))},
				{Name: "trips", Value: float64(trips)},
				{Name: "longest", Value: longest.Minutes(), Unit: "min"},
				{Name: "peak", Value: worst.Peak, Unit: "°C"},
				{Name: "outside", Value: worst.Outside, Unit: "°C"},
			},
		},
	}}
}

// crossed names the bound ex crossed and returns it.
func (r Range) crossed(ex Excursion) (string, float64) {
	if ex.Above {
		hi, _ := bound(r.Max)
		return "maximum", hi
	}
	lo, _ := bound(r.Min)
	return "minimum", lo
}

// direction is "above" or "below".
func (e Excursion) direction() string {
	if e.Above {
		return "above"
	}
	return "below"
}

// severityRank orders severities, lowest first; unknown ones rank lowest.
func severityRank(s Severity) int {
	switch s {
	case Low:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	case Critical:
		return 4
	}
	return 0
}
