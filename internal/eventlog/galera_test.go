package eventlog_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"suyuan/ent"
	"suyuan/internal/eventlog"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
)

// TestGaleraFollower: servers on the three nodes of a Galera cluster
// record at once while a follower on the first node polls. Their
// transactions take the same new change ids on different nodes, and the
// ones that lose certification run again with higher ids, so ids commit
// out of order across the cluster; the follower tells every committed
// change exactly once, and catches up as soon as the writers stop, not
// after the gaps left by lost attempts have been given up.
func TestGaleraFollower(t *testing.T) {
	nodes := testdb.Galera(t)
	ctx := tenancy.System(context.Background())
	follower := eventlog.New(nodes[0].Client, nil)
	var (
		mu   sync.Mutex
		told = map[int]int{}
	)
	follower.Bus().Subscribe(func(c *eventlog.Change) {
		mu.Lock()
		told[c.ID]++
		mu.Unlock()
	})
	f := follower.Follower()
	if _, err := f.Poll(ctx); err != nil { // starts at the outbox's end
		t.Fatal(err)
	}

	const writers, each = 3, 15 // per node
	var wg sync.WaitGroup
	for _, db := range nodes {
		l := eventlog.New(db.Client, nil)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					_, err := l.Record(admin, "updateOrganization", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
						rec.Changed(ent.TypeOrganization, w*each+i+1)
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	polling := true
	for polling {
		select {
		case <-done:
			polling = false
		case <-time.After(5 * time.Millisecond):
		}
		if _, err := f.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Every change committed, as the first node has them all.
	var committed []int
	origins := map[string]bool{}
	rows, err := nodes[0].SQL.Query("SELECT id, origin FROM changes")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		var origin string
		if err := rows.Scan(&id, &origin); err != nil {
			t.Fatal(err)
		}
		committed = append(committed, id)
		origins[origin] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(committed) != len(nodes)*writers*each || len(origins) != len(nodes) {
		t.Fatalf("%d changes from %d servers committed, want %d from %d", len(committed), len(origins), len(nodes)*writers*each, len(nodes))
	}
	// One more poll reads what committed after the last; a follower that
	// waited for its gaps would need gapWait (30 s) instead.
	start := time.Now()
	for {
		if _, err := f.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n := len(told)
		mu.Unlock()
		if n >= len(committed) {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the follower told %d of %d committed changes 5 s after the writers stopped", n, len(committed))
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range committed {
		if told[id] != 1 {
			t.Errorf("change %d told %d times", id, told[id])
		}
	}
	t.Logf("%d changes from %d nodes told once each; %d ids still looked for (lost attempts' and not-yet-given-up gaps)",
		len(committed), len(origins), len(f.Gaps()))
}

// TestCursorWithIdsInSteps: on a database whose ids go in steps of three,
// as a Galera node's do, two of every three ids below the highest read
// are never used. A slow transaction that takes its id after a thousand
// such gaps is still waited for, and the cursor reads past the unused
// ids at once.
func TestCursorWithIdsInSteps(t *testing.T) {
	db := testdb.MySQLOneServer(t)
	stepped := db.InSteps(t, 3) // as a Galera node of three sets it
	l := eventlog.New(stepped.Client, nil)
	ctx := tenancy.System(context.Background())
	touch(t, l, 1)
	cur := l.CursorAfter(0)
	if _, err := cur.Next(ctx, 10); err != nil {
		t.Fatal(err)
	}
	const before = 600 // 1,200 unused ids
	for i := range before {
		touch(t, l, i+2)
	}
	if rows, err := cur.Next(ctx, 1000); err != nil || len(rows) != before {
		t.Fatalf("read %d, %v; want %d", len(rows), err, before)
	}
	tx, err := stepped.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	slow, err := tx.Change.Create().SetOperation("updateOrganization").SetOrigin(l.Origin()).
		SetRefs([]string{"Organization:5"}).SetRecordedAt(l.Now()).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	touch(t, l, 7) // a higher id, committed first
	if rows, err := cur.Next(ctx, 1000); err != nil || len(rows) != 1 {
		t.Fatalf("read %d, %v; want the one committed change", len(rows), err)
	}
	if !slices.Contains(cur.Gaps(), slow.ID) {
		t.Fatalf("the slow transaction's id %d is not looked for among %d gaps", slow.ID, len(cur.Gaps()))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := cur.Next(ctx, 1000)
	if err != nil || len(rows) != 1 || rows[0].ID != slow.ID {
		t.Fatalf("after the slow commit read %v, %v; want change %d", rows, err, slow.ID)
	}
	if rows, err := cur.Next(ctx, 1000); err != nil || len(rows) != 0 {
		t.Fatalf("read %d more, %v; want none", len(rows), err)
	}
}
