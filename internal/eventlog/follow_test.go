package eventlog_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"suyuan/ent"
	"suyuan/internal/eventlog"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/internal/viewer"
)

// heard collects the changes a bus tells.
type heard struct {
	mu   sync.Mutex
	refs [][]string
}

func (h *heard) add(c *eventlog.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.refs = append(h.refs, c.Refs)
}

func (h *heard) got() [][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.refs)
}

var admin = viewer.NewContext(context.Background(), &viewer.Viewer{Role: viewer.Admin})

// touch records a change naming Organization:id through l.
func touch(t *testing.T, l *eventlog.Log, id int) {
	t.Helper()
	_, err := l.Record(admin, "updateOrganization", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		rec.Changed(ent.TypeOrganization, id)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two servers on one database: each hears its own changes at once from
// its bus, and the other's when its follower polls — once, in order.
func TestFollowerTellsOtherServersChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a, b := eventlog.New(db.Client, nil), eventlog.New(db.Client, nil)
		var ha, hb heard
		a.Bus().Subscribe(ha.add)
		b.Bus().Subscribe(hb.add)
		fa, fb := a.Follower(), b.Follower()
		ctx := context.Background()
		touch(t, a, 1) // before the followers start: not theirs to tell
		for _, f := range []*eventlog.Follower{fa, fb} {
			if n, err := f.Poll(ctx); err != nil || n != 0 {
				t.Fatalf("first poll told %d, %v; want 0", n, err)
			}
		}
		touch(t, a, 2)
		touch(t, b, 3)
		touch(t, a, 4)
		if n, err := fb.Poll(ctx); err != nil || n != 2 {
			t.Fatalf("b's follower told %d, %v; want a's 2 changes", n, err)
		}
		if n, err := fa.Poll(ctx); err != nil || n != 1 {
			t.Fatalf("a's follower told %d, %v; want b's 1 change", n, err)
		}
		if n, err := fb.Poll(ctx); err != nil || n != 0 {
			t.Fatalf("b's follower told %d again, %v", n, err)
		}
		want := func(ids ...string) [][]string {
			var out [][]string
			for _, id := range ids {
				out = append(out, []string{"Organization:" + id})
			}
			return out
		}
		if got := ha.got(); !slices.EqualFunc(got, want("1", "2", "4", "3"), slices.Equal) {
			t.Errorf("a heard %v", got)
		}
		if got := hb.got(); !slices.EqualFunc(got, want("3", "2", "4"), slices.Equal) {
			t.Errorf("b heard %v", got)
		}
	})
}

// A transaction that took its change id first but commits last is not
// skipped: the follower keeps looking for the ids below the highest it
// has read.
func TestFollowerWaitsForSlowerTransactions(t *testing.T) {
	// SQLite has one writer: no transaction commits out of order. On
	// Galera this is one node's ordering; TestGaleraFollower has the
	// cluster's.
	db := testdb.MySQLOneServer(t)
	a, b := eventlog.New(db.Client, nil), eventlog.New(db.Client, nil)
	var hb heard
	b.Bus().Subscribe(hb.add)
	fb := b.Follower()
	ctx := context.Background()
	if _, err := fb.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	touch(t, a, 1)
	// A slow recording: its change inserted, its commit to come.
	sys := tenancy.System(ctx)
	tx, err := db.Client.Tx(sys)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() // a failed test must not hold its locks past the test
	slow, err := tx.Change.Create().SetOperation("updateOrganization").SetOrigin(a.Origin()).
		SetRefs([]string{"Organization:5"}).SetRecordedAt(a.Now()).Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	touch(t, a, 6) // takes a higher id, commits first
	if n, err := fb.Poll(ctx); err != nil || n != 2 {
		t.Fatalf("told %d, %v; want the 2 committed changes", n, err)
	}
	if gaps := fb.Gaps(); !slices.Contains(gaps, slow.ID) {
		t.Fatalf("gaps %v do not hold the uncommitted change %d", gaps, slow.ID)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, err := fb.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("after the slow commit told %d, %v; want 1", n, err)
	}
	got := hb.got()
	if last := got[len(got)-1]; !slices.Equal(last, []string{"Organization:5"}) {
		t.Errorf("last heard %v, want the slow change", last)
	}
	if slices.Contains(fb.Gaps(), slow.ID) {
		t.Errorf("still looking for %d after reading it", slow.ID)
	}
}

// TestIndexed: what fits is kept; what does not is cut to fit, told apart
// by its digest.
func TestIndexed(t *testing.T) {
	short := "bt:po"
	long := "bt:urn:gs1:epcisapp:rail:btt:passage"
	other := "bt:urn:gs1:epcisapp:rail:btt:passageway"
	if eventlog.Indexed(short, eventlog.KindMaxLen) != short {
		t.Errorf("eventlog.Indexed(%q) changed it", short)
	}
	a, b := eventlog.Indexed(long, eventlog.KindMaxLen), eventlog.Indexed(other, eventlog.KindMaxLen)
	if len(a) > eventlog.KindMaxLen || len(b) > eventlog.KindMaxLen || a == b || a != eventlog.Indexed(long, eventlog.KindMaxLen) {
		t.Errorf("Indexed cut %q to %q and %q to %q", long, a, other, b)
	}
}
