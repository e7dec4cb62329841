package trace

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"

	"suyuan/ent/alert"
	"suyuan/internal/anomaly"
	"suyuan/internal/errcode"
)

// legQuery reads every shipment leg of a set of batches in one statement:
// item and shipment, and of the shipment's details (status, plate,
// document, times), its carrier, both facilities with their organisations
// and the product's category and storage range (for the cold chain) what
// the caller does not omit. The few combinations that occur are each a
// text of their own, prepared once per connection. Planned legs (not
// departed) come last.
func legQuery(list string, o Omit) string {
	var cols, joins strings.Builder
	cols.WriteString("SELECT si.batch_id, si.quantity, si.unit, s.id")
	if !o.has(OmitLegDetails) {
		cols.WriteString(", s.status, s.vehicle_plate, s.reference_doc, s.departed_at, s.arrived_at")
	}
	joins.WriteString(`
FROM shipment_items si
JOIN shipments s ON s.id = si.shipment_id`)
	if !o.has(OmitCarriers) {
		cols.WriteString(", " + orgColumns("c"))
		joins.WriteString("\nJOIN organizations c ON c.id = s.carrier_id")
	}
	for _, f := range []struct {
		omit       Omit
		alias, org string
		column     string
	}{{OmitOrigins, "ff", "ffo", "from_facility_id"}, {OmitDestinations, "tf", "tfo", "to_facility_id"}} {
		if o.has(f.omit) {
			continue
		}
		cols.WriteString(", " + facilityColumns(f.alias, f.org, o))
		joins.WriteString("\nJOIN facilities " + f.alias + " ON " + f.alias + ".id = s." + f.column + facilityJoin(f.alias, f.org, o))
	}
	if !o.has(OmitColdChain) {
		cols.WriteString(", p.category, p.storage_min_c, p.storage_max_c")
		joins.WriteString("\nJOIN batches b ON b.id = si.batch_id\nJOIN products p ON p.id = b.product_id")
	}
	return cols.String() + joins.String() + `
WHERE si.batch_id IN ` + list + `
ORDER BY si.batch_id, s.departed_at IS NULL, s.departed_at, s.id`
}

// readingQuery reads the temperature readings of every trip of a set of
// batches in one statement.
func readingQuery(list string) string {
	return `SELECT shipment_id, recorded_at, temperature_c FROM sensor_readings
WHERE shipment_id IN (SELECT shipment_id FROM shipment_items WHERE batch_id IN ` + list + `)
ORDER BY shipment_id, recorded_at`
}

// Journeys returns the shipment legs of each batch, in order of departure
// (planned shipments last), keyed by batch id, each with its cold-chain
// verdict, in two statements (one when the cold chain is omitted).
func (r *Reader) Journeys(ctx context.Context, batchIDs []int) (map[int][]Leg, error) {
	out := make(map[int][]Leg, len(batchIDs))
	if len(batchIDs) == 0 {
		return out, nil
	}
	list, args := in(unique(batchIDs))
	o := omitted(ctx)
	categories := map[int]string{}
	err := r.query(ctx, legQuery(list, o), args, func(rows *sql.Rows) error {
		var (
			l                 Leg
			departed, arrived timeValue
			cc                = &l.ColdChain
			category          string
		)
		dest := []any{&l.BatchID, &l.Quantity, &l.Unit, &l.ShipmentID}
		if !o.has(OmitLegDetails) {
			dest = append(dest, &l.Status, &l.VehiclePlate, &l.ReferenceDoc, &departed, &arrived)
		}
		if !o.has(OmitCarriers) {
			dest = append(dest, l.Carrier.dest()...)
		}
		if !o.has(OmitOrigins) {
			dest = append(dest, l.From.dest(o)...)
		}
		if !o.has(OmitDestinations) {
			dest = append(dest, l.To.dest(o)...)
		}
		if !o.has(OmitColdChain) {
			dest = append(dest, &category, &cc.RequiredMinC, &cc.RequiredMaxC)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		categories[l.BatchID] = category
		l.DepartedAt, l.ArrivedAt = departed.ptr(), arrived.ptr()
		out[l.BatchID] = append(out[l.BatchID], l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading journeys: %w", err)
	}
	if len(out) == 0 || o.has(OmitColdChain) {
		return out, nil
	}
	readings := map[int][]anomaly.Reading{}
	err = r.query(ctx, readingQuery(list), args, func(rows *sql.Rows) error {
		var (
			id int
			at timeValue
			c  float64
		)
		if err := rows.Scan(&id, &at, &c); err != nil {
			return err
		}
		readings[id] = append(readings[id], anomaly.Reading{At: at.T, Celsius: c})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading readings: %w", err)
	}
	for id, legs := range out {
		judge(legs, readings, r.rules.ColdChainFor(categories[id]))
	}
	return out, nil
}

// judge sets the cold-chain summary and verdict of a batch's legs from
// their trips' readings, by the screener's rules (anomaly.JudgeJourney):
// a leg is an EXCURSION only when a rule that raises an alert fires on
// it, not for a door opened at a stop.
func judge(legs []Leg, readings map[int][]anomaly.Reading, p anomaly.ColdChainParams) {
	if len(legs) == 0 {
		return
	}
	cc := legs[0].ColdChain
	rng := anomaly.Range{Min: cc.RequiredMinC, Max: cc.RequiredMaxC}
	trips := make([][]anomaly.Reading, len(legs))
	for i, l := range legs {
		trips[i] = readings[l.ShipmentID]
	}
	verdicts := anomaly.JudgeJourney(trips, rng, p)
	for i := range legs {
		c := &legs[i].ColdChain
		c.Readings = len(trips[i])
		if len(trips[i]) > 0 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, rd := range trips[i] {
				lo, hi = min(lo, rd.Celsius), max(hi, rd.Celsius)
			}
			lo, hi = anomaly.Round1(lo), anomaly.Round1(hi)
			c.MinC, c.MaxC = &lo, &hi
		}
		for _, t := range []**float64{&c.RequiredMinC, &c.RequiredMaxC} {
			if *t != nil {
				v := anomaly.Round1(**t)
				*t = &v
			}
		}
		c.MinutesOutOfRange = math.Round(verdicts[i].OutOfRange.Minutes())
		c.Breaches = []alert.Kind{}
		for _, k := range verdicts[i].Kinds {
			c.Breaches = append(c.Breaches, alert.Kind(k))
		}
		switch {
		case c.RequiredMinC == nil && c.RequiredMaxC == nil:
			c.Verdict = ColdChainNotRequired
		case c.Readings == 0:
			c.Verdict = ColdChainNoData
		case verdicts[i].Breached():
			c.Verdict = ColdChainExcursion
		default:
			c.Verdict = ColdChainOK
		}
	}
}

// Placements returns the shelf events of each batch, in order of shelving,
// keyed by batch id.
func (r *Reader) Placements(ctx context.Context, batchIDs []int) (map[int][]Placement, error) {
	out := make(map[int][]Placement, len(batchIDs))
	if len(batchIDs) == 0 {
		return out, nil
	}
	list, args := in(unique(batchIDs))
	o := omitted(ctx)
	cols := "se.id, se.batch_id, se.quantity, se.unit, se.shelved_at, "
	if !o.has(OmitShelfRemovals) {
		cols += "se.removed_at, se.removal_reason, "
	}
	q := `SELECT ` + cols + facilityColumns("f", "fo", o) + `
FROM shelf_events se
JOIN facilities f ON f.id = se.facility_id` + facilityJoin("f", "fo", o) + `
WHERE se.batch_id IN ` + list + `
ORDER BY se.batch_id, se.shelved_at, se.id`
	err := r.query(ctx, q, args, func(rows *sql.Rows) error {
		var (
			p                Placement
			shelved, removed timeValue
		)
		dest := []any{&p.ID, &p.BatchID, &p.Quantity, &p.Unit, &shelved}
		if !o.has(OmitShelfRemovals) {
			dest = append(dest, &removed, &p.RemovalReason)
		}
		dest = append(dest, p.Store.dest(o)...)
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		p.ShelvedAt, p.RemovedAt = shelved.T, removed.ptr()
		out[p.BatchID] = append(out[p.BatchID], p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading shelf events: %w", err)
	}
	return out, nil
}

// Inputs returns the transformation edges of the given output batches.
func (r *Reader) Inputs(ctx context.Context, outputIDs []int) ([]Edge, error) {
	if len(outputIDs) == 0 {
		return nil, nil
	}
	list, args := in(unique(outputIDs))
	var out []Edge
	err := r.query(ctx, `SELECT output_id, input_id, quantity, unit FROM batch_inputs WHERE output_id IN `+list+` ORDER BY output_id, input_id`, args,
		func(rows *sql.Rows) error {
			e := Edge{Depth: 1}
			if err := rows.Scan(&e.OutputID, &e.InputID, &e.Quantity, &e.Unit); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("loading batch inputs: %w", err)
	}
	return out, nil
}

// MaxProductBatches bounds the batches of one product export.
const MaxProductBatches = 20000

// ProductBatches returns the ids of a product's batches produced in
// [from, to), oldest first, at most MaxProductBatches.
func (r *Reader) ProductBatches(ctx context.Context, productID int, from, to time.Time) ([]int, error) {
	var ids []int
	err := r.query(ctx, `SELECT id FROM batches WHERE product_id = ? AND produced_at >= ? AND produced_at < ? ORDER BY produced_at, id LIMIT ?`,
		[]any{productID, from.UTC(), to.UTC(), MaxProductBatches + 1}, func(rows *sql.Rows) error {
			var id int
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("listing product batches: %w", err)
	}
	if len(ids) > MaxProductBatches {
		return nil, errcode.Field(errcode.BadUserInput, "to", "more than %d batches in the range; choose a shorter one", MaxProductBatches)
	}
	return ids, nil
}
