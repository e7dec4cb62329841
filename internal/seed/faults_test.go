package seed

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"suyuan/internal/anomaly"
	"suyuan/internal/store"
)

func TestGenerateFaults(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testFaults(t, openSQLite(t)) })
	t.Run("mysql", func(t *testing.T) { testFaults(t, openMySQL(t)) })
}

func testFaults(t *testing.T, db *store.DB) {
	st, err := Generate(context.Background(), db, Options{Scale: Small, Seed: 1, Faults: true})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if !st.Anchor.Equal(Anchor()) {
		t.Errorf("Stats.Anchor %s, Anchor() %s", st.Anchor, Anchor())
	}

	// The faults break screening rules, not recording ones.
	t.Run("recording rules", func(t *testing.T) { checkRecordingRules(t, db) })

	t.Run("every fault, a few times", func(t *testing.T) {
		n := map[string]int{}
		for _, f := range st.Faults {
			n[f.Name]++
		}
		for _, name := range FaultNames() {
			if n[name] < 2 {
				t.Errorf("%d faults %s, want at least 2", n[name], name)
			}
		}
		if len(n) != len(FaultNames()) {
			t.Errorf("fault names %v, want %v", n, FaultNames())
		}
		t.Logf("%d faults: %v", len(st.Faults), n)
	})

	t.Run("subjects exist", func(t *testing.T) {
		tables := map[anomaly.SubjectType]string{
			anomaly.SubjectBatch: "batches", anomaly.SubjectShipment: "shipments", anomaly.SubjectTraceCode: "trace_codes",
		}
		seen := map[string]bool{}
		for _, f := range st.Faults {
			table, ok := tables[f.Subject.Type]
			if !ok {
				t.Errorf("%+v: unexpected subject type", f)
				continue
			}
			if count(t, db, "SELECT COUNT(*) FROM "+table+" WHERE id = ?", f.Subject.ID) != 1 {
				t.Errorf("%+v: no such row in %s", f, table)
			}
			k := fmt.Sprint(f.Name, f.Subject)
			if seen[k] {
				t.Errorf("%+v listed twice", f)
			}
			seen[k] = true
		}
	})

	t.Run("stats match rows", func(t *testing.T) {
		for _, c := range []struct {
			table string
			n     int
		}{
			{"batches", st.Batches}, {"shipments", st.Shipments}, {"sensor_readings", st.SensorReadings},
			{"shelf_events", st.ShelfEvents}, {"measurements", st.Measurements}, {"trace_codes", st.TraceCodes},
			{"scan_events", st.ScanEvents}, {"stocks", st.Stocks},
		} {
			if got := count(t, db, "SELECT COUNT(*) FROM "+c.table); got != c.n {
				t.Errorf("%s has %d rows, Stats says %d", c.table, got, c.n)
			}
		}
	})

	t.Run("stock", func(t *testing.T) {
		// Over-shelving and over-shipping break the balance of their lot,
		// and of no other.
		skip := map[int64]bool{}
		for _, f := range st.Faults {
			if f.Name == FaultOverShelving || f.Name == FaultOverShipping {
				skip[int64(f.Subject.ID)] = true
			}
		}
		checkStock(t, db, skip)
	})
	t.Run("valid identifiers", func(t *testing.T) { checkIdentifiers(t, db) })
	t.Run("lineage", func(t *testing.T) { checkLineage(t, db) })

	t.Run("scan counts", func(t *testing.T) {
		for _, q := range []string{
			"SELECT COUNT(*) FROM trace_codes c WHERE scan_count <> (SELECT COUNT(*) FROM scan_events s WHERE s.trace_code_id = c.id)",
			"SELECT COUNT(*) FROM batches b WHERE scan_count <> (SELECT COUNT(*) FROM scan_events s WHERE s.batch_id = b.id)",
			"SELECT COUNT(*) FROM scan_events s JOIN trace_codes c ON c.id = s.trace_code_id WHERE c.batch_id <> s.batch_id",
		} {
			if n := count(t, db, q); n > 0 {
				t.Errorf("%s: %d", q, n)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM scan_events WHERE scanned_at > ?", Anchor()); n > 0 {
			t.Errorf("%d scans after the anchor", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM trace_codes WHERE serial IS NOT NULL AND scan_count > 0"); n < 10 {
			t.Errorf("%d serialised codes were scanned, want more", n)
		}
	})

	t.Run("truth", func(t *testing.T) { checkTruth(t, db, st.Faults) })
}

// TestFaultsDeterministic checks that a seed gives the same faults and the
// same rows.
func TestFaultsDeterministic(t *testing.T) {
	var faults [2][]Fault
	var sums [2]string
	for i := range 2 {
		db := openSQLite(t)
		st, err := Generate(context.Background(), db, Options{Scale: Small, Seed: 3, Faults: true})
		if err != nil {
			t.Fatal(err)
		}
		faults[i], sums[i] = st.Faults, checksum(t, db)
	}
	if !reflect.DeepEqual(faults[0], faults[1]) {
		t.Error("the same seed gave different faults")
	}
	if sums[0] != sums[1] {
		t.Error("the same seed gave different data")
	}
}

// TestFaultsOffUnchanged checks that without Options.Faults nothing of
// the faults' machinery shows.
func TestFaultsOffUnchanged(t *testing.T) {
	db := openSQLite(t)
	st, err := Generate(context.Background(), db, Options{Scale: Small, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Faults) != 0 || st.ScanEvents != 0 || count(t, db, "SELECT COUNT(*) FROM scan_events") != 0 {
		t.Errorf("%d faults and %d scans without Options.Faults", len(st.Faults), st.ScanEvents)
	}
}

// pair is an alert: a kind of finding on a subject.
type pair struct {
	kind    anomaly.Kind
	subject anomaly.Subject
}

// checkTruth screens the data with a plain reading of each rule of
// docs/ANOMALIES.md and compares what it finds with the truth. It is a
// check of the generator, written independently of package anomaly: the
// statistical rules are read both ways their 90-day window can be read
// (before the anchor, or before the value judged), and must agree.
func checkTruth(t *testing.T, db *store.DB, faults []Fault) {
	t.Helper()
	want := map[pair]string{}
	for _, f := range faults {
		for _, k := range f.Expect {
			want[pair{k, f.Subject}] = f.Name
		}
	}
	found := screen(t, db)
	for _, window := range []string{"anchor", "value"} {
		got := map[pair]bool{}
		for p := range found["all"] {
			got[p] = true
		}
		for p := range found[window] {
			got[p] = true
		}
		for p, name := range want {
			if !got[p] {
				t.Errorf("%s window: %s on %s %d (%s) not found", window, p.kind, p.subject.Type, p.subject.ID, name)
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				t.Errorf("%s window: %s on %s %d found, not in the truth", window, p.kind, p.subject.Type, p.subject.ID)
			}
		}
	}
	perKind := map[anomaly.Kind]int{}
	for p := range want {
		perKind[p.kind]++
	}
	t.Logf("truth: %d alerts %v", len(want), perKind)
}

type timed struct {
	id  int64
	at  time.Time
	val float64
}

// modZ is the modified z-score of x among vals, as ANOMALIES.md defines
// it; ok is false when no value can be an outlier.
func modZ(vals []float64, x float64) (z float64, ok bool) {
	med := median(vals)
	dev := make([]float64, len(vals))
	sum := 0.0
	for i, v := range vals {
		dev[i] = math.Abs(v - med)
		sum += dev[i]
	}
	mad := median(dev)
	if mad == 0 {
		mad = sum / float64(len(vals)) * 1.2533
	}
	if mad == 0 {
		return 0, false
	}
	return 0.6745 * (x - med) / mad, true
}

func median(vals []float64) float64 {
	s := slices.Clone(vals)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// outliers judges each group's values in both windows: found["anchor"]
// gets the subjects of values that are outliers among the values of the
// 90 days before the anchor, found["value"] those that are outliers among
// the 90 days before themselves. It returns the highest score of a value
// that is not one.
func outliers(groups map[string][]timed, minN int, slowOnly bool, subject func(id int64) anomaly.Subject, kind anomaly.Kind, found map[string]map[pair]bool) float64 {
	anchor := Anchor()
	highest := 0.0
	judge := func(window string, sample []timed, x timed) {
		if len(sample) < minN {
			return
		}
		vals := make([]float64, len(sample))
		for i, s := range sample {
			vals[i] = s.val
		}
		z, ok := modZ(vals, x.val)
		if !slowOnly {
			z = math.Abs(z)
		}
		if ok && z > 3.5 {
			found[window][pair{kind, subject(x.id)}] = true
		} else {
			highest = max(highest, z)
		}
	}
	for _, g := range groups {
		sort.Slice(g, func(i, j int) bool { return g[i].at.Before(g[j].at) })
		var recent []timed
		for _, v := range g {
			if !v.at.Before(anchor.Add(-statsWindow)) {
				recent = append(recent, v)
			}
		}
		for _, v := range recent {
			judge("anchor", recent, v)
		}
		for i, v := range g {
			j := i
			for j > 0 && !g[j-1].at.Before(v.at.Add(-statsWindow)) {
				j--
			}
			judge("value", g[j:i+1], v)
		}
	}
	return highest
}

// screen finds the alerts of every rule: found["all"] those that do not
// depend on a window's reading.
func screen(t *testing.T, db *store.DB) map[string]map[pair]bool {
	t.Helper()
	anchor := Anchor()
	found := map[string]map[pair]bool{"all": {}, "anchor": {}, "value": {}}
	add := func(k anomaly.Kind, typ anomaly.SubjectType, id int64) {
		found["all"][pair{k, anomaly.Subject{Type: typ, ID: int(id)}}] = true
	}
	each := func(query string, f func(scan func(...any))) {
		t.Helper()
		rows, err := db.SQL.QueryContext(context.Background(), query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			f(func(dest ...any) {
				if err := rows.Scan(dest...); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			})
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}

	// Cold chain. A trip's range is its items' (they share it); its
	// sustained time is judged with the strictest and the loosest
	// category on it, which must agree.
	type trip struct {
		tr         tempRange
		sMin, sMax time.Duration
		readings   []reading
		batches    []int64
	}
	trips := map[int64]*trip{}
	each(`SELECT i.shipment_id, i.batch_id, p.storage_min_c, p.storage_max_c, p.category
		FROM shipment_items i JOIN batches b ON b.id = i.batch_id JOIN products p ON p.id = b.product_id`, func(scan func(...any)) {
		var sid, bid int64
		var lo, hi sql.NullFloat64
		var cat string
		scan(&sid, &bid, &lo, &hi, &cat)
		tr := tempRange{min: lo.Float64, max: hi.Float64, hasMin: lo.Valid, hasMax: hi.Valid}
		s, _ := coldLimits(cat)
		tp := trips[sid]
		if tp == nil {
			tp = &trip{tr: tr, sMin: s, sMax: s}
			trips[sid] = tp
		}
		if tp.tr != tr {
			t.Errorf("shipment %d carries goods of different ranges", sid)
		}
		tp.sMin, tp.sMax = min(tp.sMin, s), max(tp.sMax, s)
		tp.batches = append(tp.batches, bid)
	})
	each(`SELECT shipment_id, recorded_at, temperature_c FROM sensor_readings ORDER BY shipment_id, recorded_at`, func(scan func(...any)) {
		var sid int64
		var rd reading
		scan(&sid, &rd.at, &rd.c)
		trips[sid].readings = append(trips[sid].readings, rd)
	})
	excursion := map[int64]time.Duration{}
	ranged := map[int64]tempRange{}
	for sid, tp := range trips {
		rs := tp.readings
		if len(rs) >= 4 {
			steps := make([]time.Duration, len(rs)-1)
			for i := range steps {
				steps[i] = rs[i+1].at.Sub(rs[i].at)
			}
			med := time.Duration(median(func() []float64 {
				f := make([]float64, len(steps))
				for i, s := range steps {
					f[i] = float64(s)
				}
				return f
			}()))
			for _, s := range steps {
				if s > 3*med && s >= minGap {
					if !tp.tr.hasMax && !tp.tr.hasMin {
						t.Errorf("shipment %d without a range has a logging gap", sid)
					}
					add(anomaly.LoggingGap, anomaly.SubjectShipment, sid)
				}
			}
		}
		if !tp.tr.hasMax && !tp.tr.hasMin {
			continue
		}
		var total time.Duration
		for i := 0; i < len(rs); i++ {
			if outside(rs[i].c, tp.tr) > hardMargin {
				add(anomaly.TemperatureOutOfRange, anomaly.SubjectShipment, sid)
			}
			if outside(rs[i].c, tp.tr) == 0 {
				continue
			}
			j := i
			for j+1 < len(rs) && outside(rs[j+1].c, tp.tr) > 0 {
				if outside(rs[j+1].c, tp.tr) > hardMargin {
					add(anomaly.TemperatureOutOfRange, anomaly.SubjectShipment, sid)
				}
				j++
			}
			d := rs[j].at.Sub(rs[i].at)
			if (d >= tp.sMin) != (d >= tp.sMax) {
				t.Errorf("shipment %d: an excursion of %v is sustained for some of its goods only", sid, d)
			}
			if d >= tp.sMin {
				add(anomaly.SustainedExcursion, anomaly.SubjectShipment, sid)
			}
			total += d
			i = j
		}
		for _, b := range tp.batches {
			excursion[b] += total
			ranged[b] = tp.tr
		}
	}
	each(`SELECT b.id, p.category FROM batches b JOIN products p ON p.id = b.product_id`, func(scan func(...any)) {
		var id int64
		var cat string
		scan(&id, &cat)
		if _, budget := coldLimits(cat); excursion[id] > budget {
			add(anomaly.CumulativeExcursion, anomaly.SubjectBatch, id)
		}
	})

	// Inspections.
	tvbn := map[string][]timed{}
	highest := 0.0
	each(`SELECT i.result, b.id, b.product_id, i.inspected_at, m.name, m.value, m.limit_min, m.limit_max
		FROM measurements m JOIN inspections i ON i.id = m.inspection_id JOIN batches b ON b.id = i.batch_id`, func(scan func(...any)) {
		var result, name string
		var bid, pid int64
		var at time.Time
		var v float64
		var lo, hi sql.NullFloat64
		scan(&result, &bid, &pid, &at, &name, &v, &lo, &hi)
		if result == "FAIL" {
			add(anomaly.InspectionFailed, anomaly.SubjectBatch, bid)
		}
		if !hi.Valid && name == "TVB-N" {
			hi = sql.NullFloat64{Float64: 15, Valid: true}
		}
		if (hi.Valid && v > hi.Float64) || (lo.Valid && v < lo.Float64) {
			add(anomaly.OverLegalLimit, anomaly.SubjectBatch, bid)
		}
		k := fmt.Sprint(pid, name)
		tvbn[k] = append(tvbn[k], timed{bid, at, v})
	})
	batch := func(id int64) anomaly.Subject { return anomaly.Subject{Type: anomaly.SubjectBatch, ID: int(id)} }
	highest = outliers(tvbn, minSample, false, batch, anomaly.MeasurementOutlier, found)
	t.Logf("highest score of a measurement that is no outlier: %.2f", highest)

	// Transit times.
	routes := map[string][]timed{}
	each(`SELECT id, from_facility_id, to_facility_id, departed_at, arrived_at FROM shipments WHERE status = 'DELIVERED'`, func(scan func(...any)) {
		var id, from, to int64
		var dep, arr time.Time
		scan(&id, &from, &to, &dep, &arr)
		k := fmt.Sprint(from, to)
		routes[k] = append(routes[k], timed{id, dep, arr.Sub(dep).Hours()})
	})
	shipment := func(id int64) anomaly.Subject { return anomaly.Subject{Type: anomaly.SubjectShipment, ID: int(id)} }
	highest = outliers(routes, minTrips, true, shipment, anomaly.TransitOutlier, found)
	t.Logf("highest score of a trip that is no outlier: %.2f", highest)

	// Mass balance, in thousandths of the batch's unit.
	type key struct{ batch, fac int64 }
	in, out, shelved := map[key]int64{}, map[key]int64{}, map[key]int64{}
	sum := func(m map[key]int64, query string) {
		each(query, func(scan func(...any)) {
			var k key
			var q float64
			scan(&k.batch, &k.fac, &q)
			m[k] += toMilli(q)
		})
	}
	sum(in, "SELECT id, facility_id, quantity FROM batches")
	sum(in, "SELECT i.batch_id, s.to_facility_id, i.quantity FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id WHERE s.status = 'DELIVERED'")
	sum(out, "SELECT i.batch_id, s.from_facility_id, i.quantity FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id WHERE s.status IN ('IN_TRANSIT', 'DELIVERED')")
	sum(shelved, "SELECT batch_id, facility_id, quantity FROM shelf_events")
	for k, q := range out {
		if q > in[k] {
			add(anomaly.OverShipped, anomaly.SubjectBatch, k.batch)
		}
	}
	for k, q := range shelved {
		if q > in[k] {
			add(anomaly.OverShelved, anomaly.SubjectBatch, k.batch)
		}
	}

	// Expiry.
	each(`SELECT s.batch_id, b.expires_at FROM shelf_events s JOIN batches b ON b.id = s.batch_id
		WHERE s.removed_at IS NULL AND b.expires_at IS NOT NULL`, func(scan func(...any)) {
		var id int64
		var exp time.Time
		scan(&id, &exp)
		if exp.Before(anchor) {
			add(anomaly.ExpiredOnShelf, anomaly.SubjectBatch, id)
		}
	})

	// Scans of serialised codes.
	type scanned struct {
		at     time.Time
		region string
	}
	scans := map[int64][]scanned{}
	each(`SELECT s.trace_code_id, s.scanned_at, s.region_code FROM scan_events s JOIN trace_codes c ON c.id = s.trace_code_id
		WHERE c.serial IS NOT NULL ORDER BY s.trace_code_id, s.scanned_at`, func(scan func(...any)) {
		var id int64
		var s scanned
		scan(&id, &s.at, &s.region)
		scans[id] = append(scans[id], s)
	})
	for id, ss := range scans {
		for i, s := range ss {
			n := 0
			for _, o := range ss[i:] {
				if o.at.Sub(s.at) <= 7*24*time.Hour {
					n++
				}
				if o.at.Sub(s.at) <= 24*time.Hour && o.region[:2] != s.region[:2] {
					add(anomaly.ScanSpread, anomaly.SubjectTraceCode, id)
				}
			}
			if n > burstScans {
				add(anomaly.ScanBurst, anomaly.SubjectTraceCode, id)
			}
		}
	}
	return found
}

// TestFaultsReport logs, for a seed, how many faults of each name there
// are and what they expect; run it with -v.
func TestFaultsReport(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	db := openSQLite(t)
	st, err := Generate(context.Background(), db, Options{Scale: Small, Seed: 1, Faults: true})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, expect string
		subject      anomaly.SubjectType
	}
	n := map[row]int{}
	for _, f := range st.Faults {
		var ks []string
		for _, k := range f.Expect {
			ks = append(ks, string(k))
		}
		n[row{f.Name, strings.Join(ks, " "), f.Subject.Type}]++
	}
	var rows []row
	for r := range n {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.subject, b.subject)) })
	for _, r := range rows {
		t.Logf("%-20s %-10s %3d  %s", r.name, r.subject, n[r], r.expect)
	}
}
