package server_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"suyuan/ent"
	"suyuan/ent/facility"
	"suyuan/ent/shipment"
	"suyuan/internal/quantity"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// statements runs a query and returns how many SQL statements it issued.
func (a *api) statements(query string, vars map[string]any) int64 {
	a.t.Helper()
	a.db.Counter.Reset()
	a.must(nil, query, vars)
	return a.db.Counter.Count()
}

func id(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// spread ships n kg of a batch from one facility to each of stores new
// stores and shelves it there, writing directly through Ent so that a
// thousand stores take a moment.
func spread(t *testing.T, db *testdb.DB, carrier, org, from, batchID string, stores int) {
	t.Helper()
	ctx := tenancy.System(context.Background())
	c := db.Client
	facs := make([]*ent.FacilityCreate, stores)
	for i := range facs {
		facs[i] = c.Facility.Create().SetOrganizationID(id(t, org)).SetKind(facility.KindSTORE).
			SetName(fmt.Sprintf("Store %d", i)).SetRegionCode("511802")
	}
	fs, err := c.Facility.CreateBulk(facs...).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store.BulkIDs(c.IDStep, fs, func(f *ent.Facility) *int { return &f.ID })
	ships := make([]*ent.ShipmentCreate, stores)
	for i, f := range fs {
		ships[i] = c.Shipment.Create().SetCarrierID(id(t, carrier)).SetFromFacilityID(id(t, from)).SetToFacilityID(f.ID).
			SetStatus(shipment.StatusDELIVERED).SetDepartedAt(day(3)).SetArrivedAt(day(3.2))
	}
	ss, err := c.Shipment.CreateBulk(ships...).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store.BulkIDs(c.IDStep, ss, func(s *ent.Shipment) *int { return &s.ID })
	items := make([]*ent.ShipmentItemCreate, stores)
	shelves := make([]*ent.ShelfEventCreate, stores)
	for i := range ss {
		items[i] = c.ShipmentItem.Create().SetShipmentID(ss[i].ID).SetBatchID(id(t, batchID)).SetQuantity(1).SetUnit(quantity.Kilogram)
		shelves[i] = c.ShelfEvent.Create().SetFacilityID(fs[i].ID).SetBatchID(id(t, batchID)).SetQuantity(1).SetUnit(quantity.Kilogram).SetShelvedAt(day(4))
	}
	if err := c.ShipmentItem.CreateBulk(items...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ShelfEvent.CreateBulk(shelves...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTraceStatements proves trace, lineage and recall impact issue a
// number of statements that does not grow with the data they return.
func TestTraceStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()

		codeOf := func(batch string) string {
			var out struct {
				IssueTraceCodes []struct{ Code string }
			}
			a.must(&out, `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code } }`,
				map[string]any{"in": map[string]any{"batchID": batch, "count": 1}})
			return out.IssueTraceCodes[0].Code
		}

		t.Run("trace: 1 leg and 20 legs, 1 level and 10", func(t *testing.T) {
			one := a.batch(c.pork, c.plant, "ONE", 100, "KG", day(0))
			a.ship(c.carrierOrg, c.plant, c.store, day(1), day(1.1), item(one, 1, "KG"))
			// Twenty legs, and ten levels of lineage above the batch.
			prev := a.batch(c.pork, c.plant, "L0", 100, "KG", day(0))
			for i := 1; i <= 10; i++ {
				prev = a.batch(c.pork, c.plant, "L"+strconv.Itoa(i), 100, "KG", day(0), item(prev, 1, "KG"))
			}
			for i := range 20 {
				store := a.facility(c.shopOrg, "STORE")
				a.ship(c.carrierOrg, c.plant, store, day(1+float64(i)/100), day(1.5), item(prev, 1, "KG"))
			}
			oneCode, prevCode := codeOf(one), codeOf(prev)
			small := a.statements(traceQuery, map[string]any{"code": oneCode})
			var big traceResult
			a.db.Counter.Reset()
			a.must(&big, traceQuery, map[string]any{"code": prevCode})
			large := a.db.Counter.Count()
			if len(big.Trace.Journey) != 20 || len(big.Trace.Ingredients) != 3 {
				t.Fatalf("big trace has %d legs and %d ingredients", len(big.Trace.Journey), len(big.Trace.Ingredients))
			}
			t.Logf("%s: trace issues %d statements for 1 leg, %d for 20 legs and 10 levels", db.Name, small, large)
			// The code, the walk with its batches, the inspections and
			// their measurements, the legs, the shelves: the query asks
			// for neither certificates nor the cold chain.
			if small != 6 || large != 6 {
				t.Errorf("trace issued %d and %d statements; want 6 for each", small, large)
			}
		})

		t.Run("lineage and recall impact: 1 store and 1,000", func(t *testing.T) {
			narrow := a.batch(c.pork, c.plant, "NARROW", 5000, "KG", day(0))
			wide := a.batch(c.pork, c.plant, "WIDE", 5000, "KG", day(0))
			// The same depth: each is made into a product that is spread.
			narrowOut := a.batch(c.pork, c.plant, "NARROW-C", 2000, "KG", day(1), item(narrow, 2000, "KG"))
			wideOut := a.batch(c.pork, c.plant, "WIDE-C", 2000, "KG", day(1), item(wide, 2000, "KG"))
			spread(t, db, c.carrierOrg, c.shopOrg, c.plant, narrowOut, 1)
			spread(t, db, c.carrierOrg, c.shopOrg, c.plant, wideOut, 1000)

			for _, q := range []struct {
				name, query string
				want        int64 // the walk with its batches, the legs, the shelves, …
			}{
				{"lineage", lineageQuery, 3},
				{"recallImpact", impactQuery, 4},
			} {
				vars := func(b string) map[string]any { return map[string]any{"id": b, "dir": "DOWNSTREAM"} }
				small := a.statements(q.query, vars(narrow))
				large := a.statements(q.query, vars(wide))
				t.Logf("%s: %s issues %d statements for 1 store, %d for 1,000", db.Name, q.name, small, large)
				if small != q.want || large != q.want {
					t.Errorf("%s issued %d statements for 1 store and %d for 1,000; want %d for each", q.name, small, large, q.want)
				}
			}
			var im impactResult
			a.must(&im, impactQuery, map[string]any{"id": wide})
			if im.RecallImpact.Stores != 1000 {
				t.Errorf("wide lot reaches %d stores, want 1000", im.RecallImpact.Stores)
			}
		})

		t.Run("a page of batches with lineage and journey", func(t *testing.T) {
			const q = `query($n: Int!) { batches(first: $n, where: {lotCodeHasPrefix: "P-"}) { edges { node { lotCode
			  journey { shipmentID to { name } coldChain { verdict } }
			  lineage(direction: UPSTREAM, maxDepth: 3) { nodes { depth batch { lotCode } } }
			  downstream: lineage(direction: DOWNSTREAM) { nodes { batch { lotCode } } shipments { shipmentID } }
			} } } }`
			input := a.batch(c.pork, c.plant, "P-INPUT", 10000, "KG", day(0))
			ctx := tenancy.System(context.Background())
			bulk := make([]*ent.BatchCreate, 100)
			for i := range bulk {
				bulk[i] = db.Client.Batch.Create().SetProductID(id(t, c.pork)).SetOrganizationID(id(t, c.plantOrg)).
					SetFacilityID(id(t, c.plant)).SetLotCode(fmt.Sprintf("P-%03d", i)).SetProducedAt(day(1)).
					SetQuantity(10).SetUnit(quantity.Kilogram)
			}
			made, err := db.Client.Batch.CreateBulk(bulk...).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			store.BulkIDs(db.Client.IDStep, made, func(b *ent.Batch) *int { return &b.ID })
			for _, b := range made {
				if err := db.Client.BatchInput.Create().SetOutputID(b.ID).SetInputID(id(t, input)).
					SetQuantity(1).SetUnit(quantity.Kilogram).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				spread(t, db, c.carrierOrg, c.shopOrg, c.plant, strconv.Itoa(b.ID), 1)
			}
			small := a.statements(q, map[string]any{"n": 2})
			var page struct {
				Batches struct {
					Edges []struct {
						Node struct {
							Journey []struct{ ShipmentID string }
							Lineage struct {
								Nodes []struct{ Depth int }
							}
						}
					}
				}
			}
			a.db.Counter.Reset()
			a.must(&page, q, map[string]any{"n": 100})
			large := a.db.Counter.Count()
			if n := len(page.Batches.Edges); n != 100 {
				t.Fatalf("page has %d batches", n)
			}
			for _, e := range page.Batches.Edges[1:] {
				if len(e.Node.Journey) != 1 || len(e.Node.Lineage.Nodes) != 1 {
					t.Fatalf("node = %+v; want one leg and one input", e.Node)
				}
			}
			t.Logf("%s: a page of 2 batches issues %d statements, of 100 %d", db.Name, small, large)
			if small != large {
				t.Errorf("a page of 2 issued %d statements, of 100 %d", small, large)
			}
		})
	})
}
