package anomaly

import (
	"testing"
	"time"
)

func TestCheckExpiredOnShelf(t *testing.T) {
	now := at(24 * 60)
	store := func(id int) Subject { return Subject{Type: SubjectBatch, ID: id} }
	sh := func(b, facility int, expires time.Time, milli int64, shelvedMin float64) Shelved {
		return Shelved{Batch: store(b), FacilityID: facility, ExpiresAt: expires, Milli: milli, Unit: "KG", ShelvedAt: at(shelvedMin)}
	}
	tests := []struct {
		name string
		on   []Shelved
		want []want
	}{
		{"nothing on the shelf", nil, nil},
		{"fresh", []Shelved{sh(1, 3, now.Add(time.Hour), 1_000, 0)}, nil},
		{"expires now", []Shelved{sh(1, 3, now, 1_000, 0)}, nil},
		{"no expiry", []Shelved{sh(1, 3, time.Time{}, 1_000, 0)}, nil},
		{"expired a moment ago", []Shelved{sh(1, 3, now.Add(-time.Nanosecond), 2_500, 0)}, []want{{
			kind: ExpiredOnShelf, sev: Medium, subject: store(1), facility: 3, at: now.Add(-time.Nanosecond),
			observed: 2.5, unit: "kg", summary: []string{"2.5 kg of batch 1 still on the shelf at facility 3 after it expired on 2025-03-02 07:59 UTC"},
		}}},
		{"one per batch and store, summed", []Shelved{
			sh(2, 4, at(60), 1_000, 0),
			sh(1, 3, at(60), 1_000, 0),
			sh(1, 3, at(60), 500, 120), // shelved after expiry: At is then
			sh(1, 4, at(60), 250, 10),
			sh(1, 4, now.Add(time.Hour), 9_000, 10), // another lot still fresh
		}, []want{
			{kind: ExpiredOnShelf, sev: Medium, subject: store(1), facility: 3, at: at(120), observed: 1.5, unit: "kg", summary: []string{"(2 shelf events)"}},
			{kind: ExpiredOnShelf, sev: Medium, subject: store(1), facility: 4, at: at(60), observed: 0.25, unit: "kg"},
			{kind: ExpiredOnShelf, sev: Medium, subject: store(2), facility: 4, at: at(60), observed: 1, unit: "kg"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, CheckExpiredOnShelf(now, tt.on), tt.want...)
		})
	}
}

func TestCheckExpiredOnShelfIsStable(t *testing.T) {
	// The evidence must not change as time passes, or every screening
	// would reopen a resolved alert.
	on := []Shelved{{Batch: batch, FacilityID: 3, ExpiresAt: at(0), Milli: 1_000, Unit: "KG", ShelvedAt: at(-60)}}
	a := CheckExpiredOnShelf(at(1), on)
	b := CheckExpiredOnShelf(at(10_000), on)
	if len(a) != 1 || len(b) != 1 || a[0].Evidence.Summary != b[0].Evidence.Summary || !a[0].At.Equal(b[0].At) {
		t.Errorf("evidence depends on now: %+v vs %+v", a, b)
	}
}
