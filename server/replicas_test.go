package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"suyuan/internal/eventlog"
	"suyuan/internal/metrics"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// rawPost posts a GraphQL query with headers of the caller's own,
// returning the HTTP response and its decoded body.
func (a *api) rawPost(query string, vars map[string]any, headers ...string) (*http.Response, response) {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := a.send(req)
	if err != nil {
		a.t.Fatalf("posting: %v", err)
	}
	defer res.Body.Close()
	return res, decode(a.t, res)
}

// replicaUp reads suyuan_replica_up of the replica at dsn.
func replicaUp(t *testing.T, m *metrics.Metrics, dsn string) float64 {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "suyuan_replica_up" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "replica" && l.GetValue() == cfg.Addr {
					return s.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no suyuan_replica_up for %s", cfg.Addr)
	return 0
}

const (
	orgName  = `query($id: ID!) { node(id: $id) { ... on Organization { name } } }`
	lotFound = `query($lot: String!) { batches(first: 1, where: {lotCode: $lot}) { edges { node { id } } } }`
)

// TestReadReplicas runs a server over a MariaDB primary and a GTID replica
// of its own: queries and consumer pages read the replica, a client reads
// its own writes whatever the replica's lag, a cached page never comes
// back from a replica behind a change it shows, a replica that goes away
// is not used, and a primary that goes away makes requests UNAVAILABLE
// (503, Retry-After) until it is back, with no restart of the server.
func TestReadReplicas(t *testing.T) {
	rep := testdb.Replicated(t, time.Hour)
	m := metrics.New()
	a := newAPI(t, rep.DB, server.Config{PublicBaseURL: publicURL, Metrics: m})
	jar, _ := cookiejar.New(nil)
	a.client = &http.Client{Jar: jar}
	p := a.porkChain()
	rep.CatchUp(t)
	ctx := context.Background()

	t.Run("queries and pages read the replica", func(t *testing.T) {
		a := a.forTest(t)
		var was struct{ Node struct{ Name string } }
		a.must(&was, orgName, map[string]any{"id": p.plantOrg})
		// The replica alone is told another name: what reads it shows it.
		// (Outside its binary log, which would otherwise move its
		// position as if it had replicated a write.)
		rep.Replica.Exec(ctx, "SET sql_log_bin = 0", "UPDATE suyuan.organizations SET name = 'ON THE REPLICA' WHERE id = "+p.plantOrg)
		defer rep.Replica.Exec(ctx, "SET sql_log_bin = 0", "UPDATE suyuan.organizations SET name = '"+was.Node.Name+"' WHERE id = "+p.plantOrg)
		var got struct{ Node struct{ Name string } }
		a.must(&got, orgName, map[string]any{"id": p.plantOrg})
		if got.Node.Name != "ON THE REPLICA" {
			t.Errorf("a query read %q, not the replica's name", got.Node.Name)
		}
		if page := a.fetch("GET", "/t/"+p.code+"?lang=en"); !strings.Contains(page.Body, "ON THE REPLICA") {
			t.Errorf("the consumer page was not read from the replica:\n%.1500s", page.Body)
		}
		if v := replicaUp(t, m, rep.ReadDSN); v != 1 {
			t.Errorf("suyuan_replica_up = %v, want 1", v)
		}
	})

	// From here on the replica applies what the primary commits an hour
	// late, while it still counts as within the lag allowed.
	rep.Replica.Exec(ctx, "STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 3600", "START SLAVE")
	rep.WaitHealthy(t)

	t.Run("a client reads its own writes", func(t *testing.T) {
		a := a.forTest(t)
		res, r := a.rawPost(`mutation($in: CreateBatchInput!) { createBatch(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"productID": p.chain.pork, "facilityID": p.plant, "lotCode": "AFTER-1", "quantity": 5, "unit": "KG", "producedAt": day(4)}})
		if len(r.Errors) > 0 {
			t.Fatalf("createBatch: %s", r.Raw)
		}
		pos := res.Header.Get(server.ReadAfterHeader)
		if pos == "" {
			t.Fatalf("no %s on the answer to a recording", server.ReadAfterHeader)
		}
		rep.WaitHealthy(t)
		// Without the position, a query reads the lagging replica...
		program := *a
		program.client = nil // no cookies
		var lots struct{ Batches struct{ Edges []struct{} } }
		if _, r := program.rawPost(lotFound, map[string]any{"lot": "AFTER-1"}); json.Unmarshal(r.Data, &lots) != nil || len(lots.Batches.Edges) != 0 {
			t.Fatalf("the replica, an hour behind, already has the lot: %s", r.Raw)
		}
		// ...with it, what has the write.
		if _, r := program.rawPost(lotFound, map[string]any{"lot": "AFTER-1"}, server.ReadAfterHeader, pos); json.Unmarshal(r.Data, &lots) != nil || len(lots.Batches.Edges) != 1 {
			t.Errorf("with %s %s the lot is not found (replicas: %+v): %s", server.ReadAfterHeader, pos, rep.DB.Replicas.States(), r.Raw)
		}
		// A browser carries it in a cookie.
		a.must(&lots, lotFound, map[string]any{"lot": "AFTER-1"})
		if len(lots.Batches.Edges) != 1 {
			t.Error("with the cookie the lot is not found")
		}
		if res, r := a.rawPost(lotFound, map[string]any{"lot": "AFTER-1"}, server.ReadAfterHeader, "yesterday"); res.StatusCode != 400 ||
			len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "INVALID_REQUEST" || r.Errors[0].Extensions.Field != server.ReadAfterHeader {
			t.Errorf("a malformed %s: %d %s", server.ReadAfterHeader, res.StatusCode, r.Raw)
		}
	})

	t.Run("a cached page is not refreshed from a replica behind the change", func(t *testing.T) {
		a := a.forTest(t)
		path := "/t/" + p.code
		if page := a.fetch("GET", path); strings.Contains(page.Body, "已召回") {
			t.Fatal("recalled before the recall")
		}
		a.must(nil, `mutation($b: ID!) { initiateRecall(input: {batchIDs: [$b], reason: "test", class: II, depth: CONSUMER}) { id } }`,
			map[string]any{"b": p.salt})
		// Another shopper, with no cookie of the regulator's.
		shopper := a.as("")
		shopper.client = nil
		page := shopper.fetch("GET", path)
		if page.Header.Get("X-Cache") != "MISS" || !strings.Contains(page.Body, "已召回") {
			t.Errorf("after the recall the page shows no recall (%s):\n%.1500s", page.Header.Get("X-Cache"), page.Body)
		}
	})

	t.Run("a replica that goes away is not used", func(t *testing.T) {
		a := a.forTest(t)
		rep.Replica.Stop()
		var got struct{ Node struct{ Name string } }
		a.must(&got, orgName, map[string]any{"id": p.plantOrg})
		rep.DB.Replicas.Check(ctx)
		res := a.get("/readyz")
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), "not used") {
			t.Errorf("/readyz with the replica down: %d %s", res.StatusCode, body)
		}
		if v := replicaUp(t, m, rep.ReadDSN); v != 0 {
			t.Errorf("suyuan_replica_up = %v, want 0", v)
		}
	})

	t.Run("a primary that goes away answers UNAVAILABLE until it is back", func(t *testing.T) {
		a := a.forTest(t)
		var key struct{ CreateAPIKey struct{ Secret string } }
		a.must(&key, `mutation($o: ID!) { createAPIKey(organizationID: $o, name: "partner") { secret } }`, map[string]any{"o": p.plantOrg})
		rep.Primary.Stop()
		// A partner's key is checked against the database first.
		partner := a.as("")
		partner.client = nil
		if res, r := partner.rawPost(orgName, map[string]any{"id": p.plantOrg}, "X-API-Key", key.CreateAPIKey.Secret); res.StatusCode != http.StatusServiceUnavailable ||
			res.Header.Get("Retry-After") == "" || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "UNAVAILABLE" {
			t.Errorf("an API key checked with the primary down: %d, Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), r.Raw)
		}
		for _, q := range []string{orgName, `mutation($id: ID!) { updateOrganization(id: $id, input: {name: "Renamed"}) { id } }`} {
			res, r := a.rawPost(q, map[string]any{"id": p.plantOrg})
			if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
				len(r.Errors) == 0 || r.Errors[0].Extensions.Code != "UNAVAILABLE" {
				t.Errorf("with the primary down: %d, Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), r.Raw)
			}
		}
		page := a.as("").fetch("GET", "/01/"+p.gtin+"/10/LOIN-1?lang=en")
		if page.Status != http.StatusServiceUnavailable || page.Header.Get("Retry-After") == "" {
			t.Errorf("an uncached page with the primary down: %d, Retry-After %q", page.Status, page.Header.Get("Retry-After"))
		}
		if res := a.get("/readyz"); res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz with the primary down: %d", res.StatusCode)
		}
		rep.Primary.Start()
		// A recording under way, its Idempotency-Key claimed, when the
		// primary goes away is refused, and its key freed for the retry
		// once the primary is back (not held for its lease). It is held
		// up by a lock on its product, which the batch's foreign key
		// check waits for, until the primary stops.
		create := `mutation($in: CreateBatchInput!) { createBatch(input: $in) { id } }`
		in := map[string]any{"in": map[string]any{"productID": p.chain.pork, "facilityID": p.plant, "lotCode": "OUTAGE-1",
			"quantity": 5, "unit": "KG", "producedAt": day(4)}}
		locker := rep.Primary.Conn(ctx)
		for _, q := range []string{"BEGIN", "SELECT id FROM suyuan.products WHERE id = " + p.chain.pork + " FOR UPDATE"} {
			if _, err := locker.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		refused := make(chan int, 1)
		go func() {
			res, _ := a.rawPost(create, in, "Idempotency-Key", "outage-1")
			refused <- res.StatusCode
		}()
		// Its key is claimed before it runs; whatever it has reached
		// since, it cannot commit past the lock.
		rep.Primary.WaitFor(t, "SELECT COUNT(*) FROM suyuan.idempotency_records WHERE state = 'PROCESSING'")
		rep.Primary.Stop()
		locker.Close()
		if status := <-refused; status != http.StatusServiceUnavailable {
			t.Errorf("a recording under way as the primary stopped: %d", status)
		}
		rep.Primary.Start()
		deadline := time.Now().Add(15 * time.Second)
		for {
			res, r := a.rawPost(create, in, "Idempotency-Key", "outage-1")
			if res.StatusCode == 200 && len(r.Errors) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the recording's retry with its key, 15 s after the primary came back: %d %s", res.StatusCode, r.Raw)
			}
			time.Sleep(200 * time.Millisecond) // the client's Retry-After, shortened
		}
		if n := a.count("batches WHERE lot_code = 'OUTAGE-1'"); n != 1 {
			t.Errorf("%d lots OUTAGE-1, want 1", n)
		}
		var got struct{ Node struct{ Name string } }
		a.must(&got, orgName, map[string]any{"id": p.plantOrg})
		if res := a.get("/readyz"); res.StatusCode != 200 {
			t.Errorf("/readyz with the primary back: %d", res.StatusCode)
		}
	})
}

// TestPagesFollowOtherServers: two servers on one database, each with a
// page cache of its own; a recall recorded through one drops the page
// the other cached as soon as the other's follower reads the outbox
// (every half second when serving).
func TestPagesFollowOtherServers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{PublicBaseURL: publicURL})
		p := a.porkChain()
		other := eventlog.New(db.Client, nil)
		follower := other.Follower()
		ctx := tenancy.System(context.Background())
		if _, err := follower.Poll(ctx); err != nil { // its starting point
			t.Fatal(err)
		}
		b := newAPI(t, db, server.Config{PublicBaseURL: publicURL, Log: other})
		path := "/t/" + p.code
		b.fetch("GET", path)
		if page := b.fetch("GET", path); page.Header.Get("X-Cache") != "HIT" || strings.Contains(page.Body, "已召回") {
			t.Fatalf("before the recall: %s, recalled %v", page.Header.Get("X-Cache"), strings.Contains(page.Body, "已召回"))
		}
		a.must(nil, `mutation($b: ID!) { initiateRecall(input: {batchIDs: [$b], reason: "test", class: II, depth: CONSUMER}) { id } }`,
			map[string]any{"b": p.salt})
		if page := b.fetch("GET", path); page.Header.Get("X-Cache") != "HIT" {
			t.Fatalf("the other server dropped its page before reading the outbox: %s", page.Header.Get("X-Cache"))
		}
		if n, err := follower.Poll(ctx); err != nil || n == 0 {
			t.Fatalf("the follower told %d changes: %v", n, err)
		}
		if page := b.fetch("GET", path); page.Header.Get("X-Cache") != "MISS" || !strings.Contains(page.Body, "已召回") {
			t.Errorf("after the follower read the recall: %s, recalled %v", page.Header.Get("X-Cache"), strings.Contains(page.Body, "已召回"))
		}
	})
}
