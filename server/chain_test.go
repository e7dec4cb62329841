package server_test

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"suyuan/ent/organization"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
)

// TestPorkChainAsEachParty records a whole pork chain through the HTTP
// API, each step as the party who does it — with its own STAFF login, not
// the administrator's, which only registers the organisations — and then
// checks what each of them, a shopper and the regulator see:
//
//	farm: PIG-1 (10 HEAD) ──pigsTrip──▶ plant: CARC-1 (04:00 China time) ─┬▶ LOIN-A ──doorTrip (door opened once)──▶ store
//	                                                                         └▶ LOIN-B ──warmTrip (40 min above 4 °C)─▶ store
//	plant: LOIN-OLD ──lateTrip (three days ago; its logger file uploaded late)──▶ store
//
// The laboratory inspects LOIN-A (TVB-N); the regulator of Ya'an reads
// the alerts, its dashboard and the FSMA 204 export.
func TestPorkChainAsEachParty(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		admin := newConsumerAPI(t, db).api

		// The platform registers the organisations and gives each a
		// STAFF account; from here on each party records its own work.
		farmOrg, plantOrg, carrierOrg := admin.org("PRODUCER"), admin.org("PROCESSOR"), admin.org("CARRIER")
		shopOrg, labOrg := admin.org("RETAILER"), admin.org("LAB")
		farm, plant, carrier := admin.staff(farmOrg), admin.staff(plantOrg), admin.staff(carrierOrg)
		shop, lab := admin.staff(shopOrg), admin.staff(labOrg)
		regulator := chainRegulator(admin, "511800") // Ya'an; every facility is in 511802
		shopper := admin.as("")

		// t0 is 04:00 China time, two days ago: the slaughter. Everything
		// is recent, so that no lot has expired.
		cst := time.FixedZone("CST", 8*60*60)
		local := time.Now().In(cst)
		t0 := time.Date(local.Year(), local.Month(), local.Day()-2, 4, 0, 0, 0, cst).UTC()
		at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

		// The farm: its farm, its pigs, and a second lot it keeps.
		farmFac := farm.facility(farmOrg, "FARM")
		pigsProduct := farm.product(farmOrg, "生猪 Live pigs", "HEAD")
		t.Run("a fraction of a pig is refused, and nothing stored", func(t *testing.T) {
			farm := farm.forTest(t)
			before := farm.count("batches")
			farm.fails("INVALID_QUANTITY", "quantity", createBatch, map[string]any{"in": map[string]any{
				"productID": pigsProduct, "facilityID": farmFac, "lotCode": "PIG-HALF", "producedAt": at(-30), "quantity": 40.5, "unit": "HEAD"}})
			if n := farm.count("batches"); n != before {
				t.Errorf("the refused lot wrote %d batches", n-before)
			}
		})
		pigs := farm.batch(pigsProduct, farmFac, "PIG-1", 10, "HEAD", at(-30))
		otherPigs := farm.batch(pigsProduct, farmFac, "PIG-2", 5, "HEAD", at(-30))

		// The plant, and the pigs' trip: the farm dispatches them with the
		// carrier, the plant receives them.
		plantFac := plant.facility(plantOrg, "SLAUGHTERHOUSE")
		porkProduct := plant.product(plantOrg, "冷鲜猪里脊 Chilled pork loin", "KG")
		pigsTrip := farm.ship(carrierOrg, farmFac, plantFac, at(-6), time.Time{}, item(pigs, 10, "HEAD"))
		plant.must(nil, recordArrival, map[string]any{"id": pigsTrip, "at": at(-2), "ok": true})

		// Slaughter at 04:00 China time (20:00 UTC the day before), then
		// two loin lots from the carcasses; and an older lot of loin.
		carcass := plant.batch(porkProduct, plantFac, "CARC-1", 800, "KG", at(0), item(pigs, 10, "HEAD"))
		loinA := plant.batch(porkProduct, plantFac, "LOIN-A", 300, "KG", at(2), item(carcass, 350, "KG"))
		loinB := plant.batch(porkProduct, plantFac, "LOIN-B", 300, "KG", at(2), item(carcass, 350, "KG"))
		loinOld := plant.batch(porkProduct, plantFac, "LOIN-OLD", 100, "KG", at(-32))

		// The carrier takes the loin to the supermarket's store: LOIN-A
		// with the door opened once at a stop (one reading of 6.8 °C, sent
		// by the logger as 44.24 °F), LOIN-B with 40 minutes above 4 °C.
		// LOIN-OLD went three days ago; its logger is not read yet.
		store := shop.facility(shopOrg, "STORE")
		doorTrip := carrier.ship(carrierOrg, plantFac, store, at(4), time.Time{}, item(loinA, 200, "KG"))
		warmTrip := carrier.ship(carrierOrg, plantFac, store, at(4), time.Time{}, item(loinB, 200, "KG"))
		lateTrip := carrier.ship(carrierOrg, plantFac, store, at(-31), time.Time{}, item(loinOld, 50, "KG"))
		carrier.chainReadings(doorTrip, at(4), 2.0, 2.5, 3.0, fahrenheit(44.24), 3.1, 2.8, 2.6)
		carrier.chainReadings(warmTrip, at(4), 2.0, 6.5, 7.0, 7.2, 6.9, 6.1, 3.0) // 6.5 … 6.1: 40 minutes above 4 °C

		// The supermarket receives the three trips and shelves the loin.
		shop.must(nil, recordArrival, map[string]any{"id": doorTrip, "at": at(6), "ok": true})
		shop.must(nil, recordArrival, map[string]any{"id": warmTrip, "at": at(6), "ok": true})
		shop.must(nil, recordArrival, map[string]any{"id": lateTrip, "at": at(-29), "ok": true})
		shelve := func(batch string, when time.Time) map[string]any {
			return map[string]any{"in": map[string]any{"facilityID": store, "batchID": batch, "quantity": 100, "unit": "KG", "shelvedAt": when}}
		}
		t.Run("shelving before the shipment arrived is refused, and nothing stored", func(t *testing.T) {
			shop := shop.forTest(t)
			before := shop.count("shelf_events")
			shop.fails("INVALID_TIME_ORDER", "shelvedAt", shelveBatch, shelve(loinA, at(5)))
			if n := shop.count("shelf_events"); n != before {
				t.Errorf("the refused shelving wrote %d shelf events", n-before)
			}
		})
		shop.must(nil, shelveBatch, shelve(loinA, at(7)))
		shop.must(nil, shelveBatch, shelve(loinB, at(7)))

		// The laboratory inspects LOIN-A.
		var insp struct{ RecordInspection struct{ ID string } }
		lab.must(&insp, recordInspection, map[string]any{"in": map[string]any{
			"batchID": loinA, "labID": labOrg, "inspectedAt": at(3), "result": "PASS",
			"measurements": []any{map[string]any{"name": "TVB-N", "value": 9.8, "unit": "mg/100g", "limitMax": 15}}}})

		// The plant labels its loin with trace codes.
		codeA, codeB := plant.chainCode(loinA), plant.chainCode(loinB)

		t.Run("the shopper", func(t *testing.T) {
			shopper := shopper.forTest(t)
			const q = `query($code: String!) { trace(code: $code) { batch { lotCode } warnings { code message }
			  inspections { measurements { name value withinLimits } }
			  journey { shipmentID coldChain { verdict readings minC maxC breaches minutesOutOfRange } } } }`
			type leg struct {
				ShipmentID string
				ColdChain  struct {
					Verdict           string
					Readings          int
					MinC, MaxC        float64
					Breaches          []string
					MinutesOutOfRange float64
				}
			}
			var r struct {
				Trace struct {
					Batch       struct{ LotCode string }
					Warnings    []struct{ Code, Message string }
					Inspections []struct {
						Measurements []struct {
							Name         string
							Value        float64
							WithinLimits bool
						}
					}
					Journey []leg
				}
			}
			// Float noise such as 6.800000000000001 or 7.199999999999999.
			noise := regexp.MustCompile(`\d\.\d*(0000000|9999999)\d`)
			pages := func(code string) (html, doc page) {
				html = shopper.fetch("GET", "/t/"+code, "Accept", browserAccept)
				doc = shopper.fetch("GET", "/t/"+code, "Accept", "application/json")
				if html.Status != 200 || doc.Status != 200 {
					t.Fatalf("consumer page %d, JSON %d: %s", html.Status, doc.Status, doc.Body)
				}
				for _, p := range []page{html, doc} {
					if m := noise.FindString(p.Body); m != "" {
						t.Errorf("an unrounded temperature %q in %s", m, p.Body)
					}
				}
				return html, doc
			}

			t.Run("the door opened once: cold chain OK, no warning", func(t *testing.T) {
				shopper.must(&r, q, map[string]any{"code": codeA})
				tr := r.Trace
				if tr.Batch.LotCode != "LOIN-A" || len(tr.Journey) != 1 || tr.Journey[0].ShipmentID != doorTrip {
					t.Fatalf("trace of LOIN-A: %+v", tr)
				}
				cc := tr.Journey[0].ColdChain
				if cc.Verdict != "OK" || len(cc.Breaches) != 0 || cc.MinutesOutOfRange != 0 || cc.Readings != 7 || cc.MaxC != 6.8 || len(tr.Warnings) != 0 {
					t.Errorf("cold chain %+v, warnings %+v", cc, tr.Warnings)
				}
				if len(tr.Inspections) != 1 || len(tr.Inspections[0].Measurements) != 1 ||
					tr.Inspections[0].Measurements[0].Name != "TVB-N" || tr.Inspections[0].Measurements[0].Value != 9.8 ||
					!tr.Inspections[0].Measurements[0].WithinLimits {
					t.Errorf("inspections %+v", tr.Inspections)
				}
				html, doc := pages(codeA)
				if strings.Contains(html.Body, `id="alert"`) || !strings.Contains(html.Body, "冷链正常") || !strings.Contains(html.Body, "6.8 °C") {
					t.Errorf("consumer page:\n%s", html.Body)
				}
				for _, want := range []string{`"verdict":"OK"`, `"maxC":6.8,`, `"breaches":[]`, `"warnings":[]`} {
					if !strings.Contains(doc.Body, want) {
						t.Errorf("JSON lacks %s: %s", want, doc.Body)
					}
				}
			})

			t.Run("the sustained excursion: EXCURSION, its rule and minutes", func(t *testing.T) {
				shopper.must(&r, q, map[string]any{"code": codeB})
				tr := r.Trace
				if tr.Batch.LotCode != "LOIN-B" || len(tr.Journey) != 1 || tr.Journey[0].ShipmentID != warmTrip {
					t.Fatalf("trace of LOIN-B: %+v", tr)
				}
				cc := tr.Journey[0].ColdChain
				if cc.Verdict != "EXCURSION" || !slices.Equal(cc.Breaches, []string{"SUSTAINED_EXCURSION"}) || cc.MinutesOutOfRange != 40 || cc.MaxC != 7.2 {
					t.Errorf("cold chain %+v", cc)
				}
				if len(tr.Warnings) != 1 || tr.Warnings[0].Code != "COLD_CHAIN_EXCURSION" ||
					!strings.Contains(tr.Warnings[0].Message, "sustained excursion") || !strings.Contains(tr.Warnings[0].Message, "40 min") {
					t.Errorf("warnings %+v", tr.Warnings)
				}
				html, doc := pages(codeB)
				for _, want := range []string{`id="alert"`, "持续超标", "超出范围共 40 分钟", "最高 7.2 °C"} {
					if !strings.Contains(html.Body, want) {
						t.Errorf("consumer page lacks %q:\n%s", want, html.Body)
					}
				}
				for _, want := range []string{`"verdict":"EXCURSION"`, `"breaches":["SUSTAINED_EXCURSION"],"minutesOutOfRange":40`, `"code":"COLD_CHAIN_EXCURSION"`} {
					if !strings.Contains(doc.Body, want) {
						t.Errorf("JSON lacks %s: %s", want, doc.Body)
					}
				}
			})
		})

		t.Run("late logger data is screened by the next background run", func(t *testing.T) {
			carrier, regulator := carrier.forTest(t), regulator.forTest(t)
			ran := backgroundScreener(t, db)
			// trips lists the carrier's alerts by shipment.
			trips := func(c *api) map[string][]string {
				m := map[string][]string{}
				for _, al := range c.alerts() {
					if al.Shipment != nil {
						m[al.Shipment.ID] = append(m[al.Shipment.ID], al.Kind)
					}
				}
				return m
			}

			ran(time.Now())
			got := trips(carrier)
			if !slices.Equal(got[warmTrip], []string{"SUSTAINED_EXCURSION"}) || len(got[doorTrip]) != 0 || len(got[lateTrip]) != 0 {
				t.Fatalf("the carrier's alerts before the logger file: %v (door %s, warm %s, late %s)", got, doorTrip, warmTrip, lateTrip)
			}

			// The logger file of the trip three days ago, uploaded now with
			// its own times: 40 minutes above 4 °C.
			carrier.chainReadings(lateTrip, at(-31), 2.0, 6.5, 7.0, 7.2, 6.9, 6.1, 3.0)
			ran(time.Now())
			for who, c := range map[string]*api{"carrier": carrier, "regulator": regulator} {
				got := trips(c)
				if !slices.Equal(got[lateTrip], []string{"SUSTAINED_EXCURSION"}) || !slices.Equal(got[warmTrip], []string{"SUSTAINED_EXCURSION"}) || len(got[doorTrip]) != 0 {
					t.Errorf("the %s's alerts after the logger file: %v (door %s, warm %s, late %s)", who, got, doorTrip, warmTrip, lateTrip)
				}
			}
			// The regulator's dashboard counts both.
			var d dashboardData
			regulator.must(&d, dashboardQuery, map[string]any{
				"from": t0.Add(-5 * 24 * time.Hour).Format(time.RFC3339), "to": time.Now().UTC().Format(time.RFC3339)})
			n := 0
			for _, k := range d.Dashboard.AlertsByKind {
				if k.Kind == "SUSTAINED_EXCURSION" {
					n += k.Count
				}
			}
			if n != 2 || d.Dashboard.Totals.Shipments != 4 {
				t.Errorf("dashboard: %d sustained excursions, %d shipments; want 2 and 4: %+v", n, d.Dashboard.Totals.Shipments, d.Dashboard)
			}
		})

		t.Run("FSMA 204 export", func(t *testing.T) {
			events := func(c *api, lot string) (int, map[string]int) {
				status, recs := c.forTest(t).csv("/export/fsma204.csv?lot=" + lot)
				n := map[string]int{}
				if status == 200 {
					for _, r := range recs[1:] {
						n[r[0]+" "+r[2]]++
					}
				}
				return status, n
			}
			t.Run("the transformation rows", func(t *testing.T) {
				status, recs := regulator.forTest(t).csv("/export/fsma204.csv?lot=" + loinA)
				if status != 200 {
					t.Fatalf("the regulator's export: %d %v", status, recs)
				}
				col := map[string]int{}
				for i, h := range recs[0] {
					col[h] = i
				}
				var carc, loin [][]string
				for _, r := range recs[1:] {
					if r[0] != "TRANSFORMATION" {
						continue
					}
					switch r[col["Traceability Lot Code"]] {
					case "CARC-1":
						carc = append(carc, r)
					case "LOIN-A":
						loin = append(loin, r)
					}
				}
				if len(carc) != 1 || len(loin) != 1 {
					t.Fatalf("transformations: carcass %v, loin %v", carc, loin)
				}
				slaughter := t0.In(cst).Format("2006-01-02") + "T04:00:00+08:00"
				if c := carc[0]; c[col["Quantity"]] != "800" || c[col["Unit of Measure"]] != "KG" || c[col["Event Date"]] != slaughter ||
					c[col["Input Traceability Lot Code"]] != "PIG-1" || c[col["Input Quantity"]] != "10" || c[col["Input Unit of Measure"]] != "HEAD" {
					t.Errorf("carcass row %v; want 800 KG on %s from 10 HEAD of PIG-1", c, slaughter)
				}
				if l := loin[0]; l[col["Quantity"]] != "300" || l[col["Input Traceability Lot Code"]] != "CARC-1" || l[col["Input Quantity"]] != "350" {
					t.Errorf("loin row %v; want 300 KG from 350 KG of CARC-1", l)
				}
			})
			t.Run("each firm downloads its own events", func(t *testing.T) {
				for _, c := range []struct {
					who    string
					as     *api
					lot    string
					status int
					want   map[string]int
				}{
					{"the plant", plant, loinA, 200, map[string]int{"RECEIVING PIG-1": 1, "TRANSFORMATION CARC-1": 1, "TRANSFORMATION LOIN-A": 1, "SHIPPING LOIN-A": 1}},
					{"the carrier", carrier, loinA, 200, map[string]int{"SHIPPING PIG-1": 1, "RECEIVING PIG-1": 1, "SHIPPING LOIN-A": 1, "RECEIVING LOIN-A": 1}},
					{"the retailer", shop, loinA, 200, map[string]int{"RECEIVING LOIN-A": 1}},
					{"the farm", farm, pigs, 200, map[string]int{"SHIPPING PIG-1": 1}},
					{"the farm, of the loin", farm, loinA, 404, nil},
					{"the retailer, of the pigs", shop, pigs, 404, nil},
					{"the regulator", regulator, loinA, 200, map[string]int{"SHIPPING PIG-1": 1, "RECEIVING PIG-1": 1, "TRANSFORMATION CARC-1": 1,
						"TRANSFORMATION LOIN-A": 1, "SHIPPING LOIN-A": 1, "RECEIVING LOIN-A": 1}},
				} {
					status, got := events(c.as, c.lot)
					if status != c.status || (c.want != nil && !maps.Equal(got, c.want)) {
						t.Errorf("%s: %d %v, want %d %v", c.who, status, got, c.status, c.want)
					}
				}
			})
		})

		t.Run("each party sees what its work needs", func(t *testing.T) {
			type fac struct{ Name, Address, Kind string }
			var sh struct {
				Node struct {
					Carrier                  struct{ Name, Kind string }
					FromFacility, ToFacility fac
				}
			}
			const shipmentQ = `query($id: ID!) { node(id: $id) { ... on Shipment { carrier { name kind }
			  fromFacility { name address kind } toFacility { name address kind } } } }`

			t.Run("the carrier reads where to collect and deliver", func(t *testing.T) {
				carrier.forTest(t).must(&sh, shipmentQ, map[string]any{"id": doorTrip})
				from, to := sh.Node.FromFacility, sh.Node.ToFacility
				if from.Name != "SLAUGHTERHOUSE of "+plantOrg || from.Address != "雨城区 1号" || to.Name != "STORE of "+shopOrg || to.Address != "雨城区 1号" {
					t.Errorf("the carrier's shipment: from %+v, to %+v", from, to)
				}
			})
			t.Run("the store reads who sent it and who carried it", func(t *testing.T) {
				shop.forTest(t).must(&sh, shipmentQ, map[string]any{"id": doorTrip})
				if sh.Node.FromFacility.Name != "SLAUGHTERHOUSE of "+plantOrg || sh.Node.Carrier.Kind != "CARRIER" || sh.Node.Carrier.Name == "" {
					t.Errorf("the store's shipment: from %+v, carrier %+v", sh.Node.FromFacility, sh.Node.Carrier)
				}
			})
			t.Run("the laboratory lists its inspections with their lots", func(t *testing.T) {
				var out struct {
					Inspections struct {
						Edges []struct {
							Node struct {
								ID    string
								Batch *struct {
									LotCode string
									Product struct{ Name string }
								}
							}
						}
					}
				}
				lab.forTest(t).must(&out, `{ inspections { edges { node { id batch { lotCode product { name } } } } } }`, nil)
				e := out.Inspections.Edges
				if len(e) != 1 || e[0].Node.ID != insp.RecordInspection.ID || e[0].Node.Batch == nil ||
					e[0].Node.Batch.LotCode != "LOIN-A" || e[0].Node.Batch.Product.Name == "" {
					t.Errorf("the laboratory's inspections: %+v", e)
				}
			})
			t.Run("the farm follows its pigs downstream", func(t *testing.T) {
				var l lineageResult
				farm.forTest(t).must(&l, lineageQuery, map[string]any{"id": pigs, "dir": "DOWNSTREAM"})
				var lots []string
				for _, n := range l.Lineage.Nodes {
					lots = append(lots, n.Batch.LotCode)
				}
				slices.Sort(lots)
				if !slices.Equal(lots, []string{"CARC-1", "LOIN-A", "LOIN-B"}) {
					t.Errorf("the farm's pigs went into %v", lots)
				}
			})
			t.Run("refusals both ways", func(t *testing.T) {
				// The store does not read the farm's lots, the one it never
				// held nor the one its loin was made from.
				shop := shop.forTest(t)
				for _, lot := range []string{otherPigs, pigs} {
					shop.fails("NOT_FOUND", "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": lot})
				}
				// The farm does not read the plant's trips to the store.
				farm.forTest(t).fails("NOT_FOUND", "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": doorTrip})
				// Nor the laboratory the carrier's.
				lab.forTest(t).fails("NOT_FOUND", "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": warmTrip})
			})
		})
	})
}

// chainReadings uploads a trip's readings, ten minutes apart from start;
// a fahrenheit value is sent in °F.
func (a *api) chainReadings(ship string, start time.Time, temps ...any) {
	a.t.Helper()
	var rs []any
	for i, x := range temps {
		r := map[string]any{"recordedAt": start.Add(time.Duration(i) * 10 * time.Minute)}
		if f, ok := x.(fahrenheit); ok {
			r["temperature"], r["temperatureUnit"] = float64(f), "F"
		} else {
			r["temperature"] = x
		}
		rs = append(rs, r)
	}
	a.must(nil, `mutation($in: AddSensorReadingsInput!) { addSensorReadings(input: $in) { count } }`,
		map[string]any{"in": map[string]any{"shipmentID": ship, "readings": rs}})
}

// chainCode issues one trace code for a lot.
func (a *api) chainCode(batch string) string {
	a.t.Helper()
	var out struct{ IssueTraceCodes []struct{ Code string } }
	a.must(&out, `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code } }`,
		map[string]any{"in": map[string]any{"batchID": batch, "count": 1}})
	return out.IssueTraceCodes[0].Code
}

// chainRegulator logs in a REGULATOR of a new regulator of region,
// registered directly in the database as the other tests' regulators are.
func chainRegulator(a *api, region string) *api {
	a.t.Helper()
	*a.seq++
	o, err := a.db.Client.Organization.Create().SetName("Bureau " + region).SetKind(organization.KindREGULATOR).
		SetCreditCode(creditCode(a.t, 8000000+*a.seq)).SetRegionCode(region).Save(tenancy.System(context.Background()))
	if err != nil {
		a.t.Fatal(err)
	}
	return a.as(a.login(a.account(o.ID, "REGULATOR")))
}
