package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"suyuan/internal/dashboard"
	"suyuan/internal/seed"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// BenchmarkLoad loads the whole platform's dashboard for the 90 days up to
// a generated data set's day, from the database named by SUYUAN_BENCH_DB
// (a city data set made by "suyuan seed --scale city", then "suyuan
// screen"), or from the small data set in a temporary SQLite file.
//
//	SUYUAN_BENCH_DB=/tmp/city.db go test ./internal/dashboard -bench . -benchtime 50x
func BenchmarkLoad(b *testing.B) {
	ctx := tenancy.System(context.Background())
	dsn := os.Getenv("SUYUAN_BENCH_DB")
	generate := dsn == ""
	if generate {
		dsn = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if generate {
		if err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := seed.Generate(ctx, db, seed.Options{Scale: seed.Small, Seed: 1, Faults: true}); err != nil {
			b.Fatal(err)
		}
		if err := dashboard.Rebuild(ctx, db.Client, db.SQL); err != nil {
			b.Fatal(err)
		}
	}
	to := seed.Anchor()
	from := to.Add(-89 * 24 * time.Hour)
	for b.Loop() {
		s, err := dashboard.Load(ctx, db.Client, "", from, to)
		if err != nil {
			b.Fatal(err)
		}
		if s.Totals.Batches == 0 {
			b.Fatal("no batches in the period")
		}
	}
}
