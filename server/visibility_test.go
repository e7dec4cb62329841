package server_test

import (
	"context"
	"fmt"

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
				who := c.who.as(c.who.token)
				who.t = t
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
