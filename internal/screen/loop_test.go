package screen_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"suyuan/ent"
	"suyuan/internal/alert"
	"suyuan/internal/anomaly"
	"suyuan/internal/eventlog"
	"suyuan/internal/screen"
	"suyuan/internal/seed"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
)

// TestLoopPublishes: the background screener stores what it finds through
// the event log, whose change hands each new alert to subscribers, once.
func TestLoopPublishes(t *testing.T) {
	db := testdb.SQLite(t)
	ctx, cancel := context.WithCancel(tenancy.System(context.Background()))
	defer cancel()
	if _, err := seed.Generate(ctx, db.DB, seed.Options{Scale: seed.Small, Seed: 2, Faults: true}); err != nil {
		t.Fatal(err)
	}
	log := eventlog.New(db.Client, nil)
	broker := alert.NewBroker()
	broker.Follow(log, db.Client)
	ch := broker.Subscribe(ctx, func(*ent.Alert) bool { return true })
	s := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), log)
	// A window reaching back over the whole generated year.
	go s.Loop(ctx, 20*time.Millisecond, 5*365*24*time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))

	seen := map[int]int{}
	deadline := time.After(20 * time.Second)
	quiet := time.NewTimer(time.Hour)
	for done := false; !done; {
		select {
		case a := <-ch:
			seen[a.ID]++
			if a.OrganizationID == 0 || a.RegionCode == "" {
				t.Errorf("published alert %d: %+v", a.ID, a)
			}
			quiet.Reset(time.Second) // several runs go by in a second
		case <-quiet.C:
			done = true
		case <-deadline:
			t.Fatal("the screener published nothing, or never stopped publishing")
		}
	}
	stored, err := db.Client.Alert.Query().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stored == 0 || len(seen) != stored {
		t.Errorf("published %d alerts, stored %d", len(seen), stored)

	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("alert %d published %d times", id, n)
		}
	}
}
