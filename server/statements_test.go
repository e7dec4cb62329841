package server_test

import (
	"fmt"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// nestedQuery walks organisations → batches → shipments → shelf events,
// 20 at each level, with totals.
const nestedQuery = `{
  organizations(first: 20, where: {kind: PROCESSOR}) { totalCount edges { node { name
    batches(first: 20) { totalCount edges { node { lotCode product { name }
      shipmentItems(first: 20) { totalCount edges { node { quantity
        shipment { status carrier { name } fromFacility { name }
          toFacility { name
            shelfEvents(first: 20) { totalCount edges { node { quantity batch { lotCode } } } } } } } } }
      shelfEvents(first: 20) { totalCount edges { node { quantity facility { name } } } } } } } } } } }`

// grow adds processors, each with batches shipped to stores and shelved.
func (a *api) grow(processors, batchesEach, shipmentsEach int) {
	a.t.Helper()
	carrier := a.org("CARRIER")
	shop := a.org("RETAILER")
	stores := make([]string, shipmentsEach)
	for i := range stores {
		stores[i] = a.facility(shop, "STORE")
	}
	for range processors {
		org := a.org("PROCESSOR")
		plant := a.facility(org, "FACTORY")
		prod := a.product(org, "Pork", "KG")
		for b := range batchesEach {
			batch := a.batch(prod, plant, fmt.Sprintf("L%d-%d", *a.seq, b), 1000, "KG", day(0))
			for _, store := range stores {
				a.ship(carrier, plant, store, day(1), day(1.5), item(batch, 10, "KG"))
				a.must(nil, shelveBatch, map[string]any{"in": map[string]any{
					"facilityID": store, "batchID": batch, "quantity": 5, "unit": "KG", "shelvedAt": day(2)}})
			}
		}
	}
}

// TestNestedConnectionStatements proves there is no N+1: the same nested
// query issues the same number of SQL statements over one processor with
// one batch and one shipment as over many of each.
func TestNestedConnectionStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		statements := func() (int64, int) {
			var out struct {
				Organizations struct{ TotalCount int }
			}
			db.Counter.Reset()
			a.must(&out, nestedQuery, nil)
			return db.Counter.Count(), out.Organizations.TotalCount
		}

		a.grow(1, 1, 1)
		small, n := statements()
		if n != 1 {
			t.Fatalf("want 1 processor, got %d", n)
		}
		a.grow(4, 3, 4)
		large, n := statements()
		if n != 5 {
			t.Fatalf("want 5 processors, got %d", n)
		}
		t.Logf("%s: %d statements for 1×1×1, %d for 5×3×4 plus 1×1×1", db.Name, small, large)
		if small != large {
			t.Errorf("statements grew with the data: %d for the small set, %d for the large", small, large)
		}
		if small > 20 {
			t.Errorf("%d statements; want at most 20 for this query", small)
		}
	})
}
