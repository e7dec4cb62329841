package server_test

import (
	"fmt"
	"strings"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// pork is a chain built through the API: pigs → carcasses → loin, with a
// second input (salt) joining at the loin, shipped plant → warehouse →
// store with an excursion on the second leg, inspected and shelved.
type pork struct {
	chain
	warehouse                  string
	pigs, carcass, salt, loin  string
	code                       string
	gtin                       string
	legToWarehouse, legToStore string
}

func (a *api) porkChain() pork {
	a.t.Helper()
	p := pork{chain: a.newChain()}
	p.warehouse = a.facility(p.shopOrg, "WAREHOUSE")
	saltProduct := a.product(p.plantOrg, "Salt", "KG")
	p.pigs = a.batch(p.chain.pigs, p.farm, "PIG-1", 10, "HEAD", day(0))
	a.ship(p.carrierOrg, p.farm, p.plant, day(1), day(1.1), item(p.pigs, 10, "HEAD"))
	p.carcass = a.batch(p.chain.pork, p.plant, "CARC-1", 800, "KG", day(1.2), item(p.pigs, 10, "HEAD"))
	p.salt = a.batch(saltProduct, p.plant, "SALT-1", 50, "KG", day(0.5))
	p.loin = a.batch(p.chain.pork, p.plant, "LOIN-1", 300, "KG", day(1.5), item(p.carcass, 400, "KG"), item(p.salt, 1, "KG"))
	p.legToWarehouse = a.ship(p.carrierOrg, p.plant, p.warehouse, day(2), day(2.1), item(p.loin, 200, "KG"))
	p.legToStore = a.ship(p.carrierOrg, p.warehouse, p.store, day(3), day(3.1), item(p.loin, 150, "KG"))
	readings := func(ship string, temps ...float64) {
		var rs []any
		for i, c := range temps {
			rs = append(rs, map[string]any{"recordedAt": day(2 + float64(i)/100), "temperature": c})
		}
		a.must(nil, `mutation($in: AddSensorReadingsInput!) { addSensorReadings(input: $in) { count } }`,
			map[string]any{"in": map[string]any{"shipmentID": ship, "readings": rs}})
	}
	readings(p.legToWarehouse, 1.5, 2.0, 3.5)
	readings(p.legToStore, 2.0, 9.0, 9.2, 9.0, 8.8, 3.0) // 43 minutes above the range
	a.must(nil, shelveBatch, map[string]any{"in": map[string]any{
		"facilityID": p.store, "batchID": p.loin, "quantity": 100, "unit": "KG", "shelvedAt": day(3.5)}})
	a.must(nil, `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"batchID": p.loin, "labID": p.labOrg, "inspectedAt": day(1.8), "result": "PASS",
			"measurements": []any{
				map[string]any{"name": "TVB-N", "value": 9.8, "unit": "mg/100g", "limitMax": 15},
				map[string]any{"name": "Clenbuterol", "value": 0, "unit": "μg/kg", "limitMax": 0},
			}}})
	var codes struct {
		IssueTraceCodes []struct{ Code string }
	}
	a.must(&codes, `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code } }`,
		map[string]any{"in": map[string]any{"batchID": p.loin, "count": 2, "serialized": true}})
	p.code = codes.IssueTraceCodes[0].Code
	var prod struct{ Node struct{ Gtin string } }
	a.must(&prod, `query($id: ID!) { node(id: $id) { ... on Product { gtin } } }`, map[string]any{"id": p.chain.pork})
	p.gtin = prod.Node.Gtin
	return p
}

const traceQuery = `query($code: String!) { trace(code: $code) {
  code serial recalled
  warnings { code message }
  batch { lotCode status expired quantity unit
    product { name category gtin storageMinC storageMaxC }
    producer { name licenseNo regionCode }
    facility { kind organization { name } } }
  inspections { result lab { kind } measurements { name value limitMax withinLimits } }
  journey { shipmentID from { kind } to { kind } carrier { kind } quantity unit
    coldChain { verdict readings minC maxC requiredMinC requiredMaxC } }
  shelf { store { kind } quantity shelvedAt removedAt }
  ingredients { depth batch { lotCode product { name } } }
  ingredientEdges { outputID inputID quantity unit depth }
} }`

type traceResult struct {
	Trace *struct {
		Code, Serial string
		Recalled     bool
		Warnings     []struct{ Code, Message string }
		Batch        struct {
			LotCode, Status string
			Expired         bool
			Quantity        float64
			Unit            string
			Product         struct {
				Name, Category, Gtin     string
				StorageMinC, StorageMaxC float64
			}
			Producer struct{ Name, LicenseNo, RegionCode string }
			Facility struct {
				Kind         string
				Organization struct{ Name string }
			}
		}
		Inspections []struct {
			Result       string
			Lab          struct{ Kind string }
			Measurements []struct {
				Name         string
				Value        float64
				LimitMax     float64
				WithinLimits bool
			}
		}
		Journey []struct {
			ShipmentID        string
			From, To, Carrier struct{ Kind string }
			Quantity          float64
			Unit              string
			ColdChain         struct {
				Verdict                    string
				Readings                   int
				MinC, MaxC                 float64
				RequiredMinC, RequiredMaxC float64
			}
		}
		Shelf []struct {
			Store     struct{ Kind string }
			Quantity  float64
			RemovedAt *string
		}
		Ingredients []struct {
			Depth int
			Batch struct {
				LotCode string
				Product struct{ Name string }
			}
		}
		IngredientEdges []struct {
			OutputID, InputID string
			Quantity          float64
			Depth             int
		}
	}
}

func TestTrace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		p := a.porkChain()

		var got traceResult
		a.must(&got, traceQuery, map[string]any{"code": p.code})
		tr := got.Trace
		if tr == nil {
			t.Fatal("trace is null")
		}
		if tr.Serial != "1" || tr.Batch.LotCode != "LOIN-1" || tr.Batch.Status != "ACTIVE" || tr.Recalled {
			t.Errorf("trace head = %+v", tr)
		}
		if tr.Batch.Product.Category != "MEAT" || tr.Batch.Product.Gtin != p.gtin || tr.Batch.Product.StorageMaxC != 4 {
			t.Errorf("product = %+v", tr.Batch.Product)
		}
		if !strings.HasPrefix(tr.Batch.Producer.LicenseNo, "SC") || tr.Batch.Producer.RegionCode != "511802" || tr.Batch.Facility.Kind != "SLAUGHTERHOUSE" {
			t.Errorf("producer = %+v, facility %+v", tr.Batch.Producer, tr.Batch.Facility)
		}
		if len(tr.Inspections) != 1 || tr.Inspections[0].Result != "PASS" || len(tr.Inspections[0].Measurements) != 2 ||
			!tr.Inspections[0].Measurements[0].WithinLimits || tr.Inspections[0].Lab.Kind != "LAB" {
			t.Errorf("inspections = %+v", tr.Inspections)
		}
		if len(tr.Journey) != 2 {
			t.Fatalf("journey = %+v, want two legs", tr.Journey)
		}
		first, second := tr.Journey[0], tr.Journey[1]
		if first.ShipmentID != p.legToWarehouse || first.To.Kind != "WAREHOUSE" || first.ColdChain.Verdict != "OK" ||
			first.ColdChain.Readings != 3 || first.ColdChain.MaxC != 3.5 || first.Quantity != 200 {
			t.Errorf("first leg = %+v", first)
		}
		if second.ShipmentID != p.legToStore || second.From.Kind != "WAREHOUSE" || second.To.Kind != "STORE" ||
			second.ColdChain.Verdict != "EXCURSION" || second.ColdChain.MaxC != 9.2 || second.ColdChain.RequiredMaxC != 4 {
			t.Errorf("second leg = %+v", second)
		}
		if len(tr.Shelf) != 1 || tr.Shelf[0].Store.Kind != "STORE" || tr.Shelf[0].Quantity != 100 || tr.Shelf[0].RemovedAt != nil {
			t.Errorf("shelf = %+v", tr.Shelf)
		}
		lots := map[string]int{}
		for _, n := range tr.Ingredients {
			lots[n.Batch.LotCode] = n.Depth
		}
		if len(lots) != 3 || lots["CARC-1"] != 1 || lots["SALT-1"] != 1 || lots["PIG-1"] != 2 {
			t.Errorf("ingredients = %v, want carcass and salt at 1, pigs at 2", lots)
		}
		if len(tr.IngredientEdges) != 3 {
			t.Errorf("ingredient edges = %+v", tr.IngredientEdges)
		}
		// The fixed dates of the test lie in the past: the loin has expired.
		if len(tr.Warnings) != 2 || tr.Warnings[0].Code != "EXPIRED" || tr.Warnings[1].Code != "COLD_CHAIN_EXCURSION" ||
			!strings.Contains(tr.Warnings[1].Message, "WAREHOUSE") || !tr.Batch.Expired {
			t.Errorf("warnings = %+v, want expiry and the excursion", tr.Warnings)
		}

		t.Run("private facility", func(t *testing.T) {
			a.must(nil, `mutation($id: ID!) { updateFacility(id: $id, input: {public: false}) { id } }`, map[string]any{"id": p.warehouse})
			defer a.must(nil, `mutation($id: ID!) { updateFacility(id: $id, input: {public: true}) { id } }`, map[string]any{"id": p.warehouse})
			var got struct {
				Trace struct {
					Journey []struct {
						From, To struct {
							Name, Address, Kind, RegionCode string
							Public                          bool
						}
					}
				}
			}
			a.must(&got, `query($code: String!) { trace(code: $code) { journey {
			  from { name address kind regionCode public } to { name address kind regionCode public } } } }`, map[string]any{"code": p.code})
			var warn struct {
				Trace struct {
					Warnings []struct{ Code, Message string }
				}
			}
			a.must(&warn, `query($code: String!) { trace(code: $code) { warnings { code message } } }`, map[string]any{"code": p.code})
			for _, w := range warn.Trace.Warnings {
				if strings.Contains(w.Message, "WAREHOUSE of") {
					t.Errorf("a warning names the private warehouse: %q", w.Message)
				}
			}
			j := got.Trace.Journey
			if len(j) != 2 || j[0].To.Public || j[0].To.Name != "" || j[0].To.Address != "" || j[0].To.Kind != "WAREHOUSE" ||
				j[0].To.RegionCode != "511802" || j[1].From.Name != "" || !j[1].To.Public || j[1].To.Name == "" {
				t.Errorf("journey with a private warehouse = %+v", j)
			}
		})

		t.Run("digital link", func(t *testing.T) {
			for _, link := range []string{
				"https://id.example.com/01/" + p.gtin + "/10/LOIN-1",
				"https://id.example.com/01/" + p.gtin + "/10/LOIN-1/21/2?17=261231",
				"/01/" + p.gtin + "/10/LOIN-1",
			} {
				var got traceResult
				a.must(&got, traceQuery, map[string]any{"code": link})
				if got.Trace == nil || got.Trace.Batch.LotCode != "LOIN-1" {
					t.Errorf("%s traced to %+v", link, got.Trace)
				}
			}
		})
		t.Run("errors", func(t *testing.T) {
			bad := p.gtin[:13] + string('0'+(p.gtin[13]-'0'+1)%10)
			for _, tc := range []struct{ code, want string }{
				{"aaaaaaaaaaaaaaaaaaaa", "NOT_FOUND"},
				{"https://id.example.com/01/" + p.gtin + "/10/NO-SUCH-LOT", "NOT_FOUND"},
				{"https://id.example.com/01/" + p.gtin + "/10/LOIN-1/21/999", "NOT_FOUND"},
				{"https://id.example.com/01/" + bad + "/10/LOIN-1", "INVALID_GTIN"},
				{"https://id.example.com/01/" + p.gtin + "/21/1/10/LOIN-1", "INVALID_DIGITAL_LINK"},
				{"", "BAD_USER_INPUT"},
				{strings.Repeat("x", 3000), "BAD_USER_INPUT"},
			} {
				r := a.do(traceQuery, map[string]any{"code": tc.code})
				if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.want || string(r.Data) != `{"trace":null}` {
					t.Errorf("trace(%.40q) = %s, want null and %s", tc.code, r.Raw, tc.want)
				}
			}
		})
	})
}

const lineageQuery = `query($id: ID!, $dir: TraceDirection!, $depth: Int) { lineage(batchId: $id, direction: $dir, maxDepth: $depth) {
  direction maxDepth truncated root { lotCode }
  nodes { depth batch { lotCode product { name } producer { name } } }
  edges { outputID inputID quantity unit depth }
  shipments { shipmentID batchID to { kind } quantity }
  shelfEvents { batchID store { kind } quantity }
} }`

type lineageResult struct {
	Lineage struct {
		Direction string
		MaxDepth  int
		Truncated bool
		Root      struct{ LotCode string }
		Nodes     []struct {
			Depth int
			Batch struct{ LotCode string }
		}
		Edges []struct {
			OutputID, InputID string
			Quantity          float64
			Depth             int
		}
		Shipments []struct {
			ShipmentID, BatchID string
			To                  struct{ Kind string }
			Quantity            float64
		}
		ShelfEvents []struct {
			BatchID  string
			Quantity float64
		}
	}
}

func (l lineageResult) depths() map[string]int {
	m := map[string]int{}
	for _, n := range l.Lineage.Nodes {
		m[n.Batch.LotCode] = n.Depth
	}
	return m
}

func TestLineage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		p := a.porkChain()
		// A diamond: mince made from the loin and the carcass, both of
		// which come from the pigs.
		mince := a.batch(p.chain.pork, p.plant, "MINCE-1", 20, "KG", day(1.6), item(p.loin, 10, "KG"), item(p.carcass, 10, "KG"))

		var up lineageResult
		a.must(&up, lineageQuery, map[string]any{"id": mince, "dir": "UPSTREAM"})
		if d := up.depths(); len(d) != 4 || d["LOIN-1"] != 1 || d["CARC-1"] != 1 || d["SALT-1"] != 2 || d["PIG-1"] != 2 {
			t.Errorf("upstream of mince = %v; want loin and carcass at 1, salt and pigs at 2, each once", d)
		}
		if len(up.Lineage.Edges) != 5 || up.Lineage.MaxDepth != 10 || up.Lineage.Truncated || len(up.Lineage.Shipments) != 0 {
			t.Errorf("upstream = %+v", up.Lineage)
		}

		var down lineageResult
		a.must(&down, lineageQuery, map[string]any{"id": p.pigs, "dir": "DOWNSTREAM"})
		if d := down.depths(); len(d) != 3 || d["CARC-1"] != 1 || d["LOIN-1"] != 2 || d["MINCE-1"] != 2 {
			t.Errorf("downstream of pigs = %v", d)
		}
		// The pigs' own trip, and the loin's two.
		if len(down.Lineage.Shipments) != 3 || len(down.Lineage.ShelfEvents) != 1 || down.Lineage.ShelfEvents[0].Quantity != 100 {
			t.Errorf("downstream movements = %+v / %+v", down.Lineage.Shipments, down.Lineage.ShelfEvents)
		}

		var short lineageResult
		a.must(&short, lineageQuery, map[string]any{"id": p.pigs, "dir": "DOWNSTREAM", "depth": 1})
		if d := short.depths(); len(d) != 1 || !short.Lineage.Truncated {
			t.Errorf("depth 1 = %v truncated %v; want the carcass only, truncated", d, short.Lineage.Truncated)
		}

		// Bad data with a cycle (the pigs made from the mince) cannot loop:
		// the walk stops at the depth bound, each batch appears once, and
		// nothing lies beyond what it found.
		if _, err := db.SQL.Exec(`INSERT INTO batch_inputs (output_id, input_id, quantity, unit, created_at) VALUES (?, ?, 1, 'KG', ?)`, p.pigs, mince, day(5)); err != nil {
			t.Fatal(err)
		}
		var cyc lineageResult
		a.must(&cyc, lineageQuery, map[string]any{"id": p.pigs, "dir": "DOWNSTREAM", "depth": 20})
		if d := cyc.depths(); len(d) != 3 || cyc.Lineage.Truncated || len(cyc.Lineage.Edges) != 5 {
			t.Errorf("with a cycle: %v truncated %v, %d edges", d, cyc.Lineage.Truncated, len(cyc.Lineage.Edges))
		}

		a.fails("BAD_USER_INPUT", "maxDepth", lineageQuery, map[string]any{"id": p.pigs, "dir": "UPSTREAM", "depth": 21})
		a.fails("BAD_USER_INPUT", "maxDepth", lineageQuery, map[string]any{"id": p.pigs, "dir": "UPSTREAM", "depth": 0})
		a.fails("NOT_FOUND", "batchID", lineageQuery, map[string]any{"id": 12345, "dir": "UPSTREAM"})
	})
}

const impactQuery = `query($id: ID!) { recallImpact(batchId: $id) {
  root { lotCode } truncated facilities stores
  batches { depth batch { lotCode } }
  places { facility { kind } batch { lotCode } unit shippedOut received inTransit inStock onShelf removed outstanding }
  outstanding { quantity unit } onShelf { quantity unit }
} }`

type impactResult struct {
	RecallImpact struct {
		Facilities, Stores int
		Batches            []struct{ Batch struct{ LotCode string } }
		Places             []struct {
			Facility                                                                struct{ Kind string }
			Batch                                                                   struct{ LotCode string }
			Unit                                                                    string
			ShippedOut, Received, InTransit, InStock, OnShelf, Removed, Outstanding float64
		}
		Outstanding, OnShelf []struct {
			Quantity float64
			Unit     string
		}
	}
}

func TestRecallImpact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		p := a.porkChain()
		var got impactResult
		a.must(&got, impactQuery, map[string]any{"id": p.carcass})
		im := got.RecallImpact
		places := map[string]string{}
		for _, pl := range im.Places {
			places[pl.Batch.LotCode+"@"+pl.Facility.Kind] = fmt.Sprintf("out %g in %g transit %g stock %g shelf %g removed %g",
				pl.ShippedOut, pl.Received, pl.InTransit, pl.InStock, pl.OnShelf, pl.Removed)
		}
		want := map[string]string{
			// 800 kg of carcasses made, 400 kg used for the loin.
			"CARC-1@SLAUGHTERHOUSE": "out 0 in 0 transit 0 stock 400 shelf 0 removed 0",
			// 300 kg of loin made, 200 kg shipped to the warehouse.
			"LOIN-1@SLAUGHTERHOUSE": "out 200 in 0 transit 0 stock 100 shelf 0 removed 0",
			"LOIN-1@WAREHOUSE":      "out 150 in 200 transit 0 stock 50 shelf 0 removed 0",
			"LOIN-1@STORE":          "out 0 in 150 transit 0 stock 50 shelf 100 removed 0",
		}
		for k, v := range want {
			if places[k] != v {
				t.Errorf("%s: %s, want %s", k, places[k], v)
			}
		}
		if len(places) != len(want) {
			t.Errorf("places = %v", places)
		}
		if im.Stores != 1 || im.Facilities != 3 || len(im.Batches) != 1 {
			t.Errorf("totals: %d stores, %d facilities, %d batches", im.Stores, im.Facilities, len(im.Batches))
		}
		if len(im.Outstanding) != 1 || im.Outstanding[0].Quantity != 700 || im.Outstanding[0].Unit != "KG" ||
			len(im.OnShelf) != 1 || im.OnShelf[0].Quantity != 100 {
			t.Errorf("outstanding %+v on shelf %+v; want 700 kg and 100 kg", im.Outstanding, im.OnShelf)
		}
	})
}
