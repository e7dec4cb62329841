package metrics_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"suyuan/internal/metrics"
)

// gathered counts once with every method and returns the names of the
// metric families the registry then exposes.
func gathered(t *testing.T) (*metrics.Metrics, map[string]bool) {
	t.Helper()
	m := metrics.New()
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m.WatchDB(db, "sqlite")
	m.Request("/graphql", "POST", 200, time.Millisecond, 3)
	m.Operation("Trace", "query", time.Millisecond, []string{"NOT_FOUND"}, 3)
	m.PageCache(true)
	m.Screening(time.Second, errors.New("down"))
	m.AlertRaised("INSPECTION_FAILED")
	m.SlowStatement()
	m.WebhookAttempt("delivered")
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	return m, names
}

// TestDashboardNamesExistingMetrics holds the Grafana dashboard in docs/
// to the metrics the server really exposes.
func TestDashboardNamesExistingMetrics(t *testing.T) {
	_, names := gathered(t)
	b, err := os.ReadFile("../../docs/grafana/suyuan.json")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`\b(?:suyuan|go_sql)_[a-z_]+`).FindAllString(string(b), -1)
	if len(used) < 10 {
		t.Fatalf("found %d metric names in the dashboard: the pattern missed them", len(used))
	}
	for _, n := range used {
		base := n
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if trimmed := strings.TrimSuffix(n, suffix); trimmed != n && names[trimmed] {
				base = trimmed
			}
		}
		if !names[base] {
			t.Errorf("the dashboard uses %s, which the server does not expose", n)
		}
	}
}

// TestOperationNamesBounded: clients choose operation names, so past
// MaxOperationNames distinct ones they are counted together.
func TestOperationNamesBounded(t *testing.T) {
	m, _ := gathered(t)
	for i := range metrics.MaxOperationNames + 50 {
		m.Operation(fmt.Sprintf("Op%d", i), "query", time.Millisecond, nil, 1)
	}
	m.Operation("", "query", time.Millisecond, nil, 1)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "suyuan_graphql_operations_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "operation" {
					seen[l.GetValue()] = true
				}
			}
		}
	}
	if !seen[metrics.OtherOperation] || !seen[metrics.AnonymousOperation] {
		t.Errorf("no %q or %q among the operations", metrics.OtherOperation, metrics.AnonymousOperation)
	}
	if len(seen) > metrics.MaxOperationNames+2 {
		t.Errorf("%d operation labels, want at most %d", len(seen), metrics.MaxOperationNames+2)
	}
}

// TestNilMetricsCountNothing: code counts without asking whether metrics
// are on.
func TestNilMetricsCountNothing(t *testing.T) {
	var m *metrics.Metrics
	m.Request("/", "GET", 200, 0, 0)
	m.Operation("x", "query", 0, []string{"INTERNAL"}, 0)
	m.PageCache(false)
	m.Screening(0, nil)
	m.AlertRaised("X")
	m.SlowStatement()
	m.WebhookAttempt("delivered")
	m.WatchDB(nil, "x")
}
