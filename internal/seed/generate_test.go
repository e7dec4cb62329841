package seed

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"suyuan/ent/privacy"
	"suyuan/internal/cnid"
	"suyuan/internal/gs1"
	"suyuan/internal/quantity"
	"suyuan/internal/store"
)

func TestGenerateSmall(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testGenerate(t, openSQLite(t)) })
	t.Run("mysql", func(t *testing.T) { testGenerate(t, openMySQL(t)) })
}

func testGenerate(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var progress strings.Builder
	st, err := Generate(ctx, db, Options{Scale: Small, Seed: 42, Progress: &progress})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	t.Logf("%+v", st)
	if !strings.Contains(progress.String(), "seed: done") {
		t.Errorf("progress has no final line:\n%s", progress.String())
	}

	t.Run("recording rules", func(t *testing.T) { checkRecordingRules(t, db) })

	t.Run("stats match rows", func(t *testing.T) {
		for _, c := range []struct {
			table string
			n     int
		}{
			{"organizations", st.Organizations}, {"facilities", st.Facilities}, {"products", st.Products},
			{"batches", st.Batches}, {"batch_inputs", st.BatchInputs}, {"shipments", st.Shipments},
			{"shipment_items", st.ShipmentItems}, {"sensor_readings", st.SensorReadings},
			{"shelf_events", st.ShelfEvents}, {"inspections", st.Inspections},
			{"measurements", st.Measurements}, {"trace_codes", st.TraceCodes}, {"scan_events", st.ScanEvents},
			{"stocks", st.Stocks},
		} {
			if got := count(t, db, "SELECT COUNT(*) FROM "+c.table); got != c.n {
				t.Errorf("%s has %d rows, Stats says %d", c.table, got, c.n)
			}
		}
	})

	t.Run("size", func(t *testing.T) {
		producers := count(t, db, "SELECT COUNT(*) FROM organizations WHERE kind IN ('PRODUCER', 'PROCESSOR')")
		for _, c := range []struct {
			what    string
			got, lo int
			hi      int
		}{
			{"producers", producers, 190, 210},
			{"batches", st.Batches, 2000, 2300},
			{"shipments", st.Shipments, 1400, 3000},
			{"shelf events", st.ShelfEvents, 2800, 6000},
		} {
			if c.got < c.lo || c.got > c.hi {
				t.Errorf("%d %s, want %d to %d", c.got, c.what, c.lo, c.hi)
			}
		}
		if r := float64(st.Inspections) / float64(st.Batches); r < 0.12 || r > 0.28 {
			t.Errorf("%.2f inspections per batch, want about 0.2", r)
		}
	})

	t.Run("stock", func(t *testing.T) { checkStock(t, db, nil) })
	t.Run("valid identifiers", func(t *testing.T) { checkIdentifiers(t, db) })
	t.Run("lineage", func(t *testing.T) { checkLineage(t, db) })

	t.Run("widest batch", func(t *testing.T) {
		if st.WidestBatchID == 0 {
			t.Fatal("no widest batch")
		}
		stores := count(t, db, `SELECT COUNT(DISTINCT s.to_facility_id) FROM shipment_items i
			JOIN shipments s ON s.id = i.shipment_id JOIN facilities f ON f.id = s.to_facility_id
			WHERE i.batch_id = ? AND s.status = 'DELIVERED' AND f.kind IN ('STORE', 'MARKET')`, st.WidestBatchID)
		if stores < 20 || stores != st.WidestStores {
			t.Errorf("widest batch reaches %d stores (Stats: %d), want at least 20", stores, st.WidestStores)
		}
	})

	t.Run("ID ranges", func(t *testing.T) {
		// Every table's IDs stay within one 1<<32 range, and rows created
		// afterwards through Ent land after ours in the same range.
		for _, d := range tables() {
			var lo, hi sql.NullInt64 // NULL for scan events, which there are none of without faults
			if err := db.SQL.QueryRowContext(ctx, "SELECT MIN(id), MAX(id) FROM "+d.name).Scan(&lo, &hi); err != nil {
				t.Fatalf("%s: %v", d.name, err)
			}
			if lo.Int64>>32 != hi.Int64>>32 {
				t.Errorf("%s IDs %d to %d span two ranges", d.name, lo.Int64, hi.Int64)
			}
		}
		pctx := privacy.DecisionContext(ctx, privacy.Allow)
		var maxBatch, maxOrg int
		db.SQL.QueryRowContext(ctx, "SELECT MAX(id) FROM batches").Scan(&maxBatch)
		db.SQL.QueryRowContext(ctx, "SELECT MAX(id) FROM organizations").Scan(&maxOrg)
		p, err := db.Client.Product.Query().First(pctx)
		if err != nil {
			t.Fatal(err)
		}
		f, err := db.Client.Facility.Query().First(pctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.Client.Batch.Create().SetProductID(p.ID).SetOrganizationID(p.OrganizationID).SetFacilityID(f.ID).
			SetLotCode("AFTER-SEED").SetProducedAt(time.Now()).SetQuantity(1).SetUnit(quantity.Kilogram).Save(pctx)
		if err != nil {
			t.Fatalf("creating a batch after Generate: %v", err)
		}
		if b.ID <= maxBatch || b.ID>>32 != maxBatch>>32 {
			t.Errorf("new batch got ID %d; generated ones end at %d", b.ID, maxBatch)
		}
		code, _ := demoCreditCode("91511802MAYDTEW01")
		o, err := db.Client.Organization.Create().SetName("测试").SetKind("LAB").SetCreditCode(code).SetRegionCode("511802").Save(pctx)
		if err != nil {
			t.Fatalf("creating an organisation after Generate: %v", err)
		}
		if o.ID <= maxOrg || o.ID>>32 != maxOrg>>32 {
			t.Errorf("new organisation got ID %d; generated ones end at %d", o.ID, maxOrg)
		}
	})

	t.Run("refuses a second run", func(t *testing.T) {
		if _, err := Generate(ctx, db, Options{Scale: Small, Seed: 42}); !errors.Is(err, ErrNotEmpty) {
			t.Errorf("second Generate: %v, want ErrNotEmpty", err)
		}
	})
}

func TestGenerateDeterministic(t *testing.T) {
	ctx := context.Background()
	sums := make([]string, 3)
	for i, seed := range []int64{7, 7, 8} {
		db := openSQLite(t)
		if _, err := Generate(ctx, db, Options{Scale: Small, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		sums[i] = checksum(t, db)
	}
	if sums[0] != sums[1] {
		t.Error("the same seed gave different data")
	}
	if sums[0] == sums[2] {
		t.Error("different seeds gave the same data")
	}
}

func TestGenerateUnknownScale(t *testing.T) {
	if _, err := Generate(context.Background(), openSQLite(t), Options{Scale: "town"}); err == nil {
		t.Error("Generate accepted an unknown scale")
	}
}

// checkIdentifiers validates every identifier with the validators the
// schema uses: raw SQL inserts bypass Ent's.
func checkIdentifiers(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	canonical := func(what, v string, parse func(string) (string, error)) {
		t.Helper()
		if got, err := parse(v); err != nil || got != v {
			t.Errorf("%s %q is not valid: %v", what, v, err)
		}
	}
	scan := func(query string, each func(vals []sql.NullString)) {
		t.Helper()
		rows, err := db.SQL.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			each(vals)
		}
	}
	seen := map[string]bool{}
	scan("SELECT credit_code, license_no, region_code, contact_phone, kind FROM organizations", func(v []sql.NullString) {
		canonical("credit code", v[0].String, cnid.CreditCode)
		if seen[v[0].String] {
			t.Errorf("credit code %s used twice", v[0].String)
		}
		seen[v[0].String] = true
		if v[1].Valid {
			canonical("licence", v[1].String, cnid.LicenseNo)
		}
		canonical("region", v[2].String, cnid.RegionCode)
		if v[3].Valid {
			canonical("phone", v[3].String, cnid.Phone)
		}
		if (v[4].String == "PROCESSOR") != v[1].Valid {
			t.Errorf("%s organisation with licence %v", v[4].String, v[1])
		}
	})
	scan("SELECT region_code, gln, name FROM facilities", func(v []sql.NullString) {
		canonical("region", v[0].String, cnid.RegionCode)
		if v[1].Valid {
			canonical("GLN", v[1].String, gs1.GLN)
		}
		if v[2].String == "" || len(v[2].String) > 200 {
			t.Errorf("facility name %q", v[2].String)
		}
	})
	scan("SELECT gtin, unit FROM products", func(v []sql.NullString) {
		if v[0].Valid {
			canonical("GTIN", v[0].String, gs1.GTIN)
		}
		if !quantity.Unit(v[1].String).Valid() {
			t.Errorf("product unit %q", v[1].String)
		}
	})
	lotCode := regexp.MustCompile(`^[A-Z0-9-]{1,20}$`) // within GS1 AI 10
	scan("SELECT lot_code FROM batches", func(v []sql.NullString) {
		if !lotCode.MatchString(v[0].String) {
			t.Errorf("lot code %q", v[0].String)
		}
	})
	scan("SELECT code FROM trace_codes", func(v []sql.NullString) {
		if n := len(v[0].String); n < 16 || n > 32 {
			t.Errorf("trace code %q", v[0].String)
		}
	})
	scan("SELECT vehicle_plate, reference_doc FROM shipments", func(v []sql.NullString) {
		if len(v[0].String) > 16 || len(v[1].String) > 64 {
			t.Errorf("shipment plate %q, document %q", v[0].String, v[1].String)
		}
	})
	if n := count(t, db, "SELECT COUNT(*) FROM sensor_readings WHERE temperature_c < -100 OR temperature_c > 100 OR humidity < 0 OR humidity > 100"); n > 0 {
		t.Errorf("%d sensor readings out of range", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM batches WHERE quantity <= 0"); n > 0 {
		t.Errorf("%d batches without a positive quantity", n)
	}
	for _, table := range []string{"batch_inputs", "shipment_items", "shelf_events"} {
		if n := count(t, db, "SELECT COUNT(*) FROM "+table+" WHERE quantity <= 0"); n > 0 {
			t.Errorf("%d %s without a positive quantity", n, table)
		}
	}
}

// checkLineage looks for what the forward and backward traces must cope
// with: chains four or more levels deep, inputs feeding several outputs
// and outputs made of several inputs.
func checkLineage(t *testing.T, db *store.DB) {
	t.Helper()
	rows, err := db.SQL.QueryContext(context.Background(), "SELECT output_id, input_id FROM batch_inputs")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[int64][]int64{}
	outputs := map[int64]int{}
	for rows.Next() {
		var o, i int64
		if err := rows.Scan(&o, &i); err != nil {
			t.Fatal(err)
		}
		inputs[o] = append(inputs[o], i)
		outputs[i]++
	}
	rows.Close()
	depth := map[int64]int{}
	var levels func(b int64) int
	levels = func(b int64) int {
		if d, ok := depth[b]; ok {
			return d
		}
		d := 1
		for _, in := range inputs[b] {
			d = max(d, 1+levels(in))
		}
		depth[b] = d
		return d
	}
	deepest, multiIn, multiOut := 0, 0, 0
	for b, ins := range inputs {
		deepest = max(deepest, levels(b))
		if len(ins) > 1 {
			multiIn++
		}
	}
	for _, n := range outputs {
		if n > 1 {
			multiOut++
		}
	}
	if deepest < 4 {
		t.Errorf("deepest lineage has %d levels, want at least 4", deepest)
	}
	if multiIn == 0 || multiOut == 0 {
		t.Errorf("%d outputs with several inputs, %d inputs with several outputs; want some of each", multiIn, multiOut)
	}
	t.Logf("lineage: %d levels at most; %d outputs with several inputs; %d inputs with several outputs", deepest, multiIn, multiOut)
}

// TestBumpSequence checks that a counter left behind rows inserted with
// explicit IDs is moved past them.
func TestBumpSequence(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	base, err := counter(ctx, conn, db.Dialect, "organizations")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	code, _ := demoCreditCode("91511802MAYDTEW02")
	if _, err := conn.ExecContext(ctx, `INSERT INTO organizations (id, created_at, updated_at, name, kind, credit_code, region_code, status)
		VALUES (?, ?, ?, 'x', 'LAB', ?, '511802', 'ACTIVE')`, base+1000, at, at, code); err != nil {
		t.Fatal(err)
	}
	// Put the counter back, as an engine that did not follow explicit IDs
	// would have left it.
	if _, err := conn.ExecContext(ctx, "UPDATE sqlite_sequence SET seq = ? WHERE name = 'organizations'", base-1); err != nil {
		t.Fatal(err)
	}
	if err := bumpSequence(ctx, conn, db.Dialect, "organizations", base+1000); err != nil {
		t.Fatal(err)
	}
	if next, err := counter(ctx, conn, db.Dialect, "organizations"); err != nil || next != base+1001 {
		t.Errorf("counter is %d (%v), want %d", next, err, base+1001)
	}
}
