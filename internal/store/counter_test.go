package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// TestTallyAndSlowStatements: a context's Tally counts the statements
// issued with it (and no others), and every statement over the threshold
// is reported with its SQL.
func TestTallyAndSlowStatements(t *testing.T) {
	var (
		mu   sync.Mutex
		slow []string
	)
	// A threshold of a nanosecond makes every statement slow.
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "t.db"),
		store.WithSlowStatements(time.Nanosecond, func(_ context.Context, query string, _ time.Duration) {
			mu.Lock()
			slow = append(slow, query)
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, tally := store.WithTally(tenancy.System(context.Background()))
	mu.Lock()
	slow = nil
	mu.Unlock()
	if _, err := db.Client.Organization.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Client.Product.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	// Not this context's: not in its tally.
	if _, err := db.Client.Batch.Query().Count(tenancy.System(context.Background())); err != nil {
		t.Fatal(err)
	}
	if got := tally.Count(); got != 2 {
		t.Errorf("tally = %d, want 2", got)
	}
	if store.TallyOf(context.Background()).Count() != 0 {
		t.Errorf("a context without a tally counts")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(slow) != 3 || !strings.Contains(strings.ToLower(slow[0]), "select") {
		t.Errorf("slow statements = %q, want the 3 counts", slow)
	}
}
