package server_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestLineageReadsWhatIsSelected proves a downstream lineage reads
// shipments, their readings and shelf events only when the query selects
// them, and answers the same either way.
func TestLineageReadsWhatIsSelected(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		root := a.batch(c.pork, c.plant, "SEL", 100, "KG", day(0))
		made := a.batch(c.pork, c.plant, "SEL-C", 50, "KG", day(1), item(root, 50, "KG"))
		spread(t, db, c.carrierOrg, c.shopOrg, c.plant, made, 3)

		const (
			nodes    = `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { nodes { depth batch { lotCode } } } }`
			legs     = `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { nodes { depth } shipments { shipmentID to { name } quantity unit } } }`
			cold     = `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { nodes { depth } shipments { shipmentID coldChain { verdict } } } }`
			fragment = `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { ...L } }
fragment L on Lineage { nodes { depth } shipments { ...S } shelfEvents { quantity } }
fragment S on JourneyLeg { shipmentID coldChain { verdict } }`
			shelves = `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { nodes { depth } shelfEvents { quantity } } }`
		)
		vars := map[string]any{"id": root}
		count := map[string]int64{}
		for name, q := range map[string]string{"nodes": nodes, "legs": legs, "cold": cold, "fragment": fragment, "shelves": shelves} {
			count[name] = a.statements(q, vars)
		}
		t.Logf("%s: statements %v", db.Name, count)
		// Walk and batches; then one each for shipments, readings and
		// shelf events, when selected (through fragments too).
		want := map[string]int64{"nodes": 0, "legs": 1, "cold": 2, "shelves": 1, "fragment": 3}
		for name, extra := range want {
			if count[name] != count["nodes"]+extra {
				t.Errorf("%s issued %d statements; want %d more than nodes alone (%d)", name, count[name], extra, count["nodes"])
			}
		}

		// Batch.lineage, through its loader, likewise.
		const onBatch = `query($id: ID!) { node(id: $id) { ... on Batch { lineage(direction: DOWNSTREAM) { %s } } } }`
		bare := a.statements(fmt.Sprintf(onBatch, `nodes { depth }`), vars)
		withLegs := a.statements(fmt.Sprintf(onBatch, `nodes { depth } shipments { to { name } }`), vars)
		if withLegs != bare+1 {
			t.Errorf("Batch.lineage with legs issued %d statements, without %d; want one more", withLegs, bare)
		}

		var got struct {
			Lineage struct {
				Shipments []struct {
					ShipmentID string
					ColdChain  struct{ Verdict string }
				}
				ShelfEvents []struct{ Quantity float64 }
			}
		}
		a.must(&got, fragment, vars)
		if len(got.Lineage.Shipments) != 3 || len(got.Lineage.ShelfEvents) != 3 || got.Lineage.Shipments[0].ColdChain.Verdict == "" {
			t.Errorf("lineage through fragments = %+v", got.Lineage)
		}
	})
}

// TestSelectionNarrowsReadsNotAnswers proves that reading only what a
// selection asks for (graph/selection.go) changes no answer: each narrow
// query answers exactly what the same query answers with every optional
// part of the rows also asked for under aliases, which makes the reader
// load everything.
func TestSelectionNarrowsReadsNotAnswers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		p := a.porkChain()
		// A shelf event taken off the shelf, so that its removal is there
		// to be read or skipped.
		var shelved struct {
			Lineage struct{ ShelfEvents []struct{ ID string } }
		}
		a.must(&shelved, `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { shelfEvents { id } } }`, map[string]any{"id": p.pigs})
		if len(shelved.Lineage.ShelfEvents) == 0 {
			t.Fatal("the pork chain has no shelf event")
		}
		a.must(nil, `mutation($id: ID!, $at: Time!) { removeFromShelf(id: $id, removedAt: $at, reason: SOLD_OUT) { id } }`,
			map[string]any{"id": shelved.Lineage.ShelfEvents[0].ID, "at": day(4)})
		const (
			facilityAll = `name kind address regionCode gln organization { name }`
			legsAll     = `shipmentID status vehiclePlate referenceDoc departedAt arrivedAt carrier { name } from { ` + facilityAll + ` } to { ` + facilityAll + ` } coldChain { verdict maxC }`
			batchAll    = `batch { facility { ` + facilityAll + ` } }`
			lineage     = `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { %s } }`
			lineageXL   = `allShipments: shipments { ` + legsAll + ` } allShelf: shelfEvents { removedAt removalReason store { ` + facilityAll + ` } } allNodes: nodes { ` + batchAll + ` } allRoot: root { facility { ` + facilityAll + ` } }`
			trace       = `query($code: String!) { trace(code: $code) { %s } }`
			traceXL     = `allJourney: journey { ` + legsAll + ` } allShelf: shelf { store { organization { name } } } allIngredients: ingredients { ` + batchAll + ` } allWarnings: warnings { code message } allBatch: batch { facility { organization { name } } }`
			impact      = `query($id: ID!) { recallImpact(batchId: $id) { %s } }`
			impactXL    = `allPlaces: places { facility { ` + facilityAll + ` } }`
			// Batch.lineage, through its loader, with the selection in its key.
			batchLineage = `query($id: ID!) { node(id: $id) { ... on Batch { lineage(direction: DOWNSTREAM) { %s } } } }`
		)
		lineagePath, tracePath, impactPath := []string{"lineage"}, []string{"trace"}, []string{"recallImpact"}
		cases := []struct {
			name, query, selection, everything string
			path                               []string // to the answer in data
			// contains is a part of the answer's JSON that must be in
			// it: a null the reader left though asked for is equal in
			// both answers, and is no empty string.
			contains string
		}{
			{"batch lineage through its loader", batchLineage, `shipments { shipmentID to { name } } shelfEvents { store { name } }`, lineageXL, []string{"node", "lineage"}, ""},
			{"lineage destinations", lineage, `shipments { shipmentID batchID to { name } quantity unit }`, lineageXL, lineagePath, ""},
			{"lineage carriers and origins", lineage, `shipments { carrier { name kind } from { name address } status departedAt arrivedAt }`, lineageXL, lineagePath, ""},
			{"lineage cold chain", lineage, `nodes { depth } shipments { shipmentID coldChain { verdict readings minC maxC } }`, lineageXL, lineagePath, ""},
			{"lineage organisations", lineage, `root { facility { organization { name } } } shipments { to { organization { name } } } nodes { ` + batchAll + ` }`, lineageXL, lineagePath, ""},
			{"lineage shelves", lineage, `shelfEvents { store { name } quantity }`, lineageXL, lineagePath, ""},
			{"lineage shelves and removals", lineage, `shelfEvents { store { name } quantity removedAt removalReason }`, lineageXL, lineagePath, `"removalReason":"SOLD_OUT"`},
			{"lineage facility details", lineage, `root { facility { kind } } shipments { to { address } } shelfEvents { store { regionCode gln } }`, lineageXL, lineagePath, ""},
			{"trace without warnings", trace, `batch { lotCode facility { name } } journey { to { name } quantity } shelf { store { name } }`, traceXL, tracePath, ""},
			{"trace warnings only", trace, `warnings { code message }`, traceXL, tracePath, ""},
			{"trace carriers", trace, `journey { carrier { name } } ingredients { ` + batchAll + ` }`, traceXL, tracePath, ""},
			{"impact", impact, `stores facilities places { facility { name kind } batch { lotCode } shippedOut received inStock onShelf }`, impactXL, impactPath, ""},
			{"impact facility details", impact, `places { facility { address regionCode } batch { lotCode } onShelf }`, impactXL, impactPath, ""},
		}
		answer := func(data map[string]any, path []string) map[string]any {
			for _, k := range path {
				data, _ = data[k].(map[string]any)
			}
			return data
		}
		for _, c := range cases {
			vars := map[string]any{"id": p.pigs}
			if c.query == trace {
				vars = map[string]any{"code": p.code}
			}
			var narrowData, wideData map[string]any
			a.must(&narrowData, fmt.Sprintf(c.query, c.selection), vars)
			a.must(&wideData, fmt.Sprintf(c.query, c.selection+" "+c.everything), vars)
			narrow, full := answer(narrowData, c.path), answer(wideData, c.path)
			for k := range full {
				if strings.HasPrefix(k, "all") {
					delete(full, k)
				}
			}
			if len(narrow) == 0 || !reflect.DeepEqual(narrow, full) {
				t.Errorf("%s: narrow selection answers\n%v\nthe same with everything read answers\n%v", c.name, narrow, full)
			}
			// Every facility and organisation here has a name and an
			// address: an empty string is a part the reader skipped
			// though it was asked for, which the comparison above cannot
			// see when both queries skip it.
			if empty := emptyStrings(narrow, c.name); len(empty) > 0 {
				t.Errorf("%s: empty in the answer: %v", c.name, empty)
			}
			if js, _ := json.Marshal(narrow); !strings.Contains(string(js), c.contains) {
				t.Errorf("%s: the answer %s lacks %s", c.name, js, c.contains)
			}
		}
	})
}

// emptyStrings lists the paths of the empty strings in a JSON answer.
func emptyStrings(v any, path string) []string {
	var out []string
	switch v := v.(type) {
	case string:
		if v == "" {
			out = append(out, path)
		}
	case map[string]any:
		for k, x := range v {
			out = append(out, emptyStrings(x, path+"."+k)...)
		}
	case []any:
		for i, x := range v {
			out = append(out, emptyStrings(x, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

// TestLegsInOrderOfDeparture proves a batch's legs come in order of
// departure with planned ones last, whether or not the selection reads the
// times they are ordered by.
func TestLegsInOrderOfDeparture(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		loin := a.batch(c.pork, c.plant, "ORDER-1", 100, "KG", day(0))
		var planned struct{ RecordShipment struct{ ID string } }
		a.must(&planned, recordShipment, map[string]any{"in": map[string]any{
			"carrierID": c.carrierOrg, "fromFacilityID": c.plant, "toFacilityID": c.store,
			"items": []any{item(loin, 5, "KG")}}})
		late := a.ship(c.carrierOrg, c.plant, c.store, day(3), time.Time{}, item(loin, 10, "KG"))
		early := a.ship(c.carrierOrg, c.plant, c.store, day(2), day(2.1), item(loin, 20, "KG"))
		want := []string{early, late, planned.RecordShipment.ID}
		for _, sel := range []string{`shipmentID`, `shipmentID departedAt status`} {
			var got struct {
				Lineage struct{ Shipments []struct{ ShipmentID string } }
			}
			a.must(&got, `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) { shipments { `+sel+` } } }`, map[string]any{"id": loin})
			var ids []string
			for _, s := range got.Lineage.Shipments {
				ids = append(ids, s.ShipmentID)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("selecting %q: legs %v, want %v (by departure, planned last)", sel, ids, want)
			}
		}
	})
}
