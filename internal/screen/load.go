package screen

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"suyuan/internal/anomaly"
	"suyuan/internal/quantity"
)

// The loaders read, set at a time with plain SQL that SQLite and MySQL
// both understand, the rows each rule needs. Each takes the period being
// screened: rows recorded from since (the zero time: all of history) up
// to now.

// trip is one shipment's readings and the storage ranges of what it
// carried.
type trip struct {
	id       int
	readings []anomaly.Reading
	products []productRange
}

type productRange struct {
	id       int
	category string
	r        anomaly.Range
}

// batchLeg puts a batch on a trip.
type batchLeg struct {
	batch, shipment int
	product         productRange
}

// recentBatches selects the batches on trips that departed or arrived
// since a time, or are under way (a long haul that left before the window
// is judged until it arrives), and those on trips that were received, or
// had readings received, since a second time, whatever their event times.
const recentBatches = `(
	SELECT si2.batch_id FROM shipment_items si2 JOIN shipments s ON s.id = si2.shipment_id
	WHERE s.departed_at >= ? OR s.arrived_at >= ? OR s.status = 'IN_TRANSIT' OR s.received_at >= ?
		OR s.id IN (SELECT rr.shipment_id FROM sensor_readings rr WHERE rr.received_at >= ?))`

// coldChain loads the trips of recentBatches, every other trip of those
// batches, and their readings.
func coldChain(ctx context.Context, db *sql.DB, since, received time.Time) (map[int]*trip, []batchLeg, error) {
	legs, err := query(ctx, db, `
		SELECT si.batch_id, si.shipment_id, p.id, p.category, p.storage_min_c, p.storage_max_c
		FROM shipment_items si
		JOIN batches b ON b.id = si.batch_id
		JOIN products p ON p.id = b.product_id
		WHERE si.batch_id IN `+recentBatches+`
		ORDER BY si.batch_id, si.shipment_id`,
		[]any{since, since, received, received},
		func(rows *sql.Rows) (batchLeg, error) {
			var l batchLeg
			var lo, hi sql.NullFloat64
			err := rows.Scan(&l.batch, &l.shipment, &l.product.id, &l.product.category, &lo, &hi)
			l.product.r = anomaly.Range{Min: ptr(lo), Max: ptr(hi)}
			return l, err
		})
	if err != nil {
		return nil, nil, fmt.Errorf("loading trips: %w", err)
	}
	trips := map[int]*trip{}
	for _, l := range legs {
		t := trips[l.shipment]
		if t == nil {
			t = &trip{id: l.shipment}
			trips[l.shipment] = t
		}
		if !hasProduct(t.products, l.product.id) {
			t.products = append(t.products, l.product)
		}
	}
	_, err = query(ctx, db, `
		SELECT r.shipment_id, r.recorded_at, r.temperature_c
		FROM sensor_readings r
		WHERE r.shipment_id IN (
			SELECT si.shipment_id FROM shipment_items si WHERE si.batch_id IN `+recentBatches+`)
		ORDER BY r.shipment_id, r.recorded_at`,
		[]any{since, since, received, received},
		func(rows *sql.Rows) (struct{}, error) {
			var id int
			var rd anomaly.Reading
			if err := rows.Scan(&id, &rd.At, &rd.Celsius); err != nil {
				return struct{}{}, err
			}
			if t := trips[id]; t != nil {
				t.readings = append(t.readings, rd)
			}
			return struct{}{}, nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("loading readings: %w", err)
	}
	return trips, legs, nil
}

func hasProduct(ps []productRange, id int) bool {
	for _, p := range ps {
		if p.id == id {
			return true
		}
	}
	return false
}

// transit is one delivered shipment's time on the road.
type transit struct {
	id, from, to      int
	departed, arrived time.Time
	// late: the shipment was received (recorded) from the received time on.
	late bool
}

// transits loads delivered shipments that arrived within the outlier
// window before now.
func transits(ctx context.Context, db *sql.DB, from, now, received time.Time) ([]transit, error) {
	return query(ctx, db, `
		SELECT id, from_facility_id, to_facility_id, departed_at, arrived_at,
			CASE WHEN received_at >= ? THEN 1 ELSE 0 END
		FROM shipments
		WHERE status = 'DELIVERED' AND departed_at IS NOT NULL AND arrived_at >= ? AND arrived_at <= ?
		ORDER BY id`,
		[]any{received, from, now},
		func(rows *sql.Rows) (transit, error) {
			var t transit
			var late int
			err := rows.Scan(&t.id, &t.from, &t.to, &t.departed, &t.arrived, &late)
			t.late = late == 1
			return t, err
		})
}

// measured is one measurement of one inspection.
type measured struct {
	inspection, batch, product int
	at                         time.Time
	failed                     bool
	// late: the inspection was received (recorded) from the received time on.
	late bool
	m    anomaly.Measurement
}

// measurements loads inspections made from from to now, and those
// received from received on whenever they were made, with their
// measurements (an inspection without any yields one row with an empty
// name).
func measurements(ctx context.Context, db *sql.DB, from, now, received time.Time) ([]measured, error) {
	return query(ctx, db, `
		SELECT i.id, i.batch_id, b.product_id, i.inspected_at, i.result,
			CASE WHEN i.received_at >= ? THEN 1 ELSE 0 END,
			COALESCE(m.name, ''), COALESCE(m.value, 0), COALESCE(m.unit, ''), m.limit_min, m.limit_max
		FROM inspections i
		JOIN batches b ON b.id = i.batch_id
		LEFT JOIN measurements m ON m.inspection_id = i.id
		WHERE (i.inspected_at >= ? AND i.inspected_at <= ?) OR i.received_at >= ?
		ORDER BY i.id, m.id`,
		[]any{received, from, now, received},
		func(rows *sql.Rows) (measured, error) {
			var x measured
			var result string
			var late int
			var lo, hi sql.NullFloat64
			err := rows.Scan(&x.inspection, &x.batch, &x.product, &x.at, &result, &late,
				&x.m.Name, &x.m.Value, &x.m.Unit, &lo, &hi)
			x.failed, x.late = result == "FAIL", late == 1
			x.m.LimitMin, x.m.LimitMax = ptr(lo), ptr(hi)
			return x, err
		})
}

// flow is a quantity of a batch moving at a facility, in the batch's
// unit.
type flow struct {
	batch, facility int
	milli           int64
}

// balanceKey is one batch at one facility.
type balanceKey struct{ batch, facility int }

// balances are the mass-balance terms of the batches touched since since:
// produced and received at each facility, shipped out and shelved there.
type balances struct {
	produced, received, shipped, shelved map[balanceKey]int64
	units                                map[int]quantity.Unit
	at                                   map[balanceKey]time.Time
}

// touched selects the batches with a shipment departed or a shelf event
// since a time, or a shipment or shelf event received since a second time.
const touched = `(
	SELECT si.batch_id FROM shipment_items si JOIN shipments s ON s.id = si.shipment_id WHERE s.departed_at >= ? OR s.received_at >= ?
	UNION SELECT e.batch_id FROM shelf_events e WHERE e.shelved_at >= ? OR e.received_at >= ?)`

func massBalance(ctx context.Context, db *sql.DB, since, received time.Time) (*balances, error) {
	b := &balances{
		produced: map[balanceKey]int64{}, received: map[balanceKey]int64{},
		shipped: map[balanceKey]int64{}, shelved: map[balanceKey]int64{},
		units: map[int]quantity.Unit{}, at: map[balanceKey]time.Time{},
	}
	type row struct {
		batch, facility int
		amount          float64
		unit            quantity.Unit
		at              time.Time
	}
	scan := func(rows *sql.Rows) (row, error) {
		var r row
		err := rows.Scan(&r.batch, &r.facility, &r.amount, &r.unit, &r.at)
		return r, err
	}
	args := []any{since, received, since, received}
	produced, err := query(ctx, db, `SELECT id, facility_id, quantity, unit, produced_at FROM batches WHERE id IN `+touched, args, scan)
	if err != nil {
		return nil, fmt.Errorf("loading batches: %w", err)
	}
	for _, r := range produced {
		b.units[r.batch] = r.unit
	}
	add := func(into map[balanceKey]int64, rows []row) error {
		for _, r := range rows {
			unit, ok := b.units[r.batch]
			if !ok {
				continue
			}
			m, err := quantity.ToMilli(r.amount, r.unit, unit)
			if err != nil {
				return err
			}
			k := balanceKey{r.batch, r.facility}
			into[k] += int64(m)
			if r.at.After(b.at[k]) {
				b.at[k] = r.at
			}
		}
		return nil
	}
	if err := add(b.produced, produced); err != nil {
		return nil, err
	}
	for _, q := range []struct {
		into  map[balanceKey]int64
		query string
	}{
		{b.received, `SELECT si.batch_id, s.to_facility_id, si.quantity, si.unit, s.arrived_at
			FROM shipment_items si JOIN shipments s ON s.id = si.shipment_id
			WHERE s.status = 'DELIVERED' AND si.batch_id IN ` + touched},
		{b.shipped, `SELECT si.batch_id, s.from_facility_id, si.quantity, si.unit, s.departed_at
			FROM shipment_items si JOIN shipments s ON s.id = si.shipment_id
			WHERE s.status IN ('IN_TRANSIT', 'DELIVERED') AND si.batch_id IN ` + touched},
		{b.shelved, `SELECT e.batch_id, e.facility_id, e.quantity, e.unit, e.shelved_at
			FROM shelf_events e WHERE e.batch_id IN ` + touched},
	} {
		rows, err := query(ctx, db, q.query, args, scan)
		if err != nil {
			return nil, fmt.Errorf("loading quantities: %w", err)
		}
		if err := add(q.into, rows); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// shelvedExpired loads shelf events still on a shelf whose batch expired
// before now.
func shelvedExpired(ctx context.Context, db *sql.DB, now time.Time) ([]anomaly.Shelved, error) {
	return query(ctx, db, `
		SELECT e.batch_id, e.facility_id, e.quantity, e.unit, e.shelved_at, b.expires_at, b.unit
		FROM shelf_events e JOIN batches b ON b.id = e.batch_id
		WHERE e.removed_at IS NULL AND b.expires_at < ?
		ORDER BY e.batch_id, e.facility_id, e.id`,
		[]any{now},
		func(rows *sql.Rows) (anomaly.Shelved, error) {
			var s anomaly.Shelved
			var amount float64
			var unit, batchUnit quantity.Unit
			if err := rows.Scan(&s.Batch.ID, &s.FacilityID, &amount, &unit, &s.ShelvedAt, &s.ExpiresAt, &batchUnit); err != nil {
				return s, err
			}
			s.Batch.Type = anomaly.SubjectBatch
			m, err := quantity.ToMilli(amount, unit, batchUnit)
			s.Milli, s.Unit = int64(m), string(batchUnit)
			return s, err
		})
}

// codeScans are the scans of one serialised code.
type codeScans struct {
	code  int
	scans []anomaly.Scan
}

// scans loads the scans of serialised codes from from on.
func scans(ctx context.Context, db *sql.DB, from time.Time) ([]codeScans, error) {
	var out []codeScans
	_, err := query(ctx, db, `
		SELECT s.trace_code_id, s.scanned_at, s.region_code
		FROM scan_events s JOIN trace_codes c ON c.id = s.trace_code_id
		WHERE c.serial IS NOT NULL AND s.scanned_at >= ?
		ORDER BY s.trace_code_id, s.scanned_at`,
		[]any{from},
		func(rows *sql.Rows) (struct{}, error) {
			var id int
			var sc anomaly.Scan
			if err := rows.Scan(&id, &sc.At, &sc.Region); err != nil {
				return struct{}{}, err
			}
			if len(out) == 0 || out[len(out)-1].code != id {
				out = append(out, codeScans{code: id})
			}
			out[len(out)-1].scans = append(out[len(out)-1].scans, sc)
			return struct{}{}, nil
		})
	return out, err
}

// query runs q and scans each row with scan.
func query[T any](ctx context.Context, db *sql.DB, q string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	// Times are stored in UTC. SQLite compares them as text, so an
	// argument in another zone would shift the window by its offset.
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UTC()
		}
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func ptr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}
