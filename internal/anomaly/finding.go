package anomaly

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// Finding is one rule's verdict about one subject.
type Finding struct {
	Kind     Kind
	Severity Severity
	Subject  Subject
	// FacilityID is where the condition holds when that is not implied by
	// the subject (the store for OVER_SHELVED / EXPIRED_ON_SHELF, the
	// shipping facility for OVER_SHIPPED); 0 otherwise.
	FacilityID int
	// At is the time of the latest evidence (last reading of the
	// excursion, inspection time, last scan...).
	At       time.Time
	Evidence Evidence
}

// Evidence is what a rule saw. It is stored as JSON with the alert and
// shown to regulators, so it must not depend on when the rule ran: an
// alert whose evidence changes is updated, and reopened if resolved.
type Evidence struct {
	// Summary is one English sentence with the numbers.
	Summary string `json:"summary"`
	// Observed is the decisive value: peak °C, minutes, score, quantity,
	// scan count...
	Observed float64 `json:"observed"`
	// Threshold is what Observed was compared against.
	Threshold float64 `json:"threshold"`
	// Unit is the unit of Observed and Threshold: "°C", "min", "z", "kg"...
	Unit string `json:"unit"`
	// From and To bound the condition in time when it has a span: the
	// excursion, the gap, the scans.
	From *time.Time `json:"from,omitempty"`
	To   *time.Time `json:"to,omitempty"`
	// Readings are the readings that matter, at most MaxEvidenceReadings.
	Readings []Reading `json:"readings,omitempty"`
	// Values are named numbers: measurement and limit, median, MAD,
	// sample size, received, shelved...
	Values []Value `json:"values,omitempty"`
	// Regions are the scan regions involved.
	Regions []string `json:"regions,omitempty"`
}

// Reading is one temperature reading, in °C.
type Reading struct {
	At      time.Time `json:"at"`
	Celsius float64   `json:"celsius"`
}

// Value is a named number in a finding's evidence.
type Value struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// MaxEvidenceReadings bounds Evidence.Readings so that a week-long
// excursion does not bloat the alert.
const MaxEvidenceReadings = 24

// trimReadings copies rs, keeping the first and last MaxEvidenceReadings/2
// when there are more: the start and the end of an excursion are what a
// reader checks.
func trimReadings(rs []Reading) []Reading {
	if len(rs) == 0 {
		return nil
	}
	if len(rs) <= MaxEvidenceReadings {
		return slices.Clone(rs)
	}
	half := MaxEvidenceReadings / 2
	out := make([]Reading, 0, MaxEvidenceReadings)
	out = append(out, rs[:half]...)
	return append(out, rs[len(rs)-half:]...)
}

// timePtr returns a pointer to a copy of t, for Evidence.From and To.
func timePtr(t time.Time) *time.Time { return &t }

// SortFindings orders fs by subject type, subject ID and kind, then
// facility and time, so that rule outputs are deterministic.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, compareFindings)
}

func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Subject.Type, b.Subject.Type),
		cmp.Compare(a.Subject.ID, b.Subject.ID),
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.FacilityID, b.FacilityID),
		a.At.Compare(b.At),
	)
}

// Fingerprint identifies a finding's evidence: when it changes, the rule
// has found something new about the subject. A statistical finding is
// identified by the subject's own value alone, not by the sample around
// it, which moves with every batch or trip that follows.
func (f Finding) Fingerprint() string {
	ev := f.Evidence
	if f.Kind == MeasurementOutlier || f.Kind == TransitOutlier {
		own := Evidence{Unit: ev.Unit}
		for _, v := range ev.Values {
			if v.Name == "value" {
				own.Values = append(own.Values, v)
			}
		}
		ev = own
	}
	b, _ := json.Marshal(ev) // plain data: it always encodes
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
