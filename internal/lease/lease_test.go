package lease

import (
	"context"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"suyuan/internal/testdb"
)

// held asks l whether it holds the lease, failing the test on an error.
func held(t *testing.T, ctx context.Context, l *Lease) bool {
	t.Helper()
	ok, err := l.Held(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestOneServerLeads: of two servers on one MariaDB database, one holds
// a lease and keeps it while it runs (past its time to live: it renews
// it); when it stops, the other takes the lead at its next tick; when
// the holder dies without giving the lease up, another takes it once it
// has expired. On SQLite every server leads.
func TestOneServerLeads(t *testing.T) {
	ctx := context.Background()
	t.Run("mysql", func(t *testing.T) {
		db := testdb.MySQL(t)
		const ttl = 600 * time.Millisecond
		first, second := New(db.Client, dialect.MySQL, "test", WithTTL(ttl)), New(db.Client, dialect.MySQL, "test", WithTTL(ttl))
		defer first.Release(ctx)
		defer second.Release(ctx)
		if !held(t, ctx, first) || held(t, ctx, second) {
			t.Fatal("want the first server to lead and the second not")
		}
		time.Sleep(2 * ttl) // renewed in the background meanwhile
		if !held(t, ctx, first) || held(t, ctx, second) {
			t.Fatal("the lead changed hands while its holder ran")
		}
		first.Release(ctx) // the first server stops
		if !held(t, ctx, second) || held(t, ctx, first) {
			t.Fatal("the second server did not take the lead the first gave up")
		}

		// The second server dies: its renewals stop with it, and it gives
		// nothing up.
		dying, die := context.WithCancel(ctx)
		third := New(db.Client, dialect.MySQL, "test", WithTTL(ttl))
		defer third.Release(ctx)
		second.Release(ctx)
		if !held(t, dying, second) {
			t.Fatal("the second server lost the lead it took again")
		}
		die()
		start := time.Now()
		for !held(t, ctx, third) {
			if time.Since(start) > 10*ttl {
				t.Fatal("no server took over the lease of one that died")
			}
			time.Sleep(ttl / 10)
		}
		if took := time.Since(start); took < ttl/2 {
			t.Errorf("the lease was taken over %s after its holder died, before it could have expired", took)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		db := testdb.SQLite(t)
		a, b := New(db.Client, dialect.SQLite, "test"), New(db.Client, dialect.SQLite, "test")
		for _, l := range []*Lease{a, b} {
			if ok, err := l.Held(ctx); !ok || err != nil {
				t.Errorf("an SQLite server does not lead: %v", err)
			}
		}
	})
}

// TestGaleraOneLeader: servers on the three nodes of a Galera cluster,
// two on each, ask for one lease at the same moment, round after round:
// exactly one holds it each round, the same one while it runs. When it
// dies, exactly one of the others takes it over once it has expired. A
// named lock (GET_LOCK) would have let one server on each node lead.
func TestGaleraOneLeader(t *testing.T) {
	nodes := testdb.Galera(t)
	ctx := context.Background()
	const ttl = 2 * time.Second
	type server struct {
		node  int
		lease *Lease
		ctx   context.Context
		die   context.CancelFunc
	}
	var servers []*server
	for i, db := range nodes {
		for range 2 {
			sctx, die := context.WithCancel(ctx)
			s := &server{node: i + 1, lease: New(db.Client, dialect.MySQL, "screener", WithTTL(ttl)), ctx: sctx, die: die}
			servers = append(servers, s)
			defer s.lease.Release(ctx)
			defer die()
		}
	}
	// round has every live server ask at once and returns those holding.
	round := func(dead *server) []*server {
		t.Helper()
		var (
			mu      sync.Mutex
			leaders []*server
			wg      sync.WaitGroup
		)
		for _, s := range servers {
			if s == dead {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.lease.Held(s.ctx)
				if err != nil {
					t.Errorf("node %d: %v", s.node, err)
				}
				if ok {
					mu.Lock()
					leaders = append(leaders, s)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return leaders
	}
	var leader *server
	for i := range 10 {
		got := round(nil)
		if len(got) != 1 {
			t.Fatalf("round %d: %d servers lead, want 1", i, len(got))
		}
		if leader != nil && got[0] != leader {
			t.Fatalf("round %d: the lead moved from a server on node %d to one on node %d while its holder ran", i, leader.node, got[0].node)
		}
		leader = got[0]
		time.Sleep(ttl / 5)
	}
	t.Logf("a server on node %d leads", leader.node)

	leader.die() // no Release: its renewals just stop
	died := time.Now()
	var next *server
	for next == nil {
		got := round(leader)
		switch {
		case len(got) > 1:
			t.Fatalf("%d servers lead after the leader died, want 1", len(got))
		case len(got) == 1:
			next = got[0]
		case time.Since(died) > 5*ttl:
			t.Fatal("no server took over the lease of the leader that died")
		default:
			time.Sleep(ttl / 20)
		}
	}
	if took := time.Since(died); took < ttl/2 {
		t.Errorf("taken over %s after the leader died, before the lease could have expired", took)
	}
	t.Logf("a server on node %d took over %s after the leader died", next.node, time.Since(died).Round(time.Millisecond))
	for i := range 5 {
		if got := round(leader); len(got) != 1 || got[0] != next {
			t.Fatalf("round %d after the takeover: %d servers lead, want the new leader alone", i, len(got))
		}
		time.Sleep(ttl / 5)
	}
}
