package screen_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"suyuan/internal/anomaly"
	"suyuan/internal/eventlog"
	"suyuan/internal/screen"
	"suyuan/internal/seed"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
)

// finding is what the test compares: a rule and its subject.
type finding struct {
	kind    anomaly.Kind
	subject anomaly.Subject
}

// TestGroundTruth generates a data set with known faults, screens its
// whole history as of the generator's day, and compares the alerts with
// the faults: per rule, every injected fault must be found (recall 1) and
// nothing else (precision 1). The table it logs is the one in
// docs/ANOMALIES.md; with SUYUAN_ARTIFACTS set it is also written there.
func TestGroundTruth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := tenancy.System(context.Background())
		st, err := seed.Generate(ctx, db.DB, seed.Options{Scale: seed.Small, Seed: 1, Faults: true})
		if err != nil {
			t.Fatal(err)
		}
		want := map[finding]string{} // → the fault's name
		for _, f := range st.Faults {
			for _, k := range f.Expect {
				want[finding{k, f.Subject}] = f.Name
			}
		}
		s := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), eventlog.New(db.Client, nil))
		now := st.Anchor
		res, err := s.Run(ctx, time.Time{}, now)
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := db.Client.Alert.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Raised != len(alerts) {
			t.Errorf("the run reports %d alerts raised, the table holds %d", res.Raised, len(alerts))
		}
		got := map[finding]bool{}
		for _, a := range alerts {
			got[finding{anomaly.Kind(a.Kind), anomaly.Subject{Type: anomaly.SubjectType(a.SubjectType), ID: a.SubjectID}}] = true
		}

		type score struct{ tp, fp, fn int }
		scores := map[anomaly.Kind]*score{}
		for _, k := range anomaly.Kinds() {
			if k.Screened() {
				scores[k] = &score{}
			}
		}
		var misses, falseAlarms []string
		for f, name := range want {
			if got[f] {
				scores[f.kind].tp++
			} else {
				scores[f.kind].fn++
				misses = append(misses, fmt.Sprintf("%s on %s %d (%s)", f.kind, f.subject.Type, f.subject.ID, name))
			}
		}
		for f := range got {
			if _, ok := want[f]; !ok {
				scores[f.kind].fp++
				falseAlarms = append(falseAlarms, fmt.Sprintf("%s on %s %d", f.kind, f.subject.Type, f.subject.ID))
			}
		}
		sort.Strings(misses)
		sort.Strings(falseAlarms)

		var table strings.Builder
		fmt.Fprintf(&table, "| rule | injected | found | false alarms | precision | recall |\n|---|---|---|---|---|---|\n")
		for _, k := range anomaly.Kinds() {
			sc := scores[k]
			if sc == nil {
				continue
			}
			fmt.Fprintf(&table, "| `%s` | %d | %d | %d | %s | %s |\n", k, sc.tp+sc.fn, sc.tp, sc.fp,
				ratio(sc.tp, sc.tp+sc.fp), ratio(sc.tp, sc.tp+sc.fn))
			if sc.tp+sc.fn == 0 {
				t.Errorf("no fault tests rule %s", k)
			}
		}
		t.Logf("screened %s in %s:\n%s", db.Name, res.Elapsed.Round(time.Millisecond), table.String())
		if dir := os.Getenv("SUYUAN_ARTIFACTS"); dir != "" {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "ground-truth-"+db.Name+".md"), []byte(table.String()), 0o644)
		}
		for _, m := range misses {
			t.Errorf("missed: %s", m)
		}
		for _, f := range falseAlarms {
			t.Errorf("false alarm: %s", f)
		}

		// The background screener's view, the last two days, finds part of
		// the same and nothing else.
		recent, err := s.Findings(ctx, now.Add(-48*time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range recent {
			if _, ok := want[finding{f.Kind, f.Subject}]; !ok {
				t.Errorf("screening the last two days: false alarm %s on %s %d", f.Kind, f.Subject.Type, f.Subject.ID)
			}
		}
		if len(recent) == 0 {
			t.Error("screening the last two days found nothing")
		}

		// Screening again finds the same and raises nothing new.
		again, err := s.Run(ctx, time.Time{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if again.Raised != 0 {
			t.Errorf("a second run raised %d alerts", again.Raised)
		}
		if n, _ := db.Client.Alert.Query().Count(ctx); n != len(alerts) {
			t.Errorf("a second run left %d alerts, want %d", n, len(alerts))
		}
	})
}

func ratio(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}
