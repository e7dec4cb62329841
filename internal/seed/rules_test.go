package seed

import (
	"context"
	"testing"

	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// checkRecordingRules asserts that a data set obeys what the recording
// operations enforce (package record): counted units in whole numbers,
// and no event of some goods before an earlier event of the same goods.
// Generated and demo data are written past the recording operations, so
// they must keep the rules themselves.
func checkRecordingRules(t *testing.T, db *store.DB) {
	t.Helper()
	// reached(batch, facility, at): the batch was produced at the facility
	// or delivered there by then.
	reached := func(batch, facility, at string) string {
		return `(EXISTS (SELECT 1 FROM batches rb WHERE rb.id = ` + batch + ` AND rb.facility_id = ` + facility + ` AND rb.produced_at <= ` + at + `)
			OR EXISTS (SELECT 1 FROM shipment_items ri JOIN shipments rs ON rs.id = ri.shipment_id
				WHERE ri.batch_id = ` + batch + ` AND rs.to_facility_id = ` + facility + ` AND rs.status = 'DELIVERED' AND rs.arrived_at <= ` + at + `))`
	}
	counted := "('HEAD', 'PIECE', 'BOX')"
	for _, c := range []struct{ what, query string }{
		{"batches in fractions of a counted unit", `SELECT COUNT(*) FROM batches WHERE unit IN ` + counted + ` AND quantity <> ROUND(quantity)`},
		{"shipment items in fractions of a counted unit", `SELECT COUNT(*) FROM shipment_items WHERE unit IN ` + counted + ` AND quantity <> ROUND(quantity)`},
		{"shelvings in fractions of a counted unit", `SELECT COUNT(*) FROM shelf_events WHERE unit IN ` + counted + ` AND quantity <> ROUND(quantity)`},
		{"inputs in fractions of a counted unit", `SELECT COUNT(*) FROM batch_inputs WHERE unit IN ` + counted + ` AND quantity <> ROUND(quantity)`},
		{"shelvings before the batch reached the store", `SELECT COUNT(*) FROM shelf_events e WHERE NOT ` + reached("e.batch_id", "e.facility_id", "e.shelved_at")},
		{"removals before shelving", `SELECT COUNT(*) FROM shelf_events WHERE removed_at < shelved_at`},
		{"departures before the batch reached the origin", `SELECT COUNT(*) FROM shipment_items si JOIN shipments s ON s.id = si.shipment_id
			WHERE s.departed_at IS NOT NULL AND NOT ` + reached("si.batch_id", "s.from_facility_id", "s.departed_at")},
		{"arrivals not after departure", `SELECT COUNT(*) FROM shipments WHERE arrived_at <= departed_at`},
		{"outputs made before their inputs reached the place", `SELECT COUNT(*) FROM batch_inputs bi JOIN batches o ON o.id = bi.output_id
			WHERE NOT ` + reached("bi.input_id", "o.facility_id", "o.produced_at")},
		{"inspections before production", `SELECT COUNT(*) FROM inspections i JOIN batches b ON b.id = i.batch_id WHERE i.inspected_at < b.produced_at`},
	} {
		if n := count(t, db, c.query); n != 0 {
			t.Errorf("%d %s", n, c.what)
		}
	}
}

// TestDemoKeepsRecordingRules: the demo obeys the recording rules.
func TestDemoKeepsRecordingRules(t *testing.T) {
	for name, open := range map[string]func(*testing.T) *store.DB{"sqlite": openSQLite, "mysql": openMySQL} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			if err := Demo(tenancy.System(context.Background()), db.Client); err != nil {
				t.Fatal(err)
			}
			checkRecordingRules(t, db)
		})
	}
}
