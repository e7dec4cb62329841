package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"suyuan/internal/anomaly"
	"suyuan/internal/dashboard"
	"suyuan/internal/eventlog"
	"suyuan/internal/screen"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// screenCmd runs every screening rule over the whole history (or since a
// time) and stores the findings as alerts.
func screenCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("screen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", getenv("SUYUAN_DB"), "database: an SQLite path or a MySQL URL/DSN (env SUYUAN_DB)")
	sinceFlag := fs.String("since", "", "screen data recorded from this time on (RFC 3339; default: all of history)")
	atFlag := fs.String("at", "", "judge the data as of this time (RFC 3339; default: now), e.g. a generated data set's anchor")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	var since time.Time
	now := time.Now()
	for _, f := range []struct {
		name, value string
		into        *time.Time
	}{{"since", *sinceFlag, &since}, {"at", *atFlag, &now}} {
		if f.value == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.value)
		if err != nil {
			return fmt.Errorf("--%s: %w", f.name, err)
		}
		*f.into = t
	}
	if !since.IsZero() && !since.Before(now) {
		return fmt.Errorf("--since (%s) must be before --at (%s)", since.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	db, err := openDB(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// Through the log, like any recording: servers on this database hear
	// of the alerts this run raises and publish them to their subscribers.
	res, err := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), eventlog.New(db.Client, nil)).Run(ctx, since, now)
	if err != nil {
		return err
	}
	kinds := make([]string, 0, len(res.Findings))
	for k := range res.Findings {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(stdout, "%-26s %6d\n", k, res.Findings[anomaly.Kind(k)])
	}
	fmt.Fprintf(stdout, "%d alerts new or reopened, in %s\n", res.Raised, res.Elapsed.Round(time.Millisecond))
	return nil
}

// recountCmd rebuilds the dashboard counters from the rows they count: after
// a bulk load past the recording operations, or after a facility's region
// was corrected (counters keep the region an event was recorded in).
func recountCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("recount", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", getenv("SUYUAN_DB"), "database: an SQLite path or a MySQL URL/DSN (env SUYUAN_DB)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := rebuildCounters(ctx, db, true); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dashboard counters rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// rebuildCounters recounts the dashboard counters when rows were written
// without them (a bulk load, a database from before the counters).
func rebuildCounters(ctx context.Context, db *store.DB, always bool) error {
	ctx = tenancy.System(ctx)
	if !always {
		n, err := db.Client.DailyCount.Query().Limit(1).Count(ctx)
		if err != nil {
			return fmt.Errorf("checking counters: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
	return dashboard.Rebuild(ctx, db.Client, db.SQL)
}
