package anomaly

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Shelved is a shelf event not yet removed: some of a batch standing on
// a store's shelves.
type Shelved struct {
	Batch      Subject
	FacilityID int
	// ExpiresAt is the batch's expiry; zero when it has none.
	ExpiresAt time.Time
	// Milli is the quantity shelved, in thousandths of Unit.
	Milli     int64
	Unit      string
	ShelvedAt time.Time
}

// CheckExpiredOnShelf raises EXPIRED_ON_SHELF (MEDIUM) once per batch and
// store for the shelf events whose batch expired strictly before now. (It
// cannot be called ExpiredOnShelf: that is the Kind.) Observed is what
// stands on the shelf, against a Threshold of 0. The evidence does not
// mention now, so that it stays the same from one screening to the next.
// At is the expiry, or the latest shelving when that came after it.
func CheckExpiredOnShelf(now time.Time, on []Shelved) []Finding {
	expired := make([]Shelved, 0, len(on))
	for _, s := range on {
		if !s.ExpiresAt.IsZero() && s.ExpiresAt.Before(now) {
			expired = append(expired, s)
		}
	}
	slices.SortFunc(expired, func(a, b Shelved) int {
		return cmp.Or(
			cmp.Compare(a.Batch.Type, b.Batch.Type),
			cmp.Compare(a.Batch.ID, b.Batch.ID),
			cmp.Compare(a.FacilityID, b.FacilityID),
			a.ShelvedAt.Compare(b.ShelvedAt),
			a.ExpiresAt.Compare(b.ExpiresAt),
			cmp.Compare(a.Milli, b.Milli),
		)
	})
	var out []Finding
	for i := 0; i < len(expired); {
		j := i + 1
		for j < len(expired) && expired[j].Batch == expired[i].Batch && expired[j].FacilityID == expired[i].FacilityID {
			j++
		}
		out = append(out, expiredFinding(expired[i:j]))
		i = j
	}
	SortFindings(out)
	return out
}

// expiredFinding sums one batch's expired shelf events at one store,
// given in shelving order.
func expiredFinding(group []Shelved) Finding {
	first := group[0]
	var milli int64
	expires, unit := first.ExpiresAt, first.Unit
	for _, s := range group {
		milli = addSat(milli, s.Milli)
		if s.ExpiresAt.Before(expires) {
			expires = s.ExpiresAt
		}
		if unit == "" {
			unit = s.Unit
		}
	}
	at := expires
	if last := group[len(group)-1].ShelvedAt; last.After(at) {
		at = last
	}
	summary := fmt.Sprintf("%s of batch %d still on the shelf at facility %d after it expired on %s",
		fmtQty(milli, unit), first.Batch.ID, first.FacilityID, fmtTime(expires))
	if len(group) > 1 {
		summary += fmt.Sprintf(" (%d shelf events)", len(group))
	}
	return Finding{
		Kind:       ExpiredOnShelf,
		Severity:   ExpiredOnShelf.DefaultSeverity(),
		Subject:    first.Batch,
		FacilityID: first.FacilityID,
		At:         at,
		Evidence: Evidence{
			Summary:  summary + ".",
			Observed: milliFloat(milli),
			Unit:     displayUnit(unit),
			From:     timePtr(expires),
			Values: []Value{
				{Name: "on shelf", Value: milliFloat(milli), Unit: displayUnit(unit)},
				{Name: "shelf events", Value: float64(len(group))},
			},
		},
	}
}
