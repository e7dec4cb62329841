package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"suyuan/ent/batch"
	"suyuan/internal/seed"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

const initiateRecall = `mutation($in: InitiateRecallInput!) { initiateRecall(input: $in) { id status class depth affectedBatches batches { lotCode } } }`

const recallProgress = `query($id: ID!) { node(id: $id) { ... on Recall { id status closingNote
	progress { stores cleared effectiveness onShelfAtStart { quantity unit } outstanding { quantity unit }
		places { facility { id name } batch { id lotCode } unit onShelfAtStart removed outstanding } } } } }`

type recallPlace struct {
	Facility                             struct{ ID, Name string }
	Batch                                struct{ ID, LotCode string }
	Unit                                 string
	OnShelfAtStart, Removed, Outstanding float64
}

type recallNode struct {
	Node struct {
		ID, Status, ClosingNote string
		Progress                struct {
			Stores, Cleared int
			Effectiveness   float64
			Places          []recallPlace
		}
	}
}

// demo loads the demo chain and returns a client logged in as its user
// with phone.
func demo(t *testing.T, a *api, phone string) *api {
	t.Helper()
	ctx := context.Background()
	if err := seed.Demo(ctx, a.db.Client); err != nil {
		t.Fatal(err)
	}
	if err := seed.DemoUsers(ctx, a.db.Client); err != nil {
		t.Fatal(err)
	}
	var out struct{ Login struct{ AccessToken string } }
	a.as("").must(&out, `mutation($p: String!) { login(phone: $p, password: "`+seed.DemoPassword+`") { accessToken } }`, map[string]any{"p": phone})
	return a.as(out.Login.AccessToken)
}

// TestRecallReachesEveryShelf recalls the demo's pigs: the carcasses and
// loin made from them are recalled too, every shelf holding any of them
// is in the recall's baseline, the consumer page says so at once, every
// organisation concerned is notified, and progress follows the stores
// taking the loin off their shelves.
func TestRecallReachesEveryShelf(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		regulator := demo(t, a, "13900000001")
		retailer := demo(t, a, "13900000004")
		ctx := tenancy.System(context.Background())
		pigs := db.Client.Batch.Query().Where(batch.LotCode(seed.DemoPigLot)).OnlyX(ctx)
		pigsID := fmt.Sprint(pigs.ID)

		// What the trace says lies downstream, and on which shelves now.
		var lin struct {
			Lineage struct {
				Nodes       []struct{ Batch struct{ ID, Status string } }
				ShelfEvents []struct {
					BatchID   string
					Store     struct{ ID string }
					Quantity  float64
					RemovedAt *string
				}
			}
		}
		regulator.must(&lin, `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) {
			nodes { batch { id status } } shelfEvents { batchID store { id } quantity removedAt } } }`, map[string]any{"id": pigsID})
		onShelf := map[string]float64{}
		for _, e := range lin.Lineage.ShelfEvents {
			if e.RemovedAt == nil {
				onShelf[e.Store.ID+"/"+e.BatchID] += e.Quantity
			}
		}
		if len(lin.Lineage.Nodes) < 2 || len(onShelf) == 0 {
			t.Fatalf("the demo's pigs reach %d batches and %d shelves; the test needs some", len(lin.Lineage.Nodes), len(onShelf))
		}

		// The retailer sees the loin it sells but may not recall it; the
		// pigs it never held do not exist for it.
		loin := db.Client.Batch.Query().Where(batch.LotCode(seed.DemoLoinLot)).OnlyX(ctx)
		retailer.fails("FORBIDDEN", "batchIDs.0", initiateRecall, map[string]any{"in": map[string]any{
			"batchIDs": []string{fmt.Sprint(loin.ID)}, "reason": "not theirs", "class": "I", "depth": "RETAIL"}})
		retailer.fails("NOT_FOUND", "batchIDs.0", initiateRecall, map[string]any{"in": map[string]any{
			"batchIDs": []string{pigsID}, "reason": "not theirs", "class": "I", "depth": "RETAIL"}})
		for _, c := range []struct {
			field string
			in    map[string]any
		}{
			{"batchIDs", map[string]any{"batchIDs": []string{}, "reason": "x", "class": "I", "depth": "RETAIL"}},
			{"reason", map[string]any{"batchIDs": []string{pigsID}, "reason": "  ", "class": "I", "depth": "RETAIL"}},
		} {
			regulator.fails("BAD_USER_INPUT", c.field, initiateRecall, map[string]any{"in": c.in})
		}
		regulator.fails("NOT_FOUND", "batchIDs.0", initiateRecall, map[string]any{"in": map[string]any{
			"batchIDs": []string{"999999"}, "reason": "x", "class": "I", "depth": "RETAIL"}})
		if n := a.count("recalls"); n != 0 {
			t.Fatalf("refused recalls left %d rows", n)
		}

		var started struct {
			InitiateRecall struct {
				ID, Status      string
				AffectedBatches int
				Batches         []struct{ LotCode string }
			}
		}
		regulator.must(&started, initiateRecall, map[string]any{"in": map[string]any{
			"batchIDs": []string{pigsID}, "reason": "瘦肉精 clenbuterol found at slaughter", "class": "I", "depth": "CONSUMER"}})
		r := started.InitiateRecall
		if r.Status != "OPEN" || r.AffectedBatches != len(lin.Lineage.Nodes)+1 || len(r.Batches) != 1 || r.Batches[0].LotCode != seed.DemoPigLot {
			t.Fatalf("recall = %+v, want OPEN over the pigs and %d batches made from them", r, len(lin.Lineage.Nodes))
		}
		regulator.fails("INVALID_STATE", "batchIDs", initiateRecall, map[string]any{"in": map[string]any{
			"batchIDs": []string{pigsID}, "reason": "again", "class": "I", "depth": "CONSUMER"}})

		// Every batch downstream is recalled.
		regulator.must(&lin, `query($id: ID!) { lineage(batchId: $id, direction: DOWNSTREAM) {
			nodes { batch { id status } } shelfEvents { batchID store { id } quantity removedAt } } }`, map[string]any{"id": pigsID})
		for _, n := range lin.Lineage.Nodes {
			if n.Batch.Status != "RECALLED" {
				t.Errorf("downstream batch %s is %s", n.Batch.ID, n.Batch.Status)
			}
		}
		// The baseline holds every shelf that held any of it.
		var rn recallNode
		regulator.must(&rn, recallProgress, map[string]any{"id": r.ID})
		base := map[string]float64{}
		for _, p := range rn.Node.Progress.Places {
			base[p.Facility.ID+"/"+p.Batch.ID] = p.OnShelfAtStart
			if p.Removed != 0 || p.Outstanding != p.OnShelfAtStart {
				t.Errorf("place %+v: nothing is removed yet", p)
			}
		}
		if fmt.Sprint(base) != fmt.Sprint(onShelf) {
			t.Errorf("recall baseline %v, want the shelves of the lineage %v", base, onShelf)
		}
		if rn.Node.Progress.Effectiveness != 0 || rn.Node.Progress.Cleared != 0 || rn.Node.Progress.Stores == 0 {
			t.Errorf("progress at the start = %+v", rn.Node.Progress)
		}

		// The consumer page of the loin shows the recall.
		if p := a.fetch("GET", "/t/"+seed.DemoTraceCode); !strings.Contains(p.Body, "已召回") {
			t.Errorf("consumer page after the recall:\n%.1200s", p.Body)
		}

		// Every organisation concerned has a notice; the retailer's names
		// the recall.
		notified := map[string]bool{}
		for _, al := range a.alerts() {
			if al.Kind == "RECALL_NOTICE" {
				notified[al.Organization.ID] = true
			}
		}
		orgs := map[string]bool{}
		for _, b := range db.Client.Batch.Query().Where(batch.StatusEQ(batch.StatusRECALLED)).AllX(ctx) {
			orgs[fmt.Sprint(b.OrganizationID)] = true
		}
		for _, e := range lin.Lineage.ShelfEvents {
			f := db.Client.Facility.GetX(ctx, atoi(t, e.Store.ID))
			orgs[fmt.Sprint(f.OrganizationID)] = true
		}
		for o := range orgs {
			if !notified[o] {
				t.Errorf("organisation %s holds or made recalled food and was not notified (notified %v)", o, notified)
			}
		}
		var seen struct {
			Recalls struct{ TotalCount int }
		}
		retailer.must(&seen, `{ recalls(first: 5) { totalCount } }`, nil)
		if seen.Recalls.TotalCount != 1 {
			t.Errorf("the notified retailer sees %d recalls, want 1", seen.Recalls.TotalCount)
		}

		// The retailer takes the recalled food off its shelves.
		var shelves struct {
			ShelfEvents struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		retailer.must(&shelves, `{ shelfEvents(first: 50, where: {removedAtIsNil: true, hasBatchWith: {status: RECALLED}}) { edges { node { id } } } }`, nil)
		if len(shelves.ShelfEvents.Edges) == 0 {
			t.Fatal("the retailer has no recalled food on its shelves")
		}
		for _, e := range shelves.ShelfEvents.Edges {
			retailer.must(nil, `mutation($id: ID!) { removeFromShelf(id: $id, removedAt: "2026-11-21T09:00:00Z", reason: RECALLED) { id } }`,
				map[string]any{"id": e.Node.ID})
		}
		regulator.must(&rn, recallProgress, map[string]any{"id": r.ID})
		pr := rn.Node.Progress
		if pr.Effectiveness != 1 || pr.Cleared != pr.Stores {
			t.Errorf("after the stores emptied their shelves: %+v", pr)
		}
		for _, p := range pr.Places {
			if p.Outstanding != 0 || p.Removed != p.OnShelfAtStart {
				t.Errorf("place %+v: want all removed", p)
			}
		}

		var closed struct{ CloseRecall struct{ Status string } }
		regulator.must(&closed, `mutation($id: ID!) { closeRecall(id: $id, note: "all shelves cleared") { status } }`, map[string]any{"id": r.ID})
		if closed.CloseRecall.Status != "CLOSED" {
			t.Fatalf("closed recall is %s", closed.CloseRecall.Status)
		}
		regulator.fails("INVALID_STATE", "id", `mutation($id: ID!) { closeRecall(id: $id) { status } }`, map[string]any{"id": r.ID})
		retailer.fails("FORBIDDEN", "", `mutation($id: ID!) { closeRecall(id: $id) { status } }`, map[string]any{"id": r.ID})
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRecallListStatements: a page of recalls with their batches and
// progress costs the same statements for one recall as for several.
func TestRecallListStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		for _, b := range []string{tn.p.loin, tn.p.salt, tn.bBatch} {
			tn.regulator.must(nil, initiateRecall, map[string]any{"in": map[string]any{
				"batchIDs": []string{b}, "reason": "test", "class": "III", "depth": "WHOLESALE"}})
		}
		const q = `query($n: Int!) { recalls(first: $n, orderBy: {field: INITIATED_AT, direction: ASC}) { edges { node {
			id batches { lotCode }
			progress { stores effectiveness onShelfAtStart { quantity unit } places { facility { name } batch { lotCode } onShelfAtStart outstanding } } } } } }`
		statements := func(n int) (int64, int) {
			var out struct {
				Recalls struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
			db.Counter.Reset()
			tn.regulator.must(&out, q, map[string]any{"n": n})
			return db.Counter.Count(), len(out.Recalls.Edges)
		}
		one, n1 := statements(1)
		three, n3 := statements(3)
		if n1 != 1 || n3 != 3 {
			t.Fatalf("pages of %d and %d recalls, want 1 and 3", n1, n3)
		}
		// The loaders fetch the places, shelves, stores and batches of the
		// whole page at once: 7 statements today.
		if one != three || three > 7 {
			t.Errorf("a page of 1 recall took %d statements, of 3 took %d; want the same, at most 7", one, three)
		}
	})
}

// TestRecallNotifiesCarrierOnTheRoad: a farm's recall reaches the plant
// that made loin of its pigs, a carrier with the loin on board and the
// stores; the farm follows it on their shelves.
func TestRecallNotifiesCarrierOnTheRoad(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		p := tn.p
		a.ship(p.carrierOrg, p.warehouse, p.store, day(4), time.Time{}, item(p.loin, 20, "KG"))
		if n := len(tn.carrier.alerts()); n != 0 {
			t.Fatalf("carrier has %d alerts before the recall", n)
		}
		// The farm recalls its pigs, and follows the loin the plant made
		// from them onto the store's shelf: neither is its own.
		farm := a.as(a.login(a.account(atoi(t, p.farmOrg), "STAFF")))
		var started struct{ InitiateRecall struct{ ID string } }
		farm.must(&started, initiateRecall, map[string]any{"in": map[string]any{
			"batchIDs": []string{p.pigs}, "reason": "clenbuterol", "class": "I", "depth": "CONSUMER"}})
		var rn recallNode
		farm.must(&rn, recallProgress, map[string]any{"id": started.InitiateRecall.ID})
		if pl := rn.Node.Progress.Places; len(pl) != 1 || pl[0].Facility.ID != p.store || pl[0].Batch.ID != p.loin ||
			pl[0].OnShelfAtStart != 100 || pl[0].Outstanding != 100 {
			t.Errorf("the producer's view of its recall's progress: %+v", rn.Node.Progress)
		}
		for who, c := range map[string]*api{"carrier": tn.carrier, "producer": tn.aStaff, "retailer": tn.retailer} {
			got := c.alerts()
			if len(got) != 1 || got[0].Kind != "RECALL_NOTICE" || got[0].Severity != "CRITICAL" {
				t.Errorf("%s has alerts %s, want one critical recall notice", who, kinds(got))
			}
		}
		if got := tn.bStaff.alerts(); len(got) != 0 {
			t.Errorf("an uninvolved producer was notified: %s", kinds(got))
		}
	})
}

// TestConcurrentRecalls: of several recalls of one lot started at once,
// exactly one is made.
func TestConcurrentRecalls(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		const n = 6
		codes := make(chan string, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := tn.regulator.do(initiateRecall, map[string]any{"in": map[string]any{
					"batchIDs": []string{tn.p.carcass}, "reason": "race", "class": "II", "depth": "RETAIL"}})
				code := "ok"
				if len(r.Errors) > 0 {
					code = r.Errors[0].Extensions.Code
				}
				codes <- code
			}()
		}
		wg.Wait()
		close(codes)
		got := map[string]int{}
		for c := range codes {
			got[c]++
		}
		if got["ok"] != 1 || got["INVALID_STATE"] != n-1 {
			t.Errorf("outcomes %v, want 1 ok and %d INVALID_STATE", got, n-1)
		}
		if c := a.count("recalls"); c != 1 {
			t.Errorf("%d recalls made", c)
		}
	})
}
