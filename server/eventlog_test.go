package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"suyuan/ent"
	"suyuan/ent/change"
	"suyuan/graph"
	"suyuan/internal/epcis"
	"suyuan/internal/eventlog"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// accountOperations are the mutations that manage accounts and sessions:
// not recordings of the chain, they keep the audit trail only.
var accountOperations = map[string]bool{
	"login": true, "refreshToken": true, "logout": true, "changePassword": true,
	"createUser": true, "deactivateUser": true, "createAPIKey": true, "revokeAPIKey": true,
}

// TestEveryMutationIsARecordingOrAnAccountOperation fails when a mutation
// is added without saying what it logs (eventlog.OperationLogs).
func TestEveryMutationIsARecordingOrAnAccountOperation(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	for _, f := range schema.Mutation.Fields {
		_, ok := eventlog.OperationLogs(f.Name)
		if ok == accountOperations[f.Name] {
			t.Errorf("mutation %s: a recording (eventlog.OperationLogs) %v, an account operation %v; it must be exactly one", f.Name, ok, accountOperations[f.Name])
		}
	}
}

// TestEveryRecordingLogs runs every recording mutation once through the
// HTTP API and reads the log: each wrote one change naming its operation,
// with the events its kind asks for, in EPCIS form, with the offset the
// caller gave its time in.
func TestEveryRecordingLogs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		farmLot := a.batch(c.pigs, c.farm, "PIG-1", 10, "HEAD", day(0))
		a.ship(c.carrierOrg, c.farm, c.plant, day(1), day(1.2), item(farmLot, 10, "HEAD"))
		pork := a.batch(c.pork, c.plant, "LOIN-1", 500, "KG", day(2),
			map[string]any{"batchID": farmLot, "quantity": 10, "unit": "HEAD"})
		var planned struct{ RecordShipment struct{ ID string } }
		a.must(&planned, `mutation($in: RecordShipmentInput!) { recordShipment(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"carrierID": c.carrierOrg, "fromFacilityID": c.plant, "toFacilityID": c.store, "items": []any{item(pork, 100, "KG")}}})
		trip := planned.RecordShipment.ID
		// 18:00 in Ya'an is 10:00 UTC: the log keeps the +08:00.
		a.must(nil, `mutation($id: ID!) { departShipment(id: $id, departedAt: "2026-03-03T18:00:00+08:00") { id } }`, map[string]any{"id": trip})
		a.must(nil, `mutation($id: ID!) { addSensorReadings(input: {shipmentID: $id, readings: [{recordedAt: "2026-03-03T19:00:00+08:00", temperature: 2.5}]}) { count } }`, map[string]any{"id": trip})
		a.must(nil, `mutation($id: ID!) { recordArrival(id: $id, arrivedAt: "2026-03-03T22:00:00+08:00") { id } }`, map[string]any{"id": trip})
		var shelf struct{ ShelveBatch struct{ ID string } }
		a.must(&shelf, shelveBatch, map[string]any{"in": map[string]any{"facilityID": c.store, "batchID": pork, "quantity": 40, "unit": "KG", "shelvedAt": day(3)}})
		a.must(nil, `mutation($id: ID!, $at: Time!) { removeFromShelf(id: $id, removedAt: $at, reason: SOLD_OUT) { id } }`, map[string]any{"id": shelf.ShelveBatch.ID, "at": day(3.5)})
		a.must(nil, `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"batchID": pork, "labID": c.labOrg, "inspectedAt": day(3.2), "result": "FAIL",
			"measurements": []any{map[string]any{"name": "clenbuterol", "value": 0.9, "unit": "µg/kg", "limitMax": 0.5}}}})
		a.must(nil, `mutation($b: ID!) { issueTraceCodes(input: {batchID: $b, count: 2, serialized: true}) { code } }`, map[string]any{"b": pork})
		var alerts struct {
			Alerts struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		a.must(&alerts, `{ alerts(first: 1) { edges { node { id } } } }`, nil)
		if len(alerts.Alerts.Edges) == 0 {
			t.Fatal("the failed inspection raised no alert to review")
		}
		a.must(nil, `mutation($id: ID!) { setAlertStatus(id: $id, status: ACKNOWLEDGED, note: "seen") { id } }`, map[string]any{"id": alerts.Alerts.Edges[0].Node.ID})
		var rc struct{ InitiateRecall struct{ ID string } }
		a.must(&rc, `mutation($b: ID!) { initiateRecall(input: {batchIDs: [$b], reason: "clenbuterol", class: I, depth: CONSUMER}) { id } }`, map[string]any{"b": pork})
		a.must(nil, `mutation($id: ID!) { closeRecall(id: $id, note: "done") { id } }`, map[string]any{"id": rc.InitiateRecall.ID})
		a.must(nil, `mutation($id: ID!) { updateOrganization(id: $id, input: {name: "Renamed farm"}) { id } }`, map[string]any{"id": c.farmOrg})
		a.must(nil, `mutation($id: ID!) { updateFacility(id: $id, input: {name: "Renamed farm site"}) { id } }`, map[string]any{"id": c.farm})
		a.must(nil, `mutation($id: ID!) { updateProduct(id: $id, input: {description: "loin"}) { id } }`, map[string]any{"id": c.pork})
		var hook struct {
			CreateWebhook struct{ Webhook struct{ ID string } }
		}
		a.must(&hook, `mutation { createWebhook(input: {url: "https://203.0.114.9/hook", topics: [RECALL]}) { webhook { id } } }`, nil)
		wh := map[string]any{"id": hook.CreateWebhook.Webhook.ID}
		a.must(nil, `mutation($id: ID!) { updateWebhook(id: $id, input: {active: false}) { id } }`, wh)
		a.must(nil, `mutation($id: ID!) { replayWebhookDeliveries(webhookID: $id) }`, wh)
		a.must(nil, `mutation($id: ID!) { deleteWebhook(id: $id) }`, wh)

		ctx := tenancy.System(context.Background())
		changes, err := db.Client.Change.Query().WithEvents().Order(ent.Asc(change.FieldID)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byOp := map[string][]*ent.Change{}
		for _, ch := range changes {
			byOp[ch.Operation] = append(byOp[ch.Operation], ch)
		}
		schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
		for _, f := range schema.Mutation.Fields {
			logs, ok := eventlog.OperationLogs(f.Name)
			if !ok {
				continue
			}
			chs := byOp[f.Name]
			if len(chs) == 0 {
				t.Errorf("%s: no change in the outbox", f.Name)
				continue
			}
			for _, ch := range chs {
				if len(ch.Refs) == 0 {
					t.Errorf("%s: change %d names no row it changed", f.Name, ch.ID)
				}
				switch {
				case logs == eventlog.Events && len(ch.Edges.Events) == 0:
					t.Errorf("%s: logged no event", f.Name)
				case logs == eventlog.ChangeOnly && len(ch.Edges.Events) != 0:
					t.Errorf("%s: logged %d events; it is a change only", f.Name, len(ch.Edges.Events))
				}
				for _, e := range ch.Edges.Events {
					var got epcis.Event
					if err := json.Unmarshal([]byte(e.Body), &got); err != nil {
						t.Errorf("%s: event %s is not EPCIS JSON: %v", f.Name, e.EventID, err)
					}
					if got.EventID != e.EventID || string(got.Type) != string(e.Type) || got.EventTimeZoneOffset != e.EventTimeZoneOffset {
						t.Errorf("%s: event %s: body says %s %s %s, columns %s %s %s", f.Name, e.EventID, got.EventID, got.Type, got.EventTimeZoneOffset, e.EventID, e.Type, e.EventTimeZoneOffset)
					}
				}
			}
		}
		dep := byOp["departShipment"][0].Edges.Events[0]
		if dep.EventTimeZoneOffset != "+08:00" || dep.BizStep != "shipping" || dep.EventTime.UTC().Hour() != 10 {
			t.Errorf("departure logged as %s at %s (offset %s); want shipping at 10:00 UTC, +08:00", dep.BizStep, dep.EventTime, dep.EventTimeZoneOffset)
		}
		if tr := byOp["createBatch"][1].Edges.Events[0]; tr.Type != "TransformationEvent" {
			t.Errorf("a batch made from another logged %s, want TransformationEvent", tr.Type)
		}
	})
}
