package screen_test

import (
	"context"
	"testing"
	"time"

	"suyuan/internal/anomaly"
	"suyuan/internal/eventlog"
	"suyuan/internal/screen"
	"suyuan/internal/testdb"
)

// TestWatermark: the watermark starts unset, moves forward and never back.
func TestWatermark(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		s := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), eventlog.New(db.Client, nil))
		check := func(want time.Time) {
			t.Helper()
			got, err := s.Watermark(ctx)
			if err != nil || !got.Equal(want) {
				t.Fatalf("watermark %s, %v; want %s", got, err, want)
			}
		}
		check(time.Time{})
		t1 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
		for _, c := range []struct{ set, want time.Time }{
			{t1, t1},
			{t1.Add(time.Hour), t1.Add(time.Hour)},
			{t1, t1.Add(time.Hour)}, // not back
			{t1.Add(time.Hour), t1.Add(time.Hour)},
		} {
			if err := s.SetWatermark(ctx, c.set); err != nil {
				t.Fatal(err)
			}
			check(c.want)
		}
	})
}
