package server_test

import (
	"testing"

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
