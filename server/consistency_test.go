package server_test

import (
	"testing"
	"time"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestContradictoryRecordings: counted units come in whole numbers, and
// no event of some goods may come before an earlier event of the same
// goods: shelving, shipping on or using a batch before it arrived at the
// place. Each refusal names its field, and writes nothing.
func TestContradictoryRecordings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		hour := func(h float64) time.Time { return day(0).Add(time.Duration(h * float64(time.Hour))) }
		const departShipment = `mutation($id: ID!, $at: Time!) { departShipment(id: $id, departedAt: $at) { id } }`

		t.Run("whole numbers of counted units", func(t *testing.T) {
			a := a.forTest(t)
			for _, unit := range []string{"HEAD", "PIECE", "BOX"} {
				a.failsClean("INVALID_QUANTITY", "quantity", createBatch, map[string]any{"in": map[string]any{
					"productID": c.pigs, "facilityID": c.farm, "lotCode": "HALF-" + unit, "producedAt": hour(0), "quantity": 40.5, "unit": unit}})
			}
			pigs := a.batch(c.pigs, c.farm, "PIGS-40", 40, "HEAD", hour(0))
			a.failsClean("INVALID_QUANTITY", "items.0.quantity", recordShipment, map[string]any{"in": map[string]any{
				"carrierID": c.carrierOrg, "fromFacilityID": c.farm, "toFacilityID": c.plant,
				"departedAt": hour(1), "items": []any{item(pigs, 2.5, "HEAD")}}})
			a.failsClean("INVALID_QUANTITY", "inputs.0.quantity", createBatch, map[string]any{"in": map[string]any{
				"productID": c.pork, "facilityID": c.plant, "lotCode": "CARC-HALF", "producedAt": hour(2), "quantity": 80, "unit": "KG",
				"inputs": []any{item(pigs, 0.5, "HEAD")}}})
			// Masses need not be whole.
			a.batch(c.pork, c.plant, "LOIN-HALF", 40.5, "KG", hour(0))
		})

		t.Run("nothing before it arrived", func(t *testing.T) {
			a := a.forTest(t)
			pigs := a.batch(c.pigs, c.farm, "PIGS-10", 10, "HEAD", hour(0))
			a.ship(c.carrierOrg, c.farm, c.plant, hour(2), hour(4), item(pigs, 10, "HEAD"))
			// Slaughtered at the plant before the pigs arrived there.
			a.failsClean("INVALID_TIME_ORDER", "producedAt", createBatch, map[string]any{"in": map[string]any{
				"productID": c.pork, "facilityID": c.plant, "lotCode": "CARC-EARLY", "producedAt": hour(3), "quantity": 800, "unit": "KG",
				"inputs": []any{item(pigs, 10, "HEAD")}}})
			loin := a.batch(c.pork, c.plant, "LOIN-10", 100, "KG", hour(5))
			a.ship(c.carrierOrg, c.plant, c.store, hour(6), hour(8), item(loin, 60, "KG"))
			shelve := func(at time.Time) map[string]any {
				return map[string]any{"in": map[string]any{"facilityID": c.store, "batchID": loin, "quantity": 10, "unit": "KG", "shelvedAt": at}}
			}
			// On sale before it arrived (and after it left the plant).
			a.failsClean("INVALID_TIME_ORDER", "shelvedAt", shelveBatch, shelve(hour(7)))
			a.must(nil, shelveBatch, shelve(hour(8)))
			// Shipped on from the store before it arrived there, at once or as a plan.
			warehouse := a.facility(c.shopOrg, "WAREHOUSE")
			onward := map[string]any{"in": map[string]any{
				"carrierID": c.carrierOrg, "fromFacilityID": c.store, "toFacilityID": warehouse,
				"departedAt": hour(7.5), "items": []any{item(loin, 5, "KG")}}}
			a.failsClean("INVALID_TIME_ORDER", "departedAt", recordShipment, onward)
			delete(onward["in"].(map[string]any), "departedAt")
			var planned struct{ RecordShipment struct{ ID string } }
			a.must(&planned, recordShipment, onward)
			a.failsClean("INVALID_TIME_ORDER", "departedAt", departShipment, map[string]any{"id": planned.RecordShipment.ID, "at": hour(7.5)})
			a.must(nil, departShipment, map[string]any{"id": planned.RecordShipment.ID, "at": hour(9)})
			// Before it was produced, as before.
			a.failsClean("INVALID_TIME_ORDER", "inspectedAt", `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { id } }`,
				map[string]any{"in": map[string]any{"batchID": loin, "labID": c.labOrg, "inspectedAt": hour(4), "result": "PASS"}})
		})
	})
}
