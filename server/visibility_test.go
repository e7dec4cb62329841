package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"suyuan/ent/inspection"
	"suyuan/ent/organization"
	"suyuan/ent/shipment"
	"suyuan/internal/quantity"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// parties is the pork chain seen by each of its parties, with a processor
// D one step down the chain from the loin and a stranger S with a chain
// of its own:
//
//	farm: PIG-1 ──legPigs──▶ plant: CARC-1 ─┐
//	                          plant: SALT-1 ─┴▶ LOIN-1 ──legToWarehouse──▶ shop's warehouse ──legToStore──▶ shop's store
//	                                                 └──▶ D: D-LOT-1 ──dShip──▶ D's depot
//	                                                      D: D-LOT-2 (of another product)
//	S: S-LOT-1 ──sShip──▶ S's depot
//
// The carrier carries the pork chain's three legs, a second carrier D's
// and S's; the laboratory inspected PIG-1, CARC-1 and LOIN-1, a second
// laboratory D-LOT-1 and S-LOT-1.
type parties struct {
	p                                     pork
	legPigs, dShip, sShip                 string
	idle                                  string // a shop's facility nothing reaches
	dOrg, dFac, dDepot, dProd, dProd2     string
	dLot, dLot2                           string
	sOrg, sFac, sProd, sLot               string
	carrier2, lab2                        string
	inspPigs, inspCarc, inspLoin          string
	inspD, inspS                          string
	farm, plant, carrier, shop, lab, d, s *api
	regulator, farRegulator               *api
}

func (a *api) inspect(batch, lab string, at float64) string {
	a.t.Helper()
	var out struct{ RecordInspection struct{ ID string } }
	a.must(&out, recordInspection, map[string]any{"in": map[string]any{
		"batchID": batch, "labID": lab, "inspectedAt": day(at), "result": "PASS"}})
	return out.RecordInspection.ID
}

// staff logs in a new STAFF account of the organisation with id org.
func (a *api) staff(org string) *api {
	a.t.Helper()
	return a.as(a.login(a.account(id(a.t, org), "STAFF")))
}

// forTest is ps with every client reporting to t, for a subtest.
func (ps parties) forTest(t *testing.T) parties {
	for _, c := range []**api{&ps.farm, &ps.plant, &ps.carrier, &ps.shop, &ps.lab, &ps.d, &ps.s, &ps.regulator, &ps.farRegulator} {
		*c = (*c).forTest(t)
	}
	return ps
}

func (a *api) parties() parties {
	t := a.t
	t.Helper()
	ctx := tenancy.System(context.Background())
	var ps parties
	p := a.porkChain()
	ps.p = p
	legPigs, err := a.db.Client.Shipment.Query().Where(shipment.FromFacilityID(id(t, p.farm))).OnlyID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps.legPigs = fmt.Sprint(legPigs)
	inspLoin, err := a.db.Client.Inspection.Query().Where(inspection.BatchID(id(t, p.loin))).OnlyID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps.inspLoin = fmt.Sprint(inspLoin)
	ps.inspPigs = a.inspect(p.pigs, p.labOrg, 0.8)
	ps.inspCarc = a.inspect(p.carcass, p.labOrg, 1.3)
	ps.idle = a.facility(p.shopOrg, "STORE")
	ps.carrier2, ps.lab2 = a.org("CARRIER"), a.org("LAB")

	ps.dOrg = a.org("PROCESSOR")
	ps.dFac, ps.dDepot = a.facility(ps.dOrg, "FACTORY"), a.facility(ps.dOrg, "WAREHOUSE")
	ps.dProd, ps.dProd2 = a.product(ps.dOrg, "D's dumplings", "KG"), a.product(ps.dOrg, "D's buns", "KG")
	ps.dLot = a.batch(ps.dProd, ps.dFac, "D-LOT-1", 40, "KG", day(2))
	ps.dLot2 = a.batch(ps.dProd2, ps.dFac, "D-LOT-2", 40, "KG", day(2))
	// D-LOT-1 is made from the loin: recorded directly, so that D holds
	// none of the loin and sees it as the lot used in its own only.
	if err := a.db.Client.BatchInput.Create().SetOutputID(id(t, ps.dLot)).SetInputID(id(t, p.loin)).
		SetQuantity(5).SetUnit(quantity.Kilogram).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	ps.dShip = a.ship(ps.carrier2, ps.dFac, ps.dDepot, day(2.5), day(2.6), item(ps.dLot, 10, "KG"))
	ps.inspD = a.inspect(ps.dLot, ps.lab2, 2.2)

	ps.sOrg = a.org("PROCESSOR")
	ps.sFac = a.facility(ps.sOrg, "FACTORY")
	sDepot := a.facility(ps.sOrg, "WAREHOUSE")
	ps.sProd = a.product(ps.sOrg, "S's ham", "KG")
	ps.sLot = a.batch(ps.sProd, ps.sFac, "S-LOT-1", 40, "KG", day(1))
	ps.sShip = a.ship(ps.carrier2, ps.sFac, sDepot, day(2), day(2.1), item(ps.sLot, 10, "KG"))
	ps.inspS = a.inspect(ps.sLot, ps.lab2, 1.5)

	ps.farm, ps.plant, ps.carrier = a.staff(p.farmOrg), a.staff(p.plantOrg), a.staff(p.carrierOrg)
	ps.shop, ps.lab, ps.d, ps.s = a.staff(p.shopOrg), a.staff(p.labOrg), a.staff(ps.dOrg), a.staff(ps.sOrg)
	regulator := func(name, region string) *api {
		*a.seq++
		o, err := a.db.Client.Organization.Create().SetName(name).SetKind(organization.KindREGULATOR).
			SetCreditCode(creditCode(t, 8000000+*a.seq)).SetRegionCode(region).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return a.as(a.login(a.account(o.ID, "REGULATOR")))
	}
	ps.regulator, ps.farRegulator = regulator("Ya'an bureau", "511800"), regulator("Chengdu bureau", "510100")
	return ps
}

// sees reports whether node(id:) answers the row, failing the test on any
// answer but the row or NOT_FOUND.
func (a *api) sees(id string) bool {
	a.t.Helper()
	r := a.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
	switch {
	case len(r.Errors) == 0 && strings.Contains(string(r.Data), `"id":"`+id+`"`):
		return true
	case len(r.Errors) == 1 && r.Errors[0].Extensions.Code == "NOT_FOUND" && string(r.Data) == `{"node":null}`:
		return false
	}
	a.t.Fatalf("node(%s) answered %s", id, r.Raw)
	return false
}

// TestVisibilityTable checks each cell of the table "Who sees what" in
// docs/SECURITY.md both ways: a row the relation lets the viewer read, and
// the nearest row it does not, through node(id:).
func TestVisibilityTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		ps := a.parties()
		p := ps.p
		type cell struct {
			relation, entity string
			who              *api
			allowed, refused []string
		}
		cells := []cell{
			// own rows
			{"own", "Facility", ps.plant, []string{p.plant}, []string{ps.sFac}},
			{"own", "Organization", ps.plant, []string{p.plantOrg}, []string{ps.sOrg}},
			{"own", "Batch", ps.plant, []string{p.salt}, []string{ps.sLot}},
			{"own", "Product", ps.plant, []string{p.chain.pork}, []string{ps.sProd}},
			{"own", "Inspection", ps.lab, []string{ps.inspCarc}, []string{ps.inspS}},
			// the farm ships its pigs to the plant
			{"shipper", "Shipment", ps.farm, []string{ps.legPigs}, []string{p.legToWarehouse}},
			{"shipper", "Facility", ps.farm, []string{p.plant}, []string{p.warehouse}},
			{"shipper", "Organization", ps.farm, []string{p.carrierOrg, p.plantOrg}, []string{p.shopOrg}},
			{"shipper", "Batch", ps.farm, []string{p.pigs}, []string{p.loin}},
			{"shipper", "Product", ps.farm, []string{p.chain.pigs}, []string{ps.dProd}},
			{"shipper", "Inspection", ps.farm, []string{ps.inspPigs}, []string{ps.inspLoin}},
			// the carrier carries the pork chain's three legs
			{"carrier", "Shipment", ps.carrier, []string{ps.legPigs, p.legToWarehouse, p.legToStore}, []string{ps.dShip}},
			{"carrier", "Facility", ps.carrier, []string{p.farm, p.plant, p.warehouse, p.store}, []string{ps.idle}},
			{"carrier", "Organization", ps.carrier, []string{p.farmOrg, p.plantOrg, p.shopOrg}, []string{ps.dOrg}},
			{"carrier", "Batch", ps.carrier, []string{p.pigs, p.loin}, []string{p.carcass}},
			{"carrier", "Product", ps.carrier, []string{p.chain.pigs, p.chain.pork}, []string{ps.dProd}},
			{"carrier", "Inspection", ps.carrier, []string{ps.inspPigs, ps.inspLoin}, []string{ps.inspCarc}},
			// the shop receives the loin from the plant, and keeps it
			{"receiver", "Shipment", ps.shop, []string{p.legToWarehouse, p.legToStore}, []string{ps.legPigs}},
			{"receiver", "Facility", ps.shop, []string{p.plant}, []string{p.farm}},
			{"receiver", "Organization", ps.shop, []string{p.plantOrg, p.carrierOrg}, []string{p.farmOrg}},
			{"receiver", "Batch", ps.shop, []string{p.loin}, []string{p.carcass}},
			{"receiver", "Product", ps.shop, []string{p.chain.pork}, []string{p.chain.pigs}},
			{"receiver", "Inspection", ps.shop, []string{ps.inspLoin}, []string{ps.inspCarc}},
			// the laboratory inspected PIG-1, CARC-1 and LOIN-1
			{"lab", "Shipment", ps.lab, nil, []string{ps.legPigs, p.legToWarehouse}},
			{"lab", "Facility", ps.lab, []string{p.farm, p.plant}, []string{p.warehouse}},
			{"lab", "Organization", ps.lab, []string{p.farmOrg, p.plantOrg}, []string{p.carrierOrg}},
			{"lab", "Batch", ps.lab, []string{p.pigs, p.carcass, p.loin}, []string{p.salt}},
			{"lab", "Product", ps.lab, []string{p.chain.pigs, p.chain.pork}, []string{ps.dProd}},
			{"lab", "Inspection", ps.lab, []string{ps.inspPigs}, []string{ps.inspD}},
			// D made D-LOT-1 from the loin: one step up
			{"producer, one step up", "Shipment", ps.d, nil, []string{p.legToWarehouse}},
			{"producer, one step up", "Facility", ps.d, []string{p.plant}, []string{p.warehouse}},
			{"producer, one step up", "Organization", ps.d, []string{p.plantOrg}, []string{p.carrierOrg}},
			{"producer, one step up", "Batch", ps.d, []string{p.loin}, []string{p.carcass, p.salt}},
			{"producer, one step up", "Product", ps.d, []string{p.chain.pork}, []string{p.chain.pigs}},
			{"producer, one step up", "Inspection", ps.d, []string{ps.inspLoin}, []string{ps.inspCarc}},
			// the plant's loin went into D-LOT-1: one step down
			{"producer, one step down", "Shipment", ps.plant, nil, []string{ps.dShip}},
			{"producer, one step down", "Facility", ps.plant, []string{ps.dFac}, []string{ps.dDepot}},
			{"producer, one step down", "Organization", ps.plant, []string{ps.dOrg, ps.lab2}, []string{ps.carrier2}},
			{"producer, one step down", "Batch", ps.plant, []string{ps.dLot}, []string{ps.dLot2}},
			{"producer, one step down", "Product", ps.plant, []string{ps.dProd}, []string{ps.dProd2}},
			{"producer, one step down", "Inspection", ps.plant, []string{ps.inspD}, []string{ps.inspS}},
			// the farm's pigs are two and three steps up from the loin
			// and D-LOT-1: no rows of theirs (the views are below)
			{"producer, further down", "Shipment", ps.farm, nil, []string{p.legToStore, ps.dShip}},
			{"producer, further down", "Facility", ps.farm, nil, []string{p.store, ps.dFac}},
			{"producer, further down", "Organization", ps.farm, nil, []string{ps.dOrg}},
			{"producer, further down", "Batch", ps.farm, []string{p.carcass}, []string{p.loin, ps.dLot}},
			{"producer, further down", "Product", ps.farm, nil, []string{ps.dProd}},
			{"producer, further down", "Inspection", ps.farm, nil, []string{ps.inspLoin, ps.inspD}},
			// the regulator of Ya'an (511800) and one of Chengdu (510100):
			// every fixture is in district 511802
			{"regulator of the region", "Shipment", ps.regulator, []string{ps.sShip, ps.dShip}, nil},
			{"regulator of the region", "Facility", ps.regulator, []string{ps.sFac, ps.idle}, nil},
			{"regulator of the region", "Organization", ps.regulator, []string{ps.sOrg, ps.carrier2}, nil},
			{"regulator of the region", "Batch", ps.regulator, []string{ps.sLot, p.loin}, nil},
			{"regulator of the region", "Product", ps.regulator, []string{ps.sProd, ps.dProd2}, nil},
			{"regulator of the region", "Inspection", ps.regulator, []string{ps.inspS}, nil},
			{"regulator of another region", "Shipment", ps.farRegulator, nil, []string{ps.sShip, ps.dShip}},
			{"regulator of another region", "Facility", ps.farRegulator, nil, []string{ps.sFac, ps.idle}},
			{"regulator of another region", "Organization", ps.farRegulator, nil, []string{ps.sOrg, ps.carrier2}},
			{"regulator of another region", "Batch", ps.farRegulator, nil, []string{ps.sLot, p.loin}},
			{"regulator of another region", "Product", ps.farRegulator, nil, []string{ps.sProd, ps.dProd2}},
			{"regulator of another region", "Inspection", ps.farRegulator, nil, []string{ps.inspS}},
			// S has no part in the pork chain
			{"none", "Shipment", ps.s, []string{ps.sShip}, []string{ps.legPigs, p.legToWarehouse, p.legToStore, ps.dShip}},
			{"none", "Facility", ps.s, []string{ps.sFac}, []string{p.farm, p.plant, p.warehouse, p.store, ps.dFac}},
			{"none", "Organization", ps.s, []string{ps.carrier2, ps.lab2}, []string{p.farmOrg, p.plantOrg, p.carrierOrg, p.shopOrg, p.labOrg, ps.dOrg}},
			{"none", "Batch", ps.s, []string{ps.sLot}, []string{p.pigs, p.carcass, p.salt, p.loin, ps.dLot}},
			{"none", "Product", ps.s, []string{ps.sProd}, []string{p.chain.pigs, p.chain.pork, ps.dProd}},
			{"none", "Inspection", ps.s, []string{ps.inspS}, []string{ps.inspPigs, ps.inspCarc, ps.inspLoin, ps.inspD}},
		}
		for _, c := range cells {
			t.Run(c.relation+"/"+c.entity, func(t *testing.T) {
				who := c.who.forTest(t)
				for _, id := range c.allowed {
					if !who.sees(id) {
						t.Errorf("%s %s does not see %s", c.relation, c.entity, id)
					}
				}
				for _, id := range c.refused {
					if who.sees(id) {
						t.Errorf("%s %s sees %s", c.relation, c.entity, id)
					}
				}
			})
		}
	})
}

// TestPartiesSeeTheirWork reads, as each party, what it needs for its
// work, through the edges of the rows it reads, and the views of lineage
// the table describes.
func TestPartiesSeeTheirWork(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		ps := a.parties()
		p := ps.p
		const shipmentQ = `query($id: ID!) { node(id: $id) { ... on Shipment { carrier { name } fromFacility { name address kind }
		  toFacility { name address kind organization { name } } items { edges { node { batch { lotCode product { name } producer { name } } } } } } } }`

		t.Run("the carrier reads where to collect and deliver", func(t *testing.T) {
			ps := ps.forTest(t)
			r := ps.carrier.do(shipmentQ, map[string]any{"id": p.legToWarehouse})
			if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"kind":"SLAUGHTERHOUSE"`) || !strings.Contains(string(r.Data), `"kind":"WAREHOUSE"`) ||
				!strings.Contains(string(r.Data), `"address":"雨城区 1号"`) || !strings.Contains(string(r.Data), `"lotCode":"LOIN-1"`) {
				t.Errorf("carrier's shipment: %s", r.Raw)
			}
		})
		t.Run("the receiver reads the shipper and carrier", func(t *testing.T) {
			ps := ps.forTest(t)
			r := ps.shop.do(shipmentQ, map[string]any{"id": p.legToWarehouse})
			if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"kind":"SLAUGHTERHOUSE"`) || !strings.Contains(string(r.Data), `"carrier":{"name":"CARRIER`) {
				t.Errorf("receiver's shipment: %s", r.Raw)
			}
		})
		t.Run("the laboratory lists its inspections with their lots", func(t *testing.T) {
			ps := ps.forTest(t)
			var out struct {
				Inspections struct {
					Edges []struct {
						Node struct {
							Batch struct {
								LotCode  string
								Product  struct{ Name string }
								Producer struct{ Name string }
								Facility struct{ Kind string }
							}
						}
					}
				}
			}
			ps.lab.must(&out, `{ inspections(orderBy: {field: INSPECTED_AT}) { edges { node { batch { lotCode product { name } producer { name } facility { kind } } } } } }`, nil)
			var lots []string
			for _, e := range out.Inspections.Edges {
				if e.Node.Batch.Product.Name == "" || e.Node.Batch.Producer.Name == "" || e.Node.Batch.Facility.Kind == "" {
					t.Errorf("inspection's batch %+v", e.Node.Batch)
				}
				lots = append(lots, e.Node.Batch.LotCode)
			}
			if !slices.Equal(lots, []string{"PIG-1", "CARC-1", "LOIN-1"}) {
				t.Errorf("the laboratory's inspections are of %v", lots)
			}
		})
		t.Run("a producer reads the shelves and stock of its lots", func(t *testing.T) {
			ps := ps.forTest(t)
			r := ps.plant.do(`query($id: ID!) { node(id: $id) { ... on Batch { shelfEvents { edges { node { facility { kind } } } }
			  stocks { edges { node { facility { kind } } } } } } }`, map[string]any{"id": p.loin})
			if len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"kind":"STORE"`) {
				t.Errorf("the loin's shelves and stock: %s", r.Raw)
			}
		})

		nodes := func(l lineageResult) []string {
			var out []string
			for _, n := range l.Lineage.Nodes {
				out = append(out, n.Batch.LotCode)
			}
			slices.Sort(out)
			return out
		}
		t.Run("downstream lineage", func(t *testing.T) {
			ps := ps.forTest(t)
			for _, c := range []struct {
				name      string
				who       *api
				root      string
				want      []string
				shipments int
			}{
				// Its producer answers for the pigs: every lot made from
				// them, and where they went, as its recall impact shows.
				{"the farm, of its pigs", ps.farm, p.pigs, []string{"CARC-1", "D-LOT-1", "LOIN-1"}, 4},
				{"the plant, of its loin", ps.plant, p.loin, []string{"D-LOT-1"}, 3},
				{"the regulator, of the pigs", ps.regulator, p.pigs, []string{"CARC-1", "D-LOT-1", "LOIN-1"}, 4},
				// The carrier does not: the lots it carried, and its trips.
				{"the carrier, of the pigs", ps.carrier, p.pigs, []string{"LOIN-1"}, 3},
				{"D, of its lot", ps.d, ps.dLot, nil, 1},
			} {
				var l lineageResult
				c.who.must(&l, lineageQuery, map[string]any{"id": c.root, "dir": "DOWNSTREAM"})
				if got := nodes(l); !slices.Equal(got, c.want) || len(l.Lineage.Shipments) != c.shipments {
					t.Errorf("%s: %v and %d shipments; want %v and %d", c.name, got, len(l.Lineage.Shipments), c.want, c.shipments)
				}
			}
			// The recall impact shows the farm the same lots.
			var im impactResult
			ps.farm.must(&im, impactQuery, map[string]any{"id": p.pigs})
			var lots []string
			for _, b := range im.RecallImpact.Batches {
				lots = append(lots, b.Batch.LotCode)
			}
			slices.Sort(lots)
			if !slices.Equal(lots, []string{"CARC-1", "D-LOT-1", "LOIN-1"}) {
				t.Errorf("the farm's recall impact reaches %v", lots)
			}
		})
		t.Run("upstream lineage goes one step", func(t *testing.T) {
			ps := ps.forTest(t)
			for _, c := range []struct {
				name string
				who  *api
				root string
				want []string
			}{
				{"D, of its lot", ps.d, ps.dLot, []string{"LOIN-1"}},
				{"the plant, of the loin", ps.plant, p.loin, []string{"CARC-1", "PIG-1", "SALT-1"}},
				{"the shop, of the loin", ps.shop, p.loin, nil},
				{"the regulator, of D's lot", ps.regulator, ps.dLot, []string{"CARC-1", "LOIN-1", "PIG-1", "SALT-1"}},
			} {
				var l lineageResult
				c.who.must(&l, lineageQuery, map[string]any{"id": c.root, "dir": "UPSTREAM"})
				if got := nodes(l); !slices.Equal(got, c.want) {
					t.Errorf("%s: %v; want %v", c.name, got, c.want)
				}
			}
			ps.s.fails("NOT_FOUND", "batchID", lineageQuery, map[string]any{"id": p.loin, "dir": "DOWNSTREAM"})
		})
		t.Run("has…With filters follow the same rules", func(t *testing.T) {
			ps := ps.forTest(t)
			for _, c := range []struct {
				name, query string
				who         *api
				want        int
			}{
				{"carrier, shipments to a warehouse", `{ shipments(where: {hasToFacilityWith: {kind: WAREHOUSE}}) { totalCount } }`, ps.carrier, 1},
				{"carrier, organisations with a farm", `{ organizations(where: {hasFacilitiesWith: {kind: FARM}}) { totalCount } }`, ps.carrier, 1},
				{"lab, producers of a lot it inspected", `{ organizations(where: {hasBatchesWith: {lotCode: "CARC-1"}}) { totalCount } }`, ps.lab, 1},
				{"lab, producers of a lot it did not", `{ organizations(where: {hasBatchesWith: {lotCode: "SALT-1"}}) { totalCount } }`, ps.lab, 0},
				{"farm, lots made from its pigs", `{ batches(where: {hasInputsWith: {hasInputWith: {lotCode: "PIG-1"}}}) { totalCount } }`, ps.farm, 1},
				{"farm, lots made from what was made from them", `{ batches(where: {hasInputsWith: {hasInputWith: {lotCode: "CARC-1"}}}) { totalCount } }`, ps.farm, 0},
				{"D, producers of what it used", `{ organizations(where: {hasBatchesWith: {hasUsedInWith: {hasOutputWith: {lotCode: "D-LOT-1"}}}}) { totalCount } }`, ps.d, 1},
				{"S, the pork chain's organisations", `{ organizations(where: {hasFacilitiesWith: {hasShipmentsOutWith: {hasItemsWith: {hasBatchWith: {lotCode: "LOIN-1"}}}}}) { totalCount } }`, ps.s, 0},
			} {
				var out map[string]struct{ TotalCount int }
				c.who.must(&out, c.query, nil)
				for _, v := range out {
					if v.TotalCount != c.want {
						t.Errorf("%s: %d, want %d", c.name, v.TotalCount, c.want)
					}
				}
			}
		})
		t.Run("accounts stay with their organisation", func(t *testing.T) {
			ps := ps.forTest(t)
			var out struct {
				Users struct{ TotalCount int }
				Node  struct{ Users struct{ TotalCount int } }
			}
			ps.carrier.must(&out, `query($id: ID!) { users { totalCount } node(id: $id) { ... on Organization { users { totalCount } } } }`,
				map[string]any{"id": p.plantOrg})
			if out.Users.TotalCount != 1 || out.Node.Users.TotalCount != 0 {
				t.Errorf("the carrier reads %d users, %d of the plant", out.Users.TotalCount, out.Node.Users.TotalCount)
			}
		})
	})
}
