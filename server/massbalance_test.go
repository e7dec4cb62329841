package server_test

import (
	"sync"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestConcurrentShelvingNeverOverdraws fires more shelving requests at once
// than the store's stock can satisfy: exactly as many as fit succeed, the
// rest are refused with QUANTITY_EXCEEDS_AVAILABLE, and the balance ends at
// zero, never below.
func TestConcurrentShelvingNeverOverdraws(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		pork := a.batch(c.pork, c.plant, "LOIN-1", 100, "KG", day(0))
		a.ship(c.carrierOrg, c.plant, c.store, day(1), day(1.2), item(pork, 100, "KG"))

		const requests, each = 30, 10.0 // 300 kg asked of 100 kg
		var wg sync.WaitGroup
		results := make([]response, requests)
		for i := range requests {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = a.do(shelveBatch, map[string]any{"in": map[string]any{
					"facilityID": c.store, "batchID": pork, "quantity": each, "unit": "KG", "shelvedAt": day(2)}})
			}()
		}
		wg.Wait()

		ok, refused := 0, 0
		for _, r := range results {
			switch {
			case len(r.Errors) == 0:
				ok++
			case r.Errors[0].Extensions.Code == "QUANTITY_EXCEEDS_AVAILABLE":
				refused++
			default:
				t.Errorf("unexpected answer: %s", r.Raw)
			}
		}
		if ok != 10 || refused != 20 {
			t.Errorf("succeeded %d, refused %d; want 10 and 20", ok, refused)
		}
		var onHand, shelved float64
		if err := db.SQL.QueryRow(`SELECT on_hand_milli FROM stocks WHERE batch_id = ? AND facility_id = ?`, pork, c.store).Scan(&onHand); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL.QueryRow(`SELECT SUM(quantity) FROM shelf_events WHERE batch_id = ?`, pork).Scan(&shelved); err != nil {
			t.Fatal(err)
		}
		if onHand != 0 || shelved != 100 {
			t.Errorf("store holds %v milli-kg with %v kg shelved; want 0 and 100", onHand, shelved)
		}
	})
}

// TestConcurrentShipmentsNeverOverdraw races departing shipments and
// batches consuming the same input for one plant's stock.
func TestConcurrentShipmentsNeverOverdraw(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		pork := a.batch(c.pork, c.plant, "LOIN-2", 50, "KG", day(0))

		const requests = 16 // each takes 5 kg of 50: 10 can succeed
		var wg sync.WaitGroup
		results := make([]response, requests)
		for i := range requests {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					results[i] = a.do(recordShipment, map[string]any{"in": map[string]any{
						"carrierID": c.carrierOrg, "fromFacilityID": c.plant, "toFacilityID": c.store,
						"departedAt": day(1), "items": []any{item(pork, 5000, "G")}}})
					return
				}
				results[i] = a.do(createBatch, map[string]any{"in": map[string]any{
					"productID": c.pork, "facilityID": c.plant, "lotCode": "MINCE-" + string(rune('A'+i)),
					"producedAt": day(1), "quantity": 5, "unit": "KG", "inputs": []any{item(pork, 5, "KG")}}})
			}()
		}
		wg.Wait()
		ok := 0
		for _, r := range results {
			switch {
			case len(r.Errors) == 0:
				ok++
			case r.Errors[0].Extensions.Code != "QUANTITY_EXCEEDS_AVAILABLE":
				t.Errorf("unexpected answer: %s", r.Raw)
			}
		}
		var onHand int64
		if err := db.SQL.QueryRow(`SELECT on_hand_milli FROM stocks WHERE batch_id = ? AND facility_id = ?`, pork, c.plant).Scan(&onHand); err != nil {
			t.Fatal(err)
		}
		if ok != 10 || onHand != 0 {
			t.Errorf("%d of %d succeeded leaving %d milli-kg; want 10 leaving 0", ok, requests, onHand)
		}
	})
}
