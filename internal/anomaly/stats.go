package anomaly

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

const (
	// madScale is Φ⁻¹(3/4): MAD/0.6745 estimates the standard deviation
	// of normal data, which makes modified z-scores comparable to z-scores.
	madScale = 0.6745
	// meanADScale is √(π/2): the mean absolute deviation times it
	// estimates the standard deviation of normal data.
	meanADScale = 1.253314
)

// ModifiedZ returns the modified z-score of every value (Iglewicz and
// Hoaglin), with the sample's median and MAD:
//
//	score = 0.6745 · (x − median) / MAD
//
// where MAD is the median of |x − median|. When MAD is 0 (more than half
// the values are equal) the mean absolute deviation around the mean,
// meanAD = mean(|x − mean|), takes its place:
//
//	score = (x − median) / (1.253314 · meanAD)
//
// and the returned mad is 0. NaN and infinite values are left out of the
// statistics and score NaN. ok is false, and scores nil, when there is no
// finite value or every finite value is the same: then no value is an
// outlier. Whether the sample is large enough to judge is for the caller.
func ModifiedZ(values []float64) (scores []float64, median, mad float64, ok bool) {
	z := modifiedZ(values)
	return z.scores, z.median, z.mad, z.ok
}

// zStats is ModifiedZ's result with the fallback scale, for evidence.
type zStats struct {
	scores              []float64
	median, mad, meanAD float64
	n                   int
	ok                  bool
}

func modifiedZ(values []float64) zStats {
	valid := make([]float64, 0, len(values))
	for _, v := range values {
		if finite(v) {
			valid = append(valid, v)
		}
	}
	z := zStats{n: len(valid)}
	if len(valid) == 0 {
		return z
	}
	z.median = median(valid)
	devs := make([]float64, len(valid))
	for i, v := range valid {
		devs[i] = math.Abs(v - z.median)
	}
	z.mad = median(devs)
	score := func(x float64) float64 { return madScale * (x - z.median) / z.mad }
	if z.mad == 0 {
		if slices.Max(devs) == 0 {
			return z // all equal: nothing stands out
		}
		// A running mean, so that large values cannot overflow the sum.
		var mean float64
		for i, v := range valid {
			mean += (v - mean) / float64(i+1)
		}
		for _, v := range valid {
			z.meanAD += math.Abs(v-mean) / float64(len(valid))
		}
		if z.meanAD == 0 {
			return z
		}
		score = func(x float64) float64 { return (x - z.median) / (meanADScale * z.meanAD) }
	}
	z.scores = make([]float64, len(values))
	for i, v := range values {
		if finite(v) {
			z.scores[i] = score(v)
		} else {
			z.scores[i] = math.NaN()
		}
	}
	z.ok = true
	return z
}

// median returns the median of xs (the mean of the middle two when there
// is an even number), or 0 for none. It does not modify xs.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return s[mid-1]/2 + s[mid]/2
}

// Sample is one value of a statistical sample and what it is about.
type Sample struct {
	Subject Subject
	Value   float64
	At      time.Time
}

// Outliers returns a finding of kind k for each sample whose modified
// z-score's absolute value exceeds p.Threshold (only positive scores when
// upperOnly), provided the sample holds at least p.MinSample finite values.
// It judges all the samples it is given: choosing them (p.Window) is for
// the caller. A subject with several outlying samples gets one finding,
// for its most extreme. Observed is the score, in "z"; Values hold the
// value, median and MAD in unit, the sample size and the score.
func Outliers(k Kind, samples []Sample, p OutlierParams, upperOnly bool, unit string) []Finding {
	valid := make([]Sample, 0, len(samples))
	for _, s := range samples {
		if finite(s.Value) {
			valid = append(valid, s)
		}
	}
	if len(valid) == 0 || len(valid) < p.MinSample {
		return nil
	}
	values := make([]float64, len(valid))
	for i, s := range valid {
		values[i] = s.Value
	}
	z := modifiedZ(values)
	if !z.ok {
		return nil
	}
	type hit struct {
		s     Sample
		score float64
		n     int
	}
	bySubject := map[Subject]hit{}
	for i, s := range valid {
		sc := z.scores[i]
		if math.Abs(sc) <= p.Threshold || (upperOnly && sc <= 0) {
			continue
		}
		h, seen := bySubject[s.Subject]
		better := !seen || cmp.Or(
			cmp.Compare(math.Abs(sc), math.Abs(h.score)),
			h.s.At.Compare(s.At), // the earlier on a tie
		) > 0
		if better {
			h.s, h.score = s, sc
		}
		h.n++
		bySubject[s.Subject] = h
	}
	out := make([]Finding, 0, len(bySubject))
	for _, h := range bySubject {
		out = append(out, outlierFinding(k, h.s, h.score, h.n, z, p, upperOnly, unit))
	}
	SortFindings(out)
	return out
}

func outlierFinding(k Kind, s Sample, score float64, n int, z zStats, p OutlierParams, upperOnly bool, unit string) Finding {
	limit := "±" + fmt1(p.Threshold)
	if upperOnly {
		limit = fmt1(p.Threshold)
	}
	spread := "MAD " + withUnit(fmtNum(z.mad), unit)
	values := []Value{
		{Name: "value", Value: s.Value, Unit: unit},
		{Name: "median", Value: z.median, Unit: unit},
		{Name: "MAD", Value: z.mad, Unit: unit},
	}
	if z.mad == 0 {
		spread = "MAD 0, mean absolute deviation " + withUnit(fmtNum(z.meanAD), unit)
		values = append(values, Value{Name: "mean absolute deviation", Value: z.meanAD, Unit: unit})
	}
	values = append(values,
		Value{Name: "sample size", Value: float64(z.n)},
		Value{Name: "score", Value: score, Unit: "z"})
	if n > 1 {
		values = append(values, Value{Name: "outlying values", Value: float64(n)})
	}
	summary := fmt.Sprintf("%s has a modified z-score of %s, beyond %s, against a median of %s (%s) among %d values",
		withUnit(fmtNum(s.Value), unit), fmt1(score), limit,
		withUnit(fmtNum(z.median), unit), spread, z.n)
	return Finding{
		Kind:     k,
		Severity: k.DefaultSeverity(),
		Subject:  s.Subject,
		At:       s.At,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  score,
			Threshold: p.Threshold,
			Unit:      "z",
			Values:    values,
		},
	}
}
