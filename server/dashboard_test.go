package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"suyuan/internal/dashboard"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

const dashboardQuery = `query($region: String, $from: Time, $to: Time) { dashboard(region: $region, from: $from, to: $to) {
	region
	totals { batches shipments shelfEvents inspections inspectionsFailed passRate alerts openAlerts openRecalls }
	days { day batches shipments shelfEvents inspections inspectionsFailed alerts }
	alertsByKind { kind severity count }
	topProducers { organization { id } alerts }
	carrierCompliance { organization { id } shipments breached compliance } } }`

type dashboardData struct {
	Dashboard struct {
		Region string
		Totals struct {
			Batches, Shipments, ShelfEvents, Inspections, InspectionsFailed int
			PassRate                                                        *float64
			Alerts, OpenAlerts, OpenRecalls                                 int
		}
		Days []struct {
			Day                                                  string
			Batches, Shipments, ShelfEvents, Inspections, Alerts int
			InspectionsFailed                                    int
		}
		AlertsByKind []struct {
			Kind, Severity string
			Count          int
		}
		TopProducers []struct {
			Organization struct{ ID string }
			Alerts       int
		}
		CarrierCompliance []struct {
			Organization        struct{ ID string }
			Shipments, Breached int
			Compliance          float64
		}
	}
}

// TestDashboardCounters: the counters kept while recording equal a full
// recount of the rows, and the dashboard reports them for the region.
func TestDashboardCounters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		p := tn.p
		a.spoil(p.loin, p.labOrg, 24)
		a.must(nil, `mutation($in: AddSensorReadingsInput!) { addSensorReadings(input: $in) { count } }`,
			map[string]any{"in": map[string]any{"shipmentID": p.legToStore, "readings": []any{
				map[string]any{"recordedAt": day(3.02), "temperature": 25}}}})
		// A planned shipment departing later is counted when it departs.
		planned := a.do(recordShipment, map[string]any{"in": map[string]any{
			"carrierID": p.carrierOrg, "fromFacilityID": p.plant, "toFacilityID": p.warehouse,
			"items": []any{item(p.loin, 10, "KG")}}})
		var plannedID struct{ RecordShipment struct{ ID string } }
		if err := json.Unmarshal(planned.Data, &plannedID); err != nil || len(planned.Errors) > 0 {
			t.Fatalf("planning a shipment: %s", planned.Raw)
		}
		a.must(nil, `mutation($id: ID!) { departShipment(id: $id, departedAt: "2026-03-05T08:00:00Z") { id } }`,
			map[string]any{"id": plannedID.RecordShipment.ID})
		tn.regulator.must(nil, initiateRecall, map[string]any{"in": map[string]any{
			"batchIDs": []string{p.loin}, "reason": "TVB-N 24 mg/100g", "class": "II", "depth": "RETAIL"}})

		ctx := tenancy.System(context.Background())
		stored, err := dashboard.Stored(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		recount, err := dashboard.Recount(ctx, db.SQL)
		if err != nil {
			t.Fatal(err)
		}
		if len(recount) == 0 || fmt.Sprint(stored) != fmt.Sprint(recount) {
			t.Fatalf("counters kept while recording differ from a recount:\nkept    %v\nrecount %v", stored, recount)
		}

		vars := map[string]any{"from": "2026-02-01T00:00:00Z", "to": time.Now().UTC().Format(time.RFC3339)}
		var d dashboardData
		db.Counter.Reset()
		tn.regulator.must(&d, dashboardQuery, vars)
		if n := db.Counter.Count(); n != 6 {
			t.Errorf("a dashboard took %d statements, want 6", n)
		}
		got := d.Dashboard
		want := func(what string, got, want int) {
			t.Helper()
			if got != want {
				t.Errorf("%s = %d, want %d", what, got, want)
			}
		}
		want("batches", got.Totals.Batches, a.count("batches"))
		want("shipments", got.Totals.Shipments, a.count("shipments WHERE departed_at IS NOT NULL"))
		want("shelf events", got.Totals.ShelfEvents, a.count("shelf_events"))
		want("inspections", got.Totals.Inspections, a.count("inspections"))
		want("failed inspections", got.Totals.InspectionsFailed, a.count("inspections WHERE result = 'FAIL'"))
		want("alerts", got.Totals.Alerts, a.count("alerts"))
		want("open alerts", got.Totals.OpenAlerts, a.count("alerts WHERE status = 'OPEN'"))
		want("open recalls", got.Totals.OpenRecalls, 1)
		if got.Region != "5118" || got.Totals.PassRate == nil || *got.Totals.PassRate != 0.5 {
			t.Errorf("region %q, pass rate %v: want 5118 and 0.5", got.Region, got.Totals.PassRate)
		}
		var sum int
		for _, day := range got.Days {
			sum += day.Batches
		}
		want("batches over the days", sum, got.Totals.Batches)
		if len(got.CarrierCompliance) != 1 || got.CarrierCompliance[0].Organization.ID != p.carrierOrg ||
			got.CarrierCompliance[0].Shipments != 4 || got.CarrierCompliance[0].Breached != 1 || got.CarrierCompliance[0].Compliance != 0.75 {
			t.Errorf("carrier compliance = %+v, want the carrier with 4 trips, 1 breached", got.CarrierCompliance)
		}
		if len(got.TopProducers) == 0 || got.TopProducers[0].Organization.ID != p.plantOrg {
			t.Errorf("top producers = %+v, want the plant first", got.TopProducers)
		}
		byKind := map[string]int{}
		for _, k := range got.AlertsByKind {
			byKind[k.Kind+"/"+k.Severity] = k.Count
		}
		if byKind["OVER_LEGAL_LIMIT/CRITICAL"] != 1 || byKind["TEMPERATURE_OUT_OF_RANGE/HIGH"] != 1 || byKind["RECALL_NOTICE/HIGH"] == 0 {
			t.Errorf("alerts by kind = %v", byKind)
		}

		// A district's dashboard is a part of the city's; another city's is
		// not the regulator's to see.
		tn.regulator.must(&d, dashboardQuery, map[string]any{"region": "511802", "from": vars["from"], "to": vars["to"]})
		want("district batches", d.Dashboard.Totals.Batches, a.count("batches"))
		tn.regulator.must(&d, dashboardQuery, map[string]any{"region": "511803", "from": vars["from"], "to": vars["to"]})
		want("other district batches", d.Dashboard.Totals.Batches, 0)
		tn.farRegulator.must(&d, dashboardQuery, vars)
		want("far regulator's batches", d.Dashboard.Totals.Batches, 0)
		tn.regulator.fails("FORBIDDEN", "region", dashboardQuery, map[string]any{"region": "5101"})
		tn.regulator.fails("INVALID_REGION_CODE", "region", dashboardQuery, map[string]any{"region": "51a8"})
		tn.regulator.fails("INVALID_TIME_ORDER", "from", dashboardQuery, map[string]any{"from": "2026-05-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"})
		tn.regulator.fails("BAD_USER_INPUT", "from", dashboardQuery, map[string]any{"from": "2024-01-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"})
		tn.aStaff.fails("FORBIDDEN", "", dashboardQuery, nil)
		tn.anonymous.fails("UNAUTHENTICATED", "", dashboardQuery, nil)
	})
}
