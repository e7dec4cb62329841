package anomaly

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Measurement is one measured value of an inspection, with the limits it
// was recorded with (nil when none).
type Measurement struct {
	Name               string
	Value              float64
	Unit               string
	LimitMin, LimitMax *float64
}

// Inspection is an inspection of a batch and its result.
type Inspection struct {
	ID           int
	At           time.Time
	Failed       bool
	Measurements []Measurement
}

// FailedInspection raises INSPECTION_FAILED (HIGH) when the inspection's
// result is FAIL. A failed result has no number to compare, so Observed
// and Threshold are 0; the evidence lists the inspection and its
// measurements.
func FailedInspection(batch Subject, in Inspection) []Finding {
	if !in.Failed {
		return nil
	}
	values := []Value{{Name: "inspection", Value: float64(in.ID)}}
	for _, m := range in.Measurements {
		if finite(m.Value) {
			values = append(values, Value{Name: m.Name, Value: m.Value, Unit: m.Unit})
		}
	}
	summary := fmt.Sprintf("Inspection %d on %s failed", in.ID, fmtTime(in.At))
	if n := len(values) - 1; n > 0 {
		summary += fmt.Sprintf(" (%s recorded)", plural(n, "measurement"))
	}
	return []Finding{{
		Kind:     InspectionFailed,
		Severity: InspectionFailed.DefaultSeverity(),
		Subject:  batch,
		At:       in.At,
		Evidence: Evidence{Summary: summary + ".", Values: values},
	}}
}

// OverLimit raises OVER_LEGAL_LIMIT (CRITICAL) when a measurement lies
// strictly above its maximum or below its minimum. A measurement recorded
// with limits is judged by them; one recorded without is judged by
// limits[name] (name matched ignoring case), unless both carry units and
// they differ, since mg/kg cannot be compared with mg/100g. There is one
// finding for the batch: Observed and Threshold are those of the
// measurement furthest over (relative to its limit), and Values list every
// measurement over its limit followed by that limit.
func OverLimit(batch Subject, in Inspection, limits map[string]Limit) []Finding {
	type over struct {
		m          Measurement
		name, unit string
		limit      float64
		excess     float64 // relative to the limit, to rank unlike measurements
		builtin    bool
	}
	var overs []over
	for _, m := range in.Measurements {
		if !finite(m.Value) {
			continue
		}
		lim, builtin, ok := limitFor(m, limits)
		if !ok {
			continue
		}
		unit := m.Unit
		if unit == "" {
			unit = lim.Unit
		}
		if hi, ok := bound(lim.Max); ok && m.Value > hi {
			overs = append(overs, over{m, "maximum", unit, hi, relExcess(m.Value-hi, hi), builtin})
		} else if lo, ok := bound(lim.Min); ok && m.Value < lo {
			overs = append(overs, over{m, "minimum", unit, lo, relExcess(lo-m.Value, lo), builtin})
		}
	}
	if len(overs) == 0 {
		return nil
	}
	worst := overs[0]
	values := []Value{{Name: "inspection", Value: float64(in.ID)}}
	for _, o := range overs {
		if o.excess > worst.excess { // ties keep the first recorded
			worst = o
		}
		values = append(values,
			Value{Name: o.m.Name, Value: o.m.Value, Unit: o.unit},
			Value{Name: o.m.Name + " " + o.name, Value: o.limit, Unit: o.unit})
	}
	dir := "above"
	if worst.name == "minimum" {
		dir = "below"
	}
	kind := "recorded"
	if worst.builtin {
		kind = "legal"
	}
	summary := fmt.Sprintf("Inspection %d: %s %s is %s the %s %s of %s",
		in.ID, worst.m.Name, withUnit(fmtNum(worst.m.Value), worst.unit), dir, kind, worst.name,
		withUnit(fmtNum(worst.limit), worst.unit))
	if len(overs) > 1 {
		summary += fmt.Sprintf(" (%d measurements over their limits)", len(overs))
	}
	return []Finding{{
		Kind:     OverLegalLimit,
		Severity: OverLegalLimit.DefaultSeverity(),
		Subject:  batch,
		At:       in.At,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  worst.m.Value,
			Threshold: worst.limit,
			Unit:      worst.unit,
			Values:    values,
		},
	}}
}

// limitFor returns the limit m is judged by and whether it came from the
// built-in table; ok is false when there is none to apply.
func limitFor(m Measurement, limits map[string]Limit) (lim Limit, builtin, ok bool) {
	if m.LimitMin != nil || m.LimitMax != nil {
		return Limit{Min: m.LimitMin, Max: m.LimitMax, Unit: m.Unit}, false, true
	}
	lim, ok = limits[m.Name]
	if !ok {
		// Sorted keys, so that two keys differing only in case resolve
		// the same way every time.
		keys := make([]string, 0, len(limits))
		for k := range limits {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if strings.EqualFold(strings.TrimSpace(k), strings.TrimSpace(m.Name)) {
				lim, ok = limits[k], true
				break
			}
		}
	}
	if !ok || (m.Unit != "" && lim.Unit != "" && normUnit(m.Unit) != normUnit(lim.Unit)) {
		return Limit{}, false, false
	}
	return lim, true, true
}

// normUnit makes "mg/100 g" and "MG/100G" compare equal.
func normUnit(u string) string {
	return strings.ToLower(strings.Join(strings.Fields(u), ""))
}

// relExcess is how far beyond limit a value is, relative to the limit,
// or absolute when the limit is 0.
func relExcess(diff, limit float64) float64 {
	if limit == 0 {
		return diff
	}
	return diff / math.Abs(limit)
}

// withUnit appends a unit to a formatted number when there is one.
func withUnit(num, unit string) string {
	if unit == "" {
		return num
	}
	return num + " " + unit
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
