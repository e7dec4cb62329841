package server_test

import (
	"context"
	"testing"
	"time"

	"suyuan/internal/anomaly"
	"suyuan/internal/eventlog"
	"suyuan/internal/screen"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestLateReadingsAreScreened: a logger's readings uploaded days after the
// trip, with their own (old) times, are judged by the next background run
// — the screener reads what was received since its last run, not only
// what happened within its window — and the alert reaches the API.
func TestLateReadingsAreScreened(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		// Three days ago: outside the screener's two-day window.
		trip := time.Now().UTC().Truncate(time.Minute).Add(-72 * time.Hour)
		loin := a.batch(c.pork, c.plant, "LATE-1", 100, "KG", trip.Add(-time.Hour))
		ship := a.ship(c.carrierOrg, c.plant, c.store, trip, trip.Add(2*time.Hour), item(loin, 50, "KG"))
		// The trip itself was recorded at the time, long since screened.
		if _, err := db.SQL.Exec(`UPDATE shipments SET received_at = ? WHERE id = ?`, trip.Add(2*time.Hour), id(t, ship)); err != nil {
			t.Fatal(err)
		}

		// Wait for a first run, which finds nothing.
		ran := backgroundScreener(t, db)
		ran(time.Now())
		if got := a.alerts(); len(got) != 0 {
			t.Fatalf("alerts before the readings came: %s", kinds(got))
		}

		// The logger's file: 40 minutes above 4 °C, three days ago.
		var rs []any
		for i, c := range []float64{2.0, 6.5, 7.0, 7.2, 6.9, 6.1, 3.0} {
			rs = append(rs, map[string]any{"recordedAt": trip.Add(time.Duration(i) * 10 * time.Minute), "temperature": c})
		}
		a.must(nil, `mutation($in: AddSensorReadingsInput!) { addSensorReadings(input: $in) { count } }`,
			map[string]any{"in": map[string]any{"shipmentID": ship, "readings": rs}})
		// A run that started after the upload committed has finished.
		ran(time.Now())
		got := a.alerts()
		if len(got) != 1 || got[0].Kind != "SUSTAINED_EXCURSION" || got[0].Shipment == nil || got[0].Shipment.ID != ship {
			t.Fatalf("alerts after the late readings: %+v", got)
		}
	})
}

// backgroundScreener runs the background screening loop, as serve does,
// every 20 ms until the test ends, and returns a function that waits
// (polling, up to a minute) for a run that began after a given time.
func backgroundScreener(t *testing.T, db *testdb.DB) (ranSince func(after time.Time)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), eventlog.New(db.Client, nil))
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Loop(ctx, 20*time.Millisecond, 48*time.Hour, discardLogger())
	}()
	t.Cleanup(func() { cancel(); <-done })
	return func(after time.Time) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			w, err := s.Watermark(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if w.After(after.Add(-screen.WatermarkLag)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no background run since %s (watermark %s)", after, w)
			}
			time.Sleep(10 * time.Millisecond) // polling, not waiting for an outcome
		}
	}
}
