package scan_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"suyuan/ent"
	"suyuan/ent/privacy"
	"suyuan/ent/scanevent"
	"suyuan/internal/cnid"
	"suyuan/internal/scan"
	"suyuan/internal/testdb"
)

// fixture is one batch with two issued codes, written through Ent.
type fixture struct {
	batch, other int
	code1, code2 int
}

func newFixture(t *testing.T, ctx context.Context, c *ent.Client) fixture {
	t.Helper()
	check, err := cnid.CreditCodeCheckChar("91511800MA0000001")
	if err != nil {
		t.Fatal(err)
	}
	org := c.Organization.Create().SetName("雅安肉联厂").SetKind("PROCESSOR").
		SetCreditCode("91511800MA0000001" + string(check)).SetLicenseNo("SC10451180200001").
		SetRegionCode("511802").SaveX(ctx)
	fac := c.Facility.Create().SetOrganizationID(org.ID).SetKind("SLAUGHTERHOUSE").
		SetName("雨城区屠宰场").SetRegionCode("511802").SaveX(ctx)
	prod := c.Product.Create().SetOrganizationID(org.ID).SetName("冷鲜猪里脊").
		SetCategory("MEAT").SetUnit("KG").SaveX(ctx)
	mk := func(lot string) int {
		return c.Batch.Create().SetProductID(prod.ID).SetOrganizationID(org.ID).SetFacilityID(fac.ID).
			SetLotCode(lot).SetProducedAt(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)).
			SetQuantity(100).SetUnit("KG").SaveX(ctx).ID
	}
	f := fixture{batch: mk("LOT-1"), other: mk("LOT-2")}
	f.code1 = c.TraceCode.Create().SetBatchID(f.batch).SetCode("code-one").SaveX(ctx).ID
	f.code2 = c.TraceCode.Create().SetBatchID(f.batch).SetCode("code-two").SaveX(ctx).ID
	return f
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// run starts r.Run and returns a func that stops it and returns its error.
func run(t *testing.T, r *scan.Recorder) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestRecorder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		// The fixture is written by the system, past the privacy rules.
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		f := newFixture(t, ctx, db.Client)
		regions, err := scan.ParseRegions(strings.NewReader("cidr,region\n110.185.0.0/16,511800\n110.185.7.0/24,511802\n"))
		if err != nil {
			t.Fatal(err)
		}
		// A long interval: only full batches, Sync and the end of Run write.
		r := scan.New(db.SQL, scan.Options{Secret: []byte("s3cret"), Regions: regions,
			BatchSize: 7, Interval: time.Hour, Logger: quiet()})
		stop := run(t, r)

		at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
		add := func(n, batch int, code *int, ip string) {
			for i := 0; i < n; i++ {
				if !r.Record(scan.Scan{BatchID: batch, TraceCodeID: code, At: at, RemoteIP: ip, UserAgent: "Mozilla/5.0"}) {
					t.Fatal("scan dropped with room in the queue")
				}
			}
		}
		add(10, f.batch, &f.code1, "110.185.7.9:51234") // more than a batch: one write on its own
		add(3, f.batch, &f.code2, "110.185.200.1")
		add(2, f.batch, nil, "[2001:db8::1]:443")
		add(4, f.other, nil, "not an address")
		if err := r.Sync(ctx); err != nil {
			t.Fatalf("Sync: %v", err)
		}

		counts := func() (b, o, c1, c2 int64) {
			t.Helper()
			b = db.Client.Batch.GetX(ctx, f.batch).ScanCount
			o = db.Client.Batch.GetX(ctx, f.other).ScanCount
			c1 = db.Client.TraceCode.GetX(ctx, f.code1).ScanCount
			c2 = db.Client.TraceCode.GetX(ctx, f.code2).ScanCount
			return
		}
		if b, o, c1, c2 := counts(); b != 15 || o != 4 || c1 != 10 || c2 != 3 {
			t.Errorf("counts: batch %d, other %d, code1 %d, code2 %d; want 15, 4, 10, 3", b, o, c1, c2)
		}
		if n := db.Client.ScanEvent.Query().CountX(ctx); n != 19 {
			t.Errorf("%d scan events, want 19", n)
		}
		byRegion := map[string]int{}
		for _, e := range db.Client.ScanEvent.Query().AllX(ctx) {
			byRegion[e.RegionCode]++
			if len(e.ClientHash) != 32 {
				t.Errorf("client hash %q is not 32 hex digits", e.ClientHash)
			}
			if !e.ScannedAt.Equal(at) {
				t.Errorf("scanned at %v, want %v", e.ScannedAt, at)
			}
		}
		if byRegion["511802"] != 10 || byRegion["511800"] != 3 || byRegion[""] != 6 {
			t.Errorf("regions = %v; want the longest prefix to win and unknown to be empty", byRegion)
		}
		want := r.ClientHash("110.185.7.9", "Mozilla/5.0")
		if n := db.Client.ScanEvent.Query().Where(scanevent.ClientHash(want)).CountX(ctx); n != 10 {
			t.Errorf("%d events with the first client's hash, want 10 (the port must not change the hash)", n)
		}

		// What is queued when Run ends is written before it returns.
		add(5, f.other, nil, "110.185.7.1")
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if _, o, _, _ := counts(); o != 9 {
			t.Errorf("other batch count %d after shutdown, want 9", o)
		}
		if s := r.Stats(); s.Recorded != 24 || s.Dropped != 0 || s.Failed != 0 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestRecordNeverBlocks(t *testing.T) {
	db := testdb.SQLite(t)
	r := scan.New(db.SQL, scan.Options{Queue: 3, Logger: quiet()})
	// No Run: the queue fills and further scans are dropped at once.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10; i++ {
			r.Record(scan.Scan{BatchID: 1, RemoteIP: "127.0.0.1"})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked on a full queue")
	}
	if s := r.Stats(); s.Dropped != 7 {
		t.Errorf("dropped %d, want 7", s.Dropped)
	}
	var nilRecorder *scan.Recorder
	if nilRecorder.Record(scan.Scan{}) {
		t.Error("a nil recorder accepted a scan")
	}
}

func TestRunTwice(t *testing.T) {
	db := testdb.SQLite(t)
	r := scan.New(db.SQL, scan.Options{Logger: quiet()})
	stop := run(t, r)
	// Wait until the first Run holds the recorder.
	if err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != scan.ErrRunning {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

func TestFailedWriteIsCounted(t *testing.T) {
	db := testdb.SQLite(t)
	r := scan.New(db.SQL, scan.Options{Logger: quiet()})
	stop := run(t, r)
	// Batch 424242 does not exist: the foreign key fails the write, and
	// the recorder carries on.
	r.Record(scan.Scan{BatchID: 424242, RemoteIP: "127.0.0.1"})
	if err := r.Sync(context.Background()); err == nil {
		t.Error("Sync reported no error for a scan of a missing batch")
	}
	if s := r.Stats(); s.Failed != 1 || s.Recorded != 0 {
		t.Errorf("stats = %+v, want one failed", s)
	}
	if err := stop(); err != nil {
		t.Errorf("Run = %v after a failed write; the queue was empty at the end", err)
	}
}

func TestClientHash(t *testing.T) {
	a := scan.New(nil, scan.Options{Secret: []byte("one")})
	b := scan.New(nil, scan.Options{Secret: []byte("two")})
	h := a.ClientHash("10.0.0.1", "UA")
	if len(h) != 32 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("hash %q is not 32 lower-case hex digits", h)
	}
	for _, same := range []string{"10.0.0.1:80", "[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1"} {
		if got := a.ClientHash(same, "UA"); got != h {
			t.Errorf("hash of %s differs from that of 10.0.0.1", same)
		}
	}
	if a.ClientHash("10.0.0.1", "UA2") == h || a.ClientHash("10.0.0.2", "UA") == h {
		t.Error("different clients share a hash")
	}
	if b.ClientHash("10.0.0.1", "UA") == h {
		t.Error("the secret does not change the hash")
	}
	// The address and agent are separated: "1.2.3.4" + "5UA" differs from
	// "1.2.3.45" + "UA".
	if a.ClientHash("1.2.3.4", "5UA") == a.ClientHash("1.2.3.45", "UA") {
		t.Error("hash input is ambiguous")
	}
}

func TestRegions(t *testing.T) {
	r, err := scan.ParseRegions(strings.NewReader(`# Ya'an
CIDR,Region
110.185.0.0/16, 511800
110.185.7.0/24,511802
110.185.7.7,511803
::ffff:61.139.0.0/112,510100
2001:db8::/32,510000
2001:db8:1::/48,511800
`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 6 {
		t.Errorf("Len = %d, want 6", r.Len())
	}
	for ip, want := range map[string]string{
		"110.185.1.1":        "511800",
		"110.185.7.1":        "511802",
		"110.185.7.7":        "511803",
		"::ffff:110.185.7.8": "511802",
		"61.139.2.3":         "510100",
		"61.140.0.1":         "",
		"2001:db8:2::1":      "510000",
		"2001:db8:1:ffff::1": "511800",
		"2001:db9::1":        "",
		"fe80::1%eth0":       "",
		"110.186.0.0":        "",
	} {
		if got := r.Lookup(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Lookup(%s) = %q, want %q", ip, got, want)
		}
	}
	var empty *scan.Regions
	if empty.Lookup(netip.MustParseAddr("110.185.1.1")) != "" || empty.Len() != 0 {
		t.Error("nil table is not empty")
	}
	if e, err := scan.LoadRegions(""); err != nil || e.Len() != 0 {
		t.Errorf("LoadRegions(\"\") = %v, %v; want an empty table", e, err)
	}
	if _, err := scan.LoadRegions("/no/such/file.csv"); err == nil {
		t.Error("LoadRegions of a missing file did not fail")
	}

	for name, bad := range map[string]string{
		"bad prefix":       "110.185.0.0/33,511800\n",
		"bad region":       "110.185.0.0/16,991800\n",
		"short region":     "110.185.0.0/16,5118\n",
		"three fields":     "110.185.0.0/16,511800,x\n",
		"duplicate":        "110.185.0.0/16,511800\n110.185.1.0/16,511802\n",
		"not a prefix":     "hello,511800\n",
		"mapped too short": "::ffff:0:0/90,511800\n",
	} {
		if _, err := scan.ParseRegions(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: ParseRegions(%q) did not fail", name, bad)
		} else if !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: error %q does not name the line", name, err)
		}
	}
}
