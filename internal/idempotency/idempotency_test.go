package idempotency_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"suyuan/ent"
	"suyuan/internal/idempotency"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/internal/viewer"
)

// clock is a time the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// rig is Middleware in front of a handler that counts its work, over a
// test database, served over HTTP. The caller is user 1, or the user named
// by the X-User header. A body starting with "hold" makes the handler
// signal entered and wait for release; one starting with "panic", panic;
// one starting with "big" answers more than MaxAnswer bytes.
type rig struct {
	t                *testing.T
	db               *testdb.DB
	srv              *httptest.Server
	clock            *clock
	work             atomic.Int64
	entered, release chan struct{}
}

const lease = time.Minute

func newRig(t *testing.T, db *testdb.DB) *rig {
	g := &rig{t: t, db: db, clock: &clock{now: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)},
		entered: make(chan struct{}), release: make(chan struct{})}
	work := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(string(body), "record") {
			// A recording commits, noting itself on the key, and then
			// the server is stuck (or gone) before it answers.
			if err := store.InTx(r.Context(), db.Client, func(tx *ent.Tx) error { return idempotency.Recorded(r.Context(), tx) }); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			if g.work.Add(1) == 1 { // a second run (the defect) answers at once
				g.entered <- struct{}{}
				<-g.release
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "recorded")
			return
		}
		if strings.HasPrefix(string(body), "hold") {
			g.entered <- struct{}{}
			<-g.release
		}
		if strings.HasPrefix(string(body), "panic") {
			panic("the handler failed")
		}
		n := g.work.Add(1)
		if strings.HasPrefix(string(body), "big") {
			io.WriteString(w, strings.Repeat("x", idempotency.MaxAnswer+1))
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Location", "/things/"+strconv.FormatInt(n, 10))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "done %d: %s", n, body)
	})
	h := idempotency.Middleware(idempotency.NewStore(db.Client, g.clock.Now), idempotency.Options{Lease: lease})(work)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				http.Error(w, "panic", http.StatusInternalServerError)
			}
		}()
		user := 1
		if u := r.Header.Get("X-User"); u != "" {
			user, _ = strconv.Atoi(u)
		}
		ctx := viewer.NewContext(r.Context(), &viewer.Viewer{UserID: user, OrgID: 1, Role: viewer.Staff})
		h.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(srv.Close)
	g.srv = srv
	return g
}

type reply struct {
	status int
	header http.Header
	body   string
	err    error
}

// send posts body with key (none when empty) and the given header pairs.
func (g *rig) send(body, key string, headers ...string) reply {
	req, err := http.NewRequest(http.MethodPost, g.srv.URL+"/things", strings.NewReader(body))
	if err != nil {
		return reply{err: err}
	}
	if key != "" {
		req.Header.Set(idempotency.Header, key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(raw), err}
}

// post is send, failing the test on a transport error.
func (g *rig) post(body, key string, headers ...string) reply {
	g.t.Helper()
	r := g.send(body, key, headers...)
	if r.err != nil {
		g.t.Fatal(r.err)
	}
	return r
}

func (g *rig) rows() int {
	g.t.Helper()
	n, err := g.db.Client.IdempotencyRecord.Query().Count(tenancy.System(context.Background()))
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}

func TestReplay(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		g := newRig(t, db)
		first := g.post("a", "k1")
		if first.status != http.StatusCreated || first.body != "done 1: a" {
			t.Fatalf("first: %d %q", first.status, first.body)
		}
		again := g.post("a", "k1")
		if again.status != first.status || again.body != first.body ||
			again.header.Get("Location") != "/things/1" || again.header.Get("Content-Type") != "text/plain" ||
			again.header.Get(idempotency.ReplayedHeader) != "true" {
			t.Errorf("replay: %d %v %q", again.status, again.header, again.body)
		}
		if n := g.work.Load(); n != 1 {
			t.Errorf("the work ran %d times", n)
		}
		// Another user's key of the same name is another key.
		if r := g.post("b", "k1", "X-User", "2"); r.status != http.StatusCreated || r.body != "done 2: b" {
			t.Errorf("another user's k1: %d %q", r.status, r.body)
		}
		// Without a key nothing is kept.
		g.post("a", "")
		if n := g.work.Load(); n != 3 || g.rows() != 2 {
			t.Errorf("a request without a key: work %d, rows %d", n, g.rows())
		}
	})
}

// TestInUse: while the first request with a key runs, others with it are
// refused with 409 and Retry-After; once it ends, they get its answer.
func TestInUse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		g := newRig(t, db)
		firstDone := make(chan reply, 1)
		go func() { firstDone <- g.send("hold a", "k1") }()
		<-g.entered
		busy := g.post("hold a", "k1")
		if busy.status != http.StatusConflict || !strings.Contains(busy.body, `"IDEMPOTENCY_KEY_IN_USE"`) ||
			busy.header.Get("Retry-After") != "1" || !strings.Contains(busy.body, `"retryAfter":1`) {
			t.Errorf("while in use: %d %v %s", busy.status, busy.header, busy.body)
		}
		if other := g.post("hold b", "k1"); other.status != http.StatusUnprocessableEntity ||
			!strings.Contains(other.body, `"IDEMPOTENCY_KEY_REUSED"`) {
			t.Errorf("another body while in use: %d %s", other.status, other.body)
		}
		close(g.release)
		first := <-firstDone
		if first.err != nil || first.status != http.StatusCreated {
			t.Fatalf("first: %v %d %s", first.err, first.status, first.body)
		}
		again := g.post("hold a", "k1")
		if again.body != first.body || again.header.Get(idempotency.ReplayedHeader) != "true" {
			t.Errorf("after the first ended: %d %s", again.status, again.body)
		}
		if n := g.work.Load(); n != 1 {
			t.Errorf("the work ran %d times", n)
		}
	})
}

// TestLeaseTakeover: a claim whose server stopped before keeping the
// answer is refused as in use until its lease runs out; then one retry
// takes it over and does the work again.
func TestLeaseTakeover(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		g := newRig(t, db)
		// A claim left behind: the request's server is gone.
		now := g.clock.Now()
		err := db.Client.IdempotencyRecord.Create().SetScope("user:1").SetKey("k1").
			SetFingerprint(fingerprintOf(t, g, "a")).
			SetLockedUntil(now.Add(lease)).SetCreatedAt(now).SetExpiresAt(now.Add(idempotency.TTL)).
			Exec(tenancy.System(context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		if r := g.post("a", "k1"); r.status != http.StatusConflict {
			t.Errorf("within the lease: %d %s", r.status, r.body)
		}
		g.clock.advance(lease + time.Second)
		if r := g.post("a", "k1"); r.status != http.StatusCreated || r.header.Get(idempotency.ReplayedHeader) != "" {
			t.Errorf("after the lease: %d %s", r.status, r.body)
		}
		if r := g.post("a", "k1"); r.header.Get(idempotency.ReplayedHeader) != "true" {
			t.Errorf("after the takeover: %d %s", r.status, r.body)
		}
		if n := g.work.Load(); n != 1 {
			t.Errorf("the work ran %d times here", n)
		}
	})
}

// TestRecordedThenStopped: a request whose recording committed but whose
// server stopped before keeping the answer is not done again when its
// claim's lease runs out: a retry is told ANSWER_LOST.
func TestRecordedThenStopped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		g := newRig(t, db)
		first := make(chan reply, 1)
		go func() { first <- g.send("record 1", "k1") }()
		<-g.entered
		if r := g.post("record 1", "k1"); r.status != http.StatusConflict || !strings.Contains(r.body, "IDEMPOTENCY_KEY_IN_USE") {
			t.Errorf("within the lease: %d %s", r.status, r.body)
		}
		g.clock.advance(lease + time.Second)
		r := g.post("record 1", "k1")
		if r.status != http.StatusConflict || !strings.Contains(r.body, "ANSWER_LOST") || r.header.Get(idempotency.ReplayedHeader) != "true" {
			t.Errorf("after the lease: %d %s", r.status, r.body)
		}
		if n := g.work.Load(); n != 1 {
			t.Errorf("the work ran %d times", n)
		}
		// The first request, answering after all, keeps its own answer.
		g.release <- struct{}{}
		if r := <-first; r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("the first request: %d %v", r.status, r.err)
		}
		if r := g.post("record 1", "k1"); r.status != http.StatusCreated || r.body != "recorded" {
			t.Errorf("after the first answered: %d %s", r.status, r.body)
		}
	})
}

// fingerprintOf learns the fingerprint the middleware gives body: a
// first request with a throwaway key stores it.
func fingerprintOf(t *testing.T, g *rig, body string) string {
	t.Helper()
	g.post(body, "probe", "X-User", "99")
	rec, err := g.db.Client.IdempotencyRecord.Query().All(tenancy.System(context.Background()))
	if err != nil || len(rec) != 1 {
		t.Fatalf("probing the fingerprint: %v, %d rows", err, len(rec))
	}
	if err := g.db.Client.IdempotencyRecord.DeleteOne(rec[0]).Exec(tenancy.System(context.Background())); err != nil {
		t.Fatal(err)
	}
	g.work.Store(0)
	return rec[0].Fingerprint
}

// TestPanicReleases: a request whose handler panics keeps no answer; its
// retry does the work.
func TestPanicReleases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		g := newRig(t, db)
		if r := g.post("panic", "k1"); r.status != http.StatusInternalServerError {
			t.Fatalf("panicking handler: %d %s", r.status, r.body)
		}
		if n := g.rows(); n != 0 {
			t.Errorf("a failed request kept its key: %d rows", n)
		}
		if r := g.post("a", "k1"); r.status != http.StatusCreated || r.header.Get(idempotency.ReplayedHeader) != "" {
			t.Errorf("the key after the panic: %d %s", r.status, r.body)
		}
	})
}

// TestExpiry: a key is forgotten after TTL; writes sweep expired keys.
func TestExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		g := newRig(t, db)
		for i := range 3 {
			g.post("a", fmt.Sprintf("old-%d", i))
		}
		g.post("a", "k1")
		g.clock.advance(idempotency.TTL)
		if r := g.post("b", "k1"); r.status != http.StatusCreated || r.body != "done 5: b" {
			t.Errorf("an expired key used again: %d %s", r.status, r.body)
		}
		if n := g.rows(); n != 1 {
			t.Errorf("%d keys after the write; want the expired ones swept", n)
		}
	})
}

// TestAnswerTooLarge: an answer too large to keep is sent; its retry is
// told so, and the work is not done again.
func TestAnswerTooLarge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		g := newRig(t, db)
		if r := g.post("big", "k1"); r.status != http.StatusOK || len(r.body) != idempotency.MaxAnswer+1 {
			t.Fatalf("first: %d, %d bytes", r.status, len(r.body))
		}
		r := g.post("big", "k1")
		if r.status != http.StatusInternalServerError || !strings.Contains(r.body, `"INTERNAL"`) ||
			r.header.Get(idempotency.ReplayedHeader) != "true" {
			t.Errorf("retry: %d %v %.200s", r.status, r.header, r.body)
		}
		if n := g.work.Load(); n != 1 {
			t.Errorf("the work ran %d times", n)
		}
	})
}
