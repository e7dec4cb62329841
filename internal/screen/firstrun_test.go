package screen_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"suyuan/ent/batch"
	"suyuan/ent/tracecode"
	"suyuan/internal/anomaly"
	"suyuan/internal/eventlog"
	"suyuan/internal/screen"
	"suyuan/internal/seed"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
)

// TestFirstRun: what a new installation loads — a small city ending now
// and the hand-written chain on the days before today — screened as the
// server screens it on first start, shows the generated faults as alerts
// and nothing else: the moved calendar raises no false alarm, and the
// demo's pork loin is fresh, cut yesterday, and keeps a week.
func TestFirstRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := tenancy.System(context.Background())
		cst := time.FixedZone("CST", 8*3600)
		// A day unlike the generator's own (2026-11-25), early in the
		// morning in China, when UTC is still on the day before.
		now := time.Date(2027, 3, 15, 6, 40, 0, 0, cst)
		st, err := seed.FirstRun(ctx, db.DB, now)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Anchor.Equal(now) {
			t.Errorf("the city ends at %s, want %s", st.Anchor, now)
		}
		if _, err := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), eventlog.New(db.Client, nil)).Run(ctx, time.Time{}, now); err != nil {
			t.Fatal(err)
		}
		want := map[finding]bool{}
		for _, f := range st.Faults {
			for _, k := range f.Expect {
				want[finding{k, f.Subject}] = true
			}
		}
		alerts, err := db.Client.Alert.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[finding]bool{}
		for _, a := range alerts {
			f := finding{anomaly.Kind(a.Kind), anomaly.Subject{Type: anomaly.SubjectType(a.SubjectType), ID: a.SubjectID}}
			got[f] = true
			if !want[f] {
				t.Errorf("false alarm: %s on %s %d: %s", f.kind, f.subject.Type, f.subject.ID, a.Evidence.Summary)
			}
		}
		for f := range want {
			if !got[f] {
				t.Errorf("missed: %s on %s %d", f.kind, f.subject.Type, f.subject.ID)
			}
		}
		if len(alerts) < 20 {
			t.Errorf("the first run shows %d alerts; a dashboard needs something to show", len(alerts))
		}

		loin, err := db.Client.TraceCode.Query().Where(tracecode.Code(seed.DemoTraceCode)).QueryBatch().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		made := loin.ProducedAt.In(cst)
		if y, m, d := made.Date(); fmt.Sprintf("%d-%02d-%02d", y, m, d) != "2027-03-14" {
			t.Errorf("the demo loin was made on %s, want the day before 2027-03-15", made)
		}
		if loin.LotCode != "LJ20270314-01" {
			t.Errorf("the demo loin's lot code is %s, want LJ20270314-01", loin.LotCode)
		}
		if loin.ExpiresAt == nil || !loin.ExpiresAt.Equal(loin.ProducedAt.AddDate(0, 0, 7)) {
			t.Errorf("the demo loin expires at %v, want a week after %s", loin.ExpiresAt, loin.ProducedAt)
		}
		for _, b := range db.Client.Batch.Query().Where(batch.ProducedAtGT(now)).AllX(ctx) {
			t.Errorf("lot %s is made after now, at %s", b.LotCode, b.ProducedAt)
		}
	})
}
