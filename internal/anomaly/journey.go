package anomaly

import (
	"math"
	"time"
)

// LegVerdict is what the cold-chain rules find on one trip of a batch:
// the same rules, with the same parameters, that the screener raises
// alerts from, so a shopper is warned exactly when a regulator is.
type LegVerdict struct {
	// Kinds are the rules the trip breaks, in this order:
	// TEMPERATURE_OUT_OF_RANGE and SUSTAINED_EXCURSION judge the trip
	// alone; CUMULATIVE_EXCURSION judges the batch's whole journey, and is
	// given for each trip whose excursions count towards it. Empty when
	// the trip breaks none.
	Kinds []Kind
	// OutOfRange is how long the trip's readings lay outside the range:
	// the sum of its excursions' durations (a single stray reading lasts
	// zero).
	OutOfRange time.Duration
}

// Breached reports whether any rule fires on the trip.
func (v LegVerdict) Breached() bool { return len(v.Kinds) > 0 }

// JudgeJourney applies OutOfRange, Sustained and Cumulative to the trips
// of one batch (legs holds each trip's readings) and returns a verdict
// per trip, in the order of legs.
func JudgeJourney(legs [][]Reading, r Range, p ColdChainParams) []LegVerdict {
	out := make([]LegVerdict, len(legs))
	var none Subject
	cumulative := len(Cumulative(none, legs, r, p)) > 0
	for i, leg := range legs {
		v := &out[i]
		for _, ex := range Excursions(leg, r) {
			v.OutOfRange += ex.Duration()
		}
		if len(OutOfRange(none, leg, r, p)) > 0 {
			v.Kinds = append(v.Kinds, TemperatureOutOfRange)
		}
		if len(Sustained(none, leg, r, p)) > 0 {
			v.Kinds = append(v.Kinds, SustainedExcursion)
		}
		if cumulative && v.OutOfRange > 0 {
			v.Kinds = append(v.Kinds, CumulativeExcursion)
		}
	}
	return out
}

// Round1 rounds x to one decimal, as temperatures are shown to people:
// 6.800000000000001 becomes 6.8.
func Round1(x float64) float64 {
	r := math.Round(x*10) / 10
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}
