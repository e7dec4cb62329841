package server_test

import (
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestRoundTrip records a producer → batch → shipment → shelf chain through
// HTTP and reads it back from the producer down to the shelf.
func TestRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{Development: true})
		c := a.newChain()

		pigs := a.batch(c.pigs, c.farm, "PIG-2026-001", 10, "HEAD", day(0))
		a.ship(c.carrierOrg, c.farm, c.plant, day(1), day(1.1), item(pigs, 10, "HEAD"))

		var made struct {
			CreateBatch struct {
				ID        string
				Quantity  float64
				Unit      string
				ExpiresAt string
			}
		}
		a.must(&made, createBatch, map[string]any{"in": map[string]any{
			"productID": c.pork, "facilityID": c.plant, "lotCode": "LOIN-0302",
			"producedAt": day(1.5), "quantity": 400.5, "unit": "KG",
			"inputs": []any{item(pigs, 10, "HEAD")},
		}})
		pork := made.CreateBatch.ID
		if got, want := made.CreateBatch.ExpiresAt, day(8.5).Format("2006-01-02T15:04:05Z07:00"); got != want {
			t.Errorf("expiresAt = %s, want %s (produced + 7 days shelf life)", got, want)
		}

		ship := a.ship(c.carrierOrg, c.plant, c.store, day(2), day(2.2), item(pork, 120500, "G"))
		a.must(nil, `mutation($in: AddSensorReadingsInput!) { addSensorReadings(input: $in) { count } }`,
			map[string]any{"in": map[string]any{"shipmentID": ship, "readings": []any{
				map[string]any{"recordedAt": day(2.05), "temperature": 2.5},
				map[string]any{"recordedAt": day(2.1), "temperature": 37.4, "temperatureUnit": "F"},
			}}})
		a.must(nil, shelveBatch, map[string]any{"in": map[string]any{
			"facilityID": c.store, "batchID": pork, "quantity": 100, "unit": "KG", "shelvedAt": day(2.5)}})
		a.must(nil, `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"batchID": pork, "labID": c.labOrg, "inspectedAt": day(1.8), "result": "PASS",
				"measurements": []any{map[string]any{"name": "TVB-N", "value": 9.8, "unit": "mg/100g", "limitMax": 15}}}})
		var codes struct {
			IssueTraceCodes []struct{ Code, Serial string }
		}
		a.must(&codes, `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code serial } }`,
			map[string]any{"in": map[string]any{"batchID": pork, "count": 3, "serialized": true}})
		if len(codes.IssueTraceCodes) != 3 || codes.IssueTraceCodes[2].Serial != "3" || len(codes.IssueTraceCodes[0].Code) != 20 {
			t.Errorf("trace codes = %+v, want 3 serialised 20-character codes", codes.IssueTraceCodes)
		}

		var got struct {
			Organizations struct {
				Edges []struct {
					Node struct {
						Name    string
						Batches struct {
							Edges []struct {
								Node struct {
									LotCode string
									Inputs  struct {
										Edges []struct {
											Node struct {
												Quantity float64
												Input    struct{ LotCode string }
											}
										}
									}
									ShipmentItems struct {
										Edges []struct {
											Node struct {
												Quantity float64
												Unit     string
												Shipment struct {
													Status         string
													SensorReadings struct {
														Edges []struct {
															Node struct{ TemperatureC float64 }
														}
													}
													ToFacility struct {
														Kind        string
														ShelfEvents struct {
															Edges []struct {
																Node struct {
																	Quantity float64
																	Batch    struct{ LotCode string }
																}
															}
														}
													}
												}
											}
										}
									}
									Inspections struct {
										Edges []struct {
											Node struct {
												Result       string
												Measurements []struct {
													Name  string
													Value float64
												}
											}
										}
									}
									Stocks struct {
										Edges []struct {
											Node struct {
												Quantity float64
												Facility struct{ Kind string }
											}
										}
									}
								}
							}
						}
					}
				}
			}
		}
		a.must(&got, `query($id: ID!) {
		  organizations(where: {id: $id}) { edges { node { name
		    batches(first: 5) { edges { node { lotCode
		      inputs(first: 5) { edges { node { quantity input { lotCode } } } }
		      shipmentItems(first: 5) { edges { node { quantity unit
		        shipment { status
		          sensorReadings(first: 10, orderBy: {field: RECORDED_AT}) { edges { node { temperatureC } } }
		          toFacility { kind shelfEvents(first: 5) { edges { node { quantity batch { lotCode } } } } } } } } }
		      inspections(first: 5) { edges { node { result measurements { name value } } } }
		      stocks(first: 5, orderBy: {field: QUANTITY}) { edges { node { quantity facility { kind } } } }
		    } } } } } } }`, map[string]any{"id": c.plantOrg})

		orgs := got.Organizations.Edges
		if len(orgs) != 1 || len(orgs[0].Node.Batches.Edges) != 1 {
			t.Fatalf("want the processor with one batch, got %+v", orgs)
		}
		b := orgs[0].Node.Batches.Edges[0].Node
		if b.LotCode != "LOIN-0302" || len(b.Inputs.Edges) != 1 || b.Inputs.Edges[0].Node.Input.LotCode != "PIG-2026-001" {
			t.Errorf("batch lineage = %+v", b)
		}
		if len(b.ShipmentItems.Edges) != 1 {
			t.Fatalf("shipment items = %+v", b.ShipmentItems)
		}
		it := b.ShipmentItems.Edges[0].Node
		if it.Quantity != 120500 || it.Unit != "G" || it.Shipment.Status != "DELIVERED" || it.Shipment.ToFacility.Kind != "STORE" {
			t.Errorf("shipment item = %+v", it)
		}
		r := it.Shipment.SensorReadings.Edges
		if len(r) != 2 || r[0].Node.TemperatureC != 2.5 || r[1].Node.TemperatureC < 2.99 || r[1].Node.TemperatureC > 3.01 {
			t.Errorf("readings = %+v, want 2.5 °C and 37.4 °F = 3 °C", r)
		}
		shelf := it.Shipment.ToFacility.ShelfEvents.Edges
		if len(shelf) != 1 || shelf[0].Node.Quantity != 100 || shelf[0].Node.Batch.LotCode != "LOIN-0302" {
			t.Errorf("shelf = %+v", shelf)
		}
		if ins := b.Inspections.Edges; len(ins) != 1 || ins[0].Node.Result != "PASS" || ins[0].Node.Measurements[0].Value != 9.8 {
			t.Errorf("inspections = %+v", ins)
		}
		// 400.5 kg made; 120.5 kg shipped to the store, of which 100 kg shelved.
		st := b.Stocks.Edges
		if len(st) != 2 || st[0].Node.Quantity != 20.5 || st[0].Node.Facility.Kind != "STORE" ||
			st[1].Node.Quantity != 280 || st[1].Node.Facility.Kind != "SLAUGHTERHOUSE" {
			t.Errorf("stocks = %+v, want 20.5 kg at the store and 280 kg at the plant", st)
		}
	})
}

// TestRecordedRowsLoadTheirEdges: what a recording returns can be asked
// for its related rows, after its transaction has ended.
func TestRecordedRowsLoadTheirEdges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		var b struct {
			CreateBatch struct {
				ID      string
				Product struct{ ID string }
			}
		}
		a.must(&b, `mutation($in: CreateBatchInput!) { createBatch(input: $in) { id product { id } } }`, map[string]any{"in": map[string]any{
			"productID": c.pork, "facilityID": c.plant, "lotCode": "EDGE-1", "producedAt": day(0), "quantity": 50, "unit": "KG"}})
		if b.CreateBatch.Product.ID != c.pork {
			t.Errorf("createBatch product = %q, want %s", b.CreateBatch.Product.ID, c.pork)
		}
		lot := b.CreateBatch.ID
		var s struct {
			RecordShipment struct {
				ID      string
				Carrier struct{ ID string }
			}
		}
		a.must(&s, `mutation($in: RecordShipmentInput!) { recordShipment(input: $in) { id carrier { id } } }`, map[string]any{"in": map[string]any{
			"carrierID": c.carrierOrg, "fromFacilityID": c.plant, "toFacilityID": c.store, "departedAt": day(1), "items": []any{item(lot, 20, "KG")}}})
		if s.RecordShipment.Carrier.ID != c.carrierOrg {
			t.Errorf("recordShipment carrier = %q", s.RecordShipment.Carrier.ID)
		}
		a.must(nil, `mutation($id: ID!) { recordArrival(id: $id, arrivedAt: "2026-03-02T12:00:00Z") { toFacility { id } } }`, map[string]any{"id": s.RecordShipment.ID})
		var sh struct {
			ShelveBatch struct{ Batch struct{ ID string } }
		}
		a.must(&sh, `mutation($in: ShelveBatchInput!) { shelveBatch(input: $in) { batch { id } } }`, map[string]any{"in": map[string]any{
			"facilityID": c.store, "batchID": lot, "quantity": 5, "unit": "KG", "shelvedAt": day(1.5)}})
		if sh.ShelveBatch.Batch.ID != lot {
			t.Errorf("shelveBatch batch = %q", sh.ShelveBatch.Batch.ID)
		}
		var in struct {
			RecordInspection struct{ Batch struct{ ID string } }
		}
		a.must(&in, `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { batch { id } } }`, map[string]any{"in": map[string]any{
			"batchID": lot, "labID": c.labOrg, "inspectedAt": day(0.5), "result": "PASS"}})
		if in.RecordInspection.Batch.ID != lot {
			t.Errorf("recordInspection batch = %q", in.RecordInspection.Batch.ID)
		}
		var codes struct {
			IssueTraceCodes []struct{ Batch struct{ ID string } }
		}
		a.must(&codes, `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { batch { id } } }`, map[string]any{"in": map[string]any{
			"batchID": lot, "count": 2}})
		if len(codes.IssueTraceCodes) != 2 || codes.IssueTraceCodes[1].Batch.ID != lot {
			t.Errorf("issueTraceCodes = %+v", codes.IssueTraceCodes)
		}

		// Accounts and keys likewise.
		var u struct {
			CreateUser struct {
				ID           string
				Organization struct{ ID string }
			}
		}
		a.must(&u, `mutation($in: CreateUserInput!) { createUser(input: $in) { id organization { id } } }`, map[string]any{"in": map[string]any{
			"organizationID": c.plantOrg, "phone": "13712345678", "password": "a long enough password", "role": "STAFF"}})
		if u.CreateUser.Organization.ID != c.plantOrg {
			t.Errorf("createUser organization = %q", u.CreateUser.Organization.ID)
		}
		var d struct {
			DeactivateUser struct{ Organization struct{ ID string } }
		}
		a.must(&d, `mutation($id: ID!) { deactivateUser(id: $id) { organization { id } } }`, map[string]any{"id": u.CreateUser.ID})
		if d.DeactivateUser.Organization.ID != c.plantOrg {
			t.Errorf("deactivateUser organization = %q", d.DeactivateUser.Organization.ID)
		}
		var k struct {
			CreateAPIKey struct {
				Key struct {
					ID           string
					Organization struct{ ID string }
				}
			}
		}
		a.must(&k, `mutation($org: ID!) { createAPIKey(organizationID: $org, name: "erp") { key { id organization { id } } } }`, map[string]any{"org": c.plantOrg})
		if k.CreateAPIKey.Key.Organization.ID != c.plantOrg {
			t.Errorf("createAPIKey organization = %q", k.CreateAPIKey.Key.Organization.ID)
		}
		var r struct {
			RevokeAPIKey struct{ Organization struct{ ID string } }
		}
		a.must(&r, `mutation($id: ID!) { revokeAPIKey(id: $id) { organization { id } } }`, map[string]any{"id": k.CreateAPIKey.Key.ID})
		if r.RevokeAPIKey.Organization.ID != c.plantOrg {
			t.Errorf("revokeAPIKey organization = %q", r.RevokeAPIKey.Organization.ID)
		}
	})
}
