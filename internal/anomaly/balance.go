package anomaly

import (
	"fmt"
	"math"
	"time"
)

// Balance is one batch's stock movements at one facility, in thousandths
// of the batch's unit, so that the comparison is exact.
type Balance struct {
	Batch      Subject
	FacilityID int
	// Produced and Received are what was made at the facility and
	// delivered to it.
	Produced, Received int64
	// Out is what left: shelved at a store (OverShelved) or on departed
	// shipments (OverShipped).
	Out int64
	// Unit is the batch's unit, one of package quantity's codes ("KG").
	Unit string
	// At is the latest movement counted; it becomes Finding.At.
	At time.Time
}

// CheckOverShelved raises OVER_SHELVED (HIGH) when more of the batch was
// put on the store's shelves (b.Out) than was produced there and delivered
// to it. (It cannot be called OverShelved: that is the Kind.)
func CheckOverShelved(b Balance) []Finding {
	return overBalance(OverShelved, b, "shelved", "put on the shelves at")
}

// CheckOverShipped raises OVER_SHIPPED (HIGH) when more of the batch left
// the facility on departed shipments (b.Out) than was produced there and
// delivered to it. (It cannot be called OverShipped: that is the Kind.)
func CheckOverShipped(b Balance) []Finding {
	return overBalance(OverShipped, b, "shipped", "shipped from")
}

func overBalance(k Kind, b Balance, outName, verb string) []Finding {
	in := addSat(b.Produced, b.Received)
	if b.Out <= in {
		return nil
	}
	unit := displayUnit(b.Unit)
	summary := fmt.Sprintf("%s of batch %d %s facility %d, but only %s was produced there and delivered to it (%s too much)",
		fmtQty(b.Out, b.Unit), b.Batch.ID, verb, b.FacilityID, fmtQty(in, b.Unit), fmtQty(subSat(b.Out, in), b.Unit))
	return []Finding{{
		Kind:       k,
		Severity:   k.DefaultSeverity(),
		Subject:    b.Batch,
		FacilityID: b.FacilityID,
		At:         b.At,
		Evidence: Evidence{
			Summary:   summary + ".",
			Observed:  milliFloat(b.Out),
			Threshold: milliFloat(in),
			Unit:      unit,
			Values: []Value{
				{Name: "produced", Value: milliFloat(b.Produced), Unit: unit},
				{Name: "received", Value: milliFloat(b.Received), Unit: unit},
				{Name: outName, Value: milliFloat(b.Out), Unit: unit},
				{Name: "excess", Value: milliFloat(subSat(b.Out, in)), Unit: unit},
			},
		},
	}}
}

// addSat adds without wrapping around, so absurd inputs cannot turn a
// huge intake negative and raise a false alarm.
func addSat(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// subSat subtracts without wrapping around.
func subSat(a, b int64) int64 {
	if b == math.MinInt64 {
		if a >= 0 {
			return math.MaxInt64
		}
		return a - b
	}
	return addSat(a, -b)
}
