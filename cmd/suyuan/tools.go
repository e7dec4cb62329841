package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"suyuan/internal/anomaly"
	"suyuan/internal/seed"
	"suyuan/internal/store"
)

func migrateCmd(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", getenv("SUYUAN_DB"), "database: an SQLite path or a MySQL URL/DSN (env SUYUAN_DB)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, *dsn)
	if err != nil {
		return err
	}
	db.Close()
	fmt.Fprintln(stderr, "schema is up to date")
	return nil
}

func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", getenv("SUYUAN_DB"), "database: an SQLite path or a MySQL URL/DSN (env SUYUAN_DB)")
	scale := fs.String("scale", "small", "data set size: small or city")
	seedN := fs.Int64("seed", 1, "random seed; the same seed and scale give the same data")
	demo := fs.Bool("demo", false, "load only the demo data")
	faults := fs.Bool("faults", true, "inject known anomalies for the screening rules to find (docs/ANOMALIES.md)")
	truth := fs.String("truth", "", "write the injected faults, as JSON, to this file")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *scale != string(seed.Small) && *scale != string(seed.City) {
		return fmt.Errorf("--scale must be small or city, not %q", *scale)
	}
	if *truth != "" {
		// Found missing after a long generation would be too late.
		if fi, err := os.Stat(filepath.Dir(*truth)); err != nil || !fi.IsDir() {
			return fmt.Errorf("--truth %q: its directory does not exist", *truth)
		}
	}
	db, err := openDB(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if *demo {
		if err := seed.DemoAt(ctx, db.Client, time.Now()); err != nil {
			return err
		}
		if err := rebuildCounters(ctx, db, false); err != nil {
			return err
		}
		return seed.DemoUsers(ctx, db.Client)
	}
	st, err := seed.Generate(ctx, db, seed.Options{Scale: seed.Scale(*scale), Seed: *seedN, Faults: *faults, Progress: stderr})
	if err != nil {
		return err
	}
	// The generator writes rows in bulk, past the recording operations
	// that keep the dashboard's counters.
	if err := rebuildCounters(ctx, db, true); err != nil {
		return err
	}
	if *truth != "" {
		if err := writeTruth(*truth, st); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "seeded %s (seed %d) in %s: %d organisations, %d facilities, %d products, %d batches, %d batch inputs, %d shipments, %d shipment items, %d sensor readings, %d shelf events, %d inspections, %d trace codes\n",
		*scale, *seedN, st.Elapsed.Round(1e6), st.Organizations, st.Facilities, st.Products, st.Batches, st.BatchInputs,
		st.Shipments, st.ShipmentItems, st.SensorReadings, st.ShelfEvents, st.Inspections, st.TraceCodes)
	return nil
}

// parseArgs parses a command's flags and refuses arguments it does not take.
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", fs.Name(), fs.Args())
	}
	return nil
}

// openDB opens the database and brings its schema up to date.
func openDB(ctx context.Context, dsn string) (*store.DB, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// writeTruth writes a generated data set's injected faults and its day, so
// that a screening of it can be scored.
func writeTruth(path string, st seed.Stats) error {
	type fault struct {
		Name        string         `json:"name"`
		SubjectType string         `json:"subjectType"`
		SubjectID   int            `json:"subjectId"`
		Expect      []anomaly.Kind `json:"expect"`
	}
	out := struct {
		Anchor time.Time `json:"anchor"`
		Faults []fault   `json:"faults"`
	}{Anchor: st.Anchor, Faults: []fault{}}
	for _, f := range st.Faults {
		out.Faults = append(out.Faults, fault{f.Name, string(f.Subject.Type), f.Subject.ID, f.Expect})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding faults: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("writing faults: %w", err)
	}
	return nil
}
