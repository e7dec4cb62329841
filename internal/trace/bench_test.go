package trace_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"suyuan/ent"
	"suyuan/ent/tracecode"
	"suyuan/internal/seed"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/trace"
)

// benchDB opens the database named by SUYUAN_BENCH_DB (for example a city
// data set made by "suyuan seed --scale city"), or generates the small data
// set in a temporary SQLite file.
func benchDB(b *testing.B) (*store.DB, *store.Counter) {
	b.Helper()
	ctx := context.Background()
	c := &store.Counter{}
	dsn := os.Getenv("SUYUAN_BENCH_DB")
	generate := dsn == ""
	if generate {
		dsn = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	}
	db, err := store.Open(ctx, dsn, store.WithCounter(c))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if generate {
		if err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := seed.Generate(ctx, db, seed.Options{Scale: seed.Small, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	return db, c
}

func sampleCodes(b *testing.B, db *store.DB, n int) []string {
	b.Helper()
	codes, err := db.Client.TraceCode.Query().Limit(n).Select(tracecode.FieldCode).Strings(tenancy.System(context.Background()))
	if err != nil || len(codes) == 0 {
		b.Fatalf("sampling codes: %v (%d)", err, len(codes))
	}
	return codes
}

// BenchmarkTrace compares the consumer's trace answered set-at-a-time with
// the same view assembled the naive way, a query per field and per node as
// field resolvers without loaders would. Both report statements per op.
func BenchmarkTrace(b *testing.B) {
	db, counter := benchDB(b)
	codes := sampleCodes(b, db, 2000)
	reader := trace.NewReader(db.Client, nil)
	// The naive variant reads through Ent as the server would, with its
	// privacy policies; the system context stands for a viewer who sees all.
	ctx := tenancy.System(context.Background())
	for _, bc := range []struct {
		name string
		fn   func(code string) error
	}{
		{"set-at-a-time", func(code string) error { _, err := reader.Trace(ctx, code); return err }},
		{"naive", func(code string) error { return naiveTrace(ctx, db.Client, code) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			counter.Reset()
			for b.Loop() {
				if err := bc.fn(codes[rng.IntN(len(codes))]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(counter.Count())/float64(b.N), "stmts/op")
		})
	}
}

// naiveTrace loads what trace.Reader.Trace shows, edge by edge.
func naiveTrace(ctx context.Context, c *ent.Client, code string) error {
	tc, err := c.TraceCode.Query().Where(tracecode.Code(code)).Only(ctx)
	if err != nil {
		return err
	}
	b, err := tc.QueryBatch().Only(ctx)
	if err != nil {
		return err
	}
	if _, err := b.QueryProduct().Only(ctx); err != nil {
		return err
	}
	if _, err := b.QueryProducer().Only(ctx); err != nil {
		return err
	}
	fac, err := b.QueryFacility().Only(ctx)
	if err != nil {
		return err
	}
	if _, err := fac.QueryOrganization().Only(ctx); err != nil {
		return err
	}
	ins, err := b.QueryInspections().All(ctx)
	if err != nil {
		return err
	}
	for _, in := range ins {
		if _, err := in.QueryLab().Only(ctx); err != nil {
			return err
		}
		if _, err := in.QueryMeasurements().All(ctx); err != nil {
			return err
		}
	}
	items, err := b.QueryShipmentItems().All(ctx)
	if err != nil {
		return err
	}
	for _, it := range items {
		s, err := it.QueryShipment().Only(ctx)
		if err != nil {
			return err
		}
		if _, err := s.QueryCarrier().Only(ctx); err != nil {
			return err
		}
		for _, q := range []*ent.FacilityQuery{s.QueryFromFacility(), s.QueryToFacility()} {
			f, err := q.Only(ctx)
			if err != nil {
				return err
			}
			if _, err := f.QueryOrganization().Only(ctx); err != nil {
				return err
			}
		}
		if _, err := s.QuerySensorReadings().All(ctx); err != nil {
			return err
		}
	}
	shelves, err := b.QueryShelfEvents().All(ctx)
	if err != nil {
		return err
	}
	for _, se := range shelves {
		f, err := se.QueryFacility().Only(ctx)
		if err != nil {
			return err
		}
		if _, err := f.QueryOrganization().Only(ctx); err != nil {
			return err
		}
	}
	level := []*ent.Batch{b}
	for range 3 {
		var next []*ent.Batch
		for _, n := range level {
			inputs, err := n.QueryInputs().All(ctx)
			if err != nil {
				return err
			}
			for _, in := range inputs {
				ib, err := in.QueryInput().Only(ctx)
				if err != nil {
					return err
				}
				if _, err := ib.QueryProduct().Only(ctx); err != nil {
					return err
				}
				if _, err := ib.QueryProducer().Only(ctx); err != nil {
					return err
				}
				next = append(next, ib)
			}
		}
		level = next
	}
	return nil
}

// BenchmarkLineage walks downstream from the lot that reached the most
// stores, and accounts for its recall.
func BenchmarkLineage(b *testing.B) {
	db, counter := benchDB(b)
	ctx := context.Background()
	reader := trace.NewReader(db.Client, nil)
	var id, stores int
	err := db.SQL.QueryRowContext(ctx, `SELECT si.batch_id, COUNT(DISTINCT s.to_facility_id) AS n
FROM shipment_items si JOIN shipments s ON s.id = si.shipment_id
GROUP BY si.batch_id ORDER BY n DESC LIMIT 1`).Scan(&id, &stores)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("widest lot %d reaches %d facilities directly", id, stores)
	lineage := func(depth int) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := reader.Lineage(ctx, id, trace.Downstream, depth)
			return err
		}
	}
	impact := func(ctx context.Context) error {
		_, err := reader.RecallImpact(ctx, id)
		return err
	}
	// "As the load tool asks" is what graph/selection.go omits for the
	// load tool's queries: each leg's destination by name, no facility's
	// organisation; "downstream-legs" is the walk compared with
	// PostGraphile, the legs alone.
	asked := trace.OmitColdChain | trace.OmitCarriers | trace.OmitOrigins | trace.OmitFacilityOrganizations | trace.OmitLegDetails
	for _, c := range []struct {
		name string
		omit trace.Omit
		run  func(context.Context) error
	}{
		{"lineage", 0, lineage(trace.DefaultMaxDepth)},
		{"lineage-as-load-tool-asks", asked, lineage(trace.DefaultMaxDepth)},
		{"downstream-legs", asked | trace.OmitShelfEvents, lineage(5)},
		{"recallImpact", 0, impact},
		{"recallImpact-as-load-tool-asks", trace.OmitFacilityOrganizations, impact},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := trace.Without(ctx, c.omit)
			counter.Reset()
			for b.Loop() {
				if err := c.run(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(counter.Count())/float64(b.N), "stmts/op")
		})
	}
}
