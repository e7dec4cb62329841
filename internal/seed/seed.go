// Package seed fills a database with demo data and with deterministic,
// realistic data sets.
//
// Demo loads a small hand-written supply chain through the Ent client, so
// that a new installation shows a real trace at once. Generate writes a
// whole city's worth of producers, lots, shipments and shelves with bulk
// SQL, for tests and benchmarks.
//
// Both keep mass balance: a Stock row holds, for one batch at one facility,
// exactly what was produced or received there minus what was consumed by
// transformations there, shipped out and put on shelves there. A shipment
// takes its items out of the origin's stock once it has departed
// (IN_TRANSIT or DELIVERED) and adds them to the destination's stock once
// DELIVERED; a PLANNED shipment has not moved anything yet and a REJECTED
// one went back where it came from, so neither changes any stock.
// Quantities are recorded in the batch's own unit. The only exceptions are
// the over-shelving and over-shipping faults Generate injects on request
// (Options.Faults), whose extra quantity comes from nowhere.
package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"entgo.io/ent/dialect"

	"suyuan/internal/store"
)

// Scale is the size of a generated data set.
type Scale string

// Scales Generate knows.
const (
	// Small is about 200 producers and 2,000 batches; it takes a few
	// seconds and is what tests use.
	Small Scale = "small"
	// City is the size of Ya'an: 20,000 producers, about a million
	// batches, a million shipments and two million shelf events.
	City Scale = "city"
)

// Options controls Generate.
type Options struct {
	Scale Scale
	// Seed selects the data set: the same seed and scale give identical
	// rows.
	Seed int64
	// Progress, when not nil, receives one line per phase and periodic
	// lines with counts and rows per second.
	Progress io.Writer
	// Faults makes the data set carry known anomalies, listed in
	// Stats.Faults, and nothing else a screening rule would flag (see
	// faults.go). Without it a seed gives the data it always gave.
	Faults bool
	// Anchor is the data set's "now" (Stats.Anchor); zero means the fixed
	// default, Anchor(). The same seed and anchor give identical rows.
	Anchor time.Time
}

// Stats counts the rows Generate wrote.
type Stats struct {
	Organizations, Facilities, Products   int
	Batches, BatchInputs                  int
	Shipments, ShipmentItems              int
	SensorReadings, ShelfEvents           int
	Inspections, Measurements, TraceCodes int
	ScanEvents, Stocks                    int
	// WidestBatchID is a batch that was distributed, through distribution
	// centres, to the most stores: at least 1,000 at city scale. Forward
	// trace and recall benchmarks start from it.
	WidestBatchID int
	// WidestStores is the number of stores and markets WidestBatchID was
	// delivered to.
	WidestStores int
	// Anchor is the data set's "now": nothing happens after it, and
	// screening rules run over the data take it as the current time.
	Anchor time.Time
	// Faults lists, when Options.Faults is set, every anomaly in the
	// data: each (kind, subject) pair a screening of the whole history at
	// Anchor must raise, and the faults that must raise nothing.
	Faults  []Fault
	Elapsed time.Duration
}

// Anchor is the end of every generated data set, in UTC: see Stats.Anchor.
func Anchor() time.Time { return genAnchor().UTC() }

// params are the sizes of one scale.
type params struct {
	producers  int // PRODUCER and PROCESSOR organisations
	outlets    int // STORE and MARKET facilities
	carriers   int
	labs       int
	batches    int // generation stops once this many batches exist
	wideStores int // stores the widest lot reaches
	chunkRows  int // rows per transaction
}

func paramsFor(s Scale) (params, error) {
	switch s {
	case Small:
		return params{producers: 200, outlets: 100, carriers: 10, labs: 5,
			batches: 2000, wideStores: 30, chunkRows: 5000}, nil
	case City:
		return params{producers: 20000, outlets: 5000, carriers: 500, labs: 50,
			batches: 1000000, wideStores: 1200, chunkRows: 40000}, nil
	}
	return params{}, fmt.Errorf("seed: unknown scale %q (want %q or %q)", s, Small, City)
}

// ErrNotEmpty is returned by Generate when the database already holds
// batches.
var ErrNotEmpty = errors.New("seed: the database already holds batches; generate into an empty database")

// Generate fills an empty, migrated database with a deterministic data set
// of the given scale. It refuses, with ErrNotEmpty, when the database
// already holds batches.
//
// The data covers the year up to 25 November 2026, 10:30 China Standard
// Time: the directory of Ya'an's producers, processors, carriers, shops,
// labs and regulators, then supply chains in calendar order, each from
// farm to shelf — livestock to carcasses to cuts to consumer packs (sometimes on
// to cured pork, five levels deep), tea leaves to teas to boxes, harvests
// to packed produce, eggs, milk — with lab inspections of about one lot in
// five (a few consumer lots fail and are recalled), cold-chain readings on
// every trip (a few with excursions, a few rejected), trace codes on
// consumer packs (with zero scan counts: there are no scan events), and
// one very wide lot of ready meals (Stats.WidestBatchID). Chains that
// started shortly before the end are caught midway: shipments planned or
// in transit, goods not yet shelved.
//
// With Options.Faults the data also holds scans of the trace codes and a
// few of each fault of FaultNames, listed with what each must raise in
// Stats.Faults, and nothing else a screening rule of docs/ANOMALIES.md
// would flag: failed inspections, rejected trips and recalls come only
// from the faults (see faults.go).
//
// Rows are written with multi-row INSERT statements on one connection, in
// transactions of thousands of rows, while the next rows are being
// generated. IDs are taken explicitly from each table's ID range (Ent's
// sql/globalid), and the tables' auto-increment counters are left past
// them, so rows created later through Ent fit in. Rows are inserted with
// raw SQL: Ent hooks and privacy rules do not see them. When Generate
// fails midway the database holds part of a data set; generate into a
// fresh one.
func Generate(ctx context.Context, db *store.DB, opts Options) (Stats, error) {
	p, err := paramsFor(opts.Scale)
	if err != nil {
		return Stats{}, err
	}
	return generate(ctx, db, p, opts)
}

func generate(ctx context.Context, db *store.DB, p params, opts Options) (Stats, error) {
	start := time.Now()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("seed: getting a connection: %w", err)
	}
	defer conn.Close()

	var one int
	switch err := conn.QueryRowContext(ctx, "SELECT 1 FROM batches LIMIT 1").Scan(&one); {
	case err == nil:
		return Stats{}, ErrNotEmpty
	case !errors.Is(err, sql.ErrNoRows):
		return Stats{}, fmt.Errorf("seed: checking for batches: %w", err)
	}

	defs := tables()
	var next [numTables]int64
	for t, d := range defs {
		if next[t], err = nextID(ctx, conn, db.Dialect, d.name); err != nil {
			return Stats{}, fmt.Errorf("seed: %w", err)
		}
		// Ranges are 1<<32 IDs wide and start at a multiple of 1<<32; no
		// table gets near 1<<28 rows even at city scale.
		if end := next[t]&^(1<<32-1) + 1<<32; end-next[t] < 1<<28 {
			return Stats{}, fmt.Errorf("seed: too little of the ID range of %s is left", d.name)
		}
	}

	if db.Dialect == dialect.SQLite {
		restore, err := fastSQLite(ctx, conn)
		if err != nil {
			return Stats{}, err
		}
		defer restore()
	}

	g := newGen(p, opts.Seed, next, opts.Faults)
	if !opts.Anchor.IsZero() {
		g.anchor = opts.Anchor.In(cst)
	}
	pr := newProgress(opts.Progress, start)
	if err := run(ctx, g, newWriter(conn), pr); err != nil {
		return Stats{}, err
	}

	for t, d := range defs {
		if g.next[t] > next[t] {
			if err := bumpSequence(ctx, conn, db.Dialect, d.name, g.next[t]-1); err != nil {
				return Stats{}, fmt.Errorf("seed: %w", err)
			}
		}
	}
	pr.phase("analyzing")
	if err := analyze(ctx, conn, db.Dialect, defs); err != nil {
		return Stats{}, err
	}

	st := g.stats()
	st.Elapsed = time.Since(start)
	pr.done(st)
	return st, nil
}

// run generates in one goroutine while writing in this one, so that on two
// cores generating the next chunk costs no time. Three chunks circulate
// between the two.
func run(ctx context.Context, g *gen, w *writer, pr *progress) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan *chunk, 2)
	free := make(chan *chunk, 3)
	for range 3 {
		free <- new(chunk)
	}
	genErr := make(chan error, 1)
	go func() {
		defer close(full)
		defer func() {
			// The generator panics only on a broken invariant (stock
			// overdrawn); report it rather than crash the caller.
			if r := recover(); r != nil {
				genErr <- fmt.Errorf("%v", r)
			}
		}()
		genErr <- g.run(ctx, full, free)
	}()
	var werr error
	for c := range full {
		if werr == nil {
			if werr = w.write(ctx, c); werr != nil {
				cancel() // stop the generator; keep draining so it can exit
			} else {
				pr.chunk(c)
			}
		}
		c.reset()
		free <- c
	}
	gerr := <-genErr
	if werr != nil {
		return fmt.Errorf("seed: writing: %w", werr)
	}
	if gerr != nil {
		return fmt.Errorf("seed: generating: %w", gerr)
	}
	return nil
}

// fastSQLite relaxes durability on conn for the bulk load: a crash midway
// leaves a half-filled database either way, which is regenerated, not
// repaired. It returns a function that restores the settings store.Open
// chose.
func fastSQLite(ctx context.Context, conn *sql.Conn) (restore func(), err error) {
	for _, q := range []string{
		"PRAGMA synchronous = OFF",
		"PRAGMA cache_size = -262144", // 256 MiB keeps the indexes being filled in memory
		"PRAGMA temp_store = MEMORY",
		// Checkpoint every 64 MiB of WAL rather than every 4 MiB: pages
		// written by several transactions are copied back once.
		"PRAGMA wal_autocheckpoint = 16384",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("seed: %s: %w", q, err)
		}
	}
	return func() {
		// The connection goes back to the pool: restore what store.Open
		// set, with a fresh context since ctx may be cancelled by now.
		bg := context.Background()
		conn.ExecContext(bg, "PRAGMA synchronous = NORMAL")
		conn.ExecContext(bg, "PRAGMA cache_size = -2000")
		conn.ExecContext(bg, "PRAGMA temp_store = DEFAULT")
		conn.ExecContext(bg, "PRAGMA wal_autocheckpoint = 1000")
		conn.ExecContext(bg, "PRAGMA wal_checkpoint(TRUNCATE)")
	}, nil
}

// analyze refreshes the planner's statistics, which a bulk load leaves
// empty (SQLite) or stale.
func analyze(ctx context.Context, conn *sql.Conn, dialectName string, defs [numTables]tableDef) error {
	switch dialectName {
	case dialect.SQLite:
		// A sampled ANALYZE takes a second even at city scale.
		for _, q := range []string{"PRAGMA analysis_limit = 1000", "ANALYZE"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("seed: %s: %w", q, err)
			}
		}
	case dialect.MySQL:
		for _, d := range defs {
			rows, err := conn.QueryContext(ctx, "ANALYZE TABLE "+d.name)
			if err != nil {
				return fmt.Errorf("seed: analyzing %s: %w", d.name, err)
			}
			rows.Close()
		}
	}
	return nil
}

// progress reports to Options.Progress.
type progress struct {
	w         io.Writer
	start     time.Time
	last      time.Time
	lastPhase string
	rows      int
}

func newProgress(w io.Writer, start time.Time) *progress {
	return &progress{w: w, start: start, last: start}
}

func (p *progress) phase(name string) {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "seed: %-12s %s\n", name, time.Since(p.start).Round(time.Millisecond))
}

// chunk reports a written chunk: always the first of a phase and the last
// one, otherwise at most every two seconds, so that a city-scale run
// prints a few hundred lines, not thousands.
func (p *progress) chunk(c *chunk) {
	p.rows += c.total()
	if p.w == nil {
		return
	}
	now := time.Now()
	if c.phase == p.lastPhase && now.Sub(p.last) < 2*time.Second && !c.final {
		return
	}
	p.last, p.lastPhase = now, c.phase
	el := now.Sub(p.start)
	fmt.Fprintf(p.w, "seed: %-12s batches %9d  shipments %9d  readings %9d  shelf %9d  rows %10d  %7.0f rows/s  %s\n",
		c.phase, c.counts[tBatches], c.counts[tShipments], c.counts[tSensorReadings], c.counts[tShelfEvents],
		p.rows, float64(p.rows)/el.Seconds(), el.Round(time.Millisecond))
}

func (p *progress) done(s Stats) {
	if p.w == nil {
		return
	}
	fmt.Fprintf(p.w, "seed: done in %s: %d organisations, %d facilities, %d products, %d batches (%d inputs), "+
		"%d shipments (%d items, %d readings), %d shelf events, %d inspections (%d measurements), %d trace codes (%d scans), %d stocks; "+
		"widest batch %d reaches %d stores; %d faults\n",
		s.Elapsed.Round(time.Millisecond), s.Organizations, s.Facilities, s.Products, s.Batches, s.BatchInputs,
		s.Shipments, s.ShipmentItems, s.SensorReadings, s.ShelfEvents, s.Inspections, s.Measurements,
		s.TraceCodes, s.ScanEvents, s.Stocks, s.WidestBatchID, s.WidestStores, len(s.Faults))
}
