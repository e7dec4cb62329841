package server_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"suyuan/internal/metrics"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// scrape reads the admin handler's /metrics over HTTP, as Prometheus does,
// and returns every sample by its series (name{labels} as exposed).
func scrape(t *testing.T, admin *httptest.Server) map[string]float64 {
	t.Helper()
	res, err := http.Get(admin.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", res.Status)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return samples
}

// TestMetrics runs a trace, a recording, a refused request, two views of
// a consumer page and a failed inspection through the real handler, then
// scrapes /metrics on the admin handler and finds each counted; the public
// handler serves neither /metrics nor the profiler.
func TestMetrics(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		m := metrics.New()
		m.WatchDB(db.SQL, db.Name)
		a := newAPI(t, db, server.Config{Metrics: m, PublicBaseURL: publicURL})
		admin := httptest.NewServer(server.AdminHandler(m, discardLogger()))
		t.Cleanup(admin.Close)

		c := a.newChain()
		var made struct{ CreateBatch struct{ ID string } }
		a.must(&made, `mutation RecordBatch($in: CreateBatchInput!) { createBatch(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"productID": c.pork, "facilityID": c.plant, "lotCode": "M-1",
				"producedAt": day(0), "quantity": 100, "unit": "KG"}})
		batch := made.CreateBatch.ID
		var codes struct{ IssueTraceCodes []struct{ Code string } }
		a.must(&codes, `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code } }`,
			map[string]any{"in": map[string]any{"batchID": batch, "count": 1}})
		code := codes.IssueTraceCodes[0].Code
		var traced struct {
			Trace struct{ Batch struct{ LotCode string } }
		}
		a.as("").must(&traced, `query Trace($code: String!) { trace(code: $code) { batch { lotCode } } }`, map[string]any{"code": code})
		if traced.Trace.Batch.LotCode != "M-1" {
			t.Fatalf("traced %+v", traced)
		}
		// Refused: recording needs a login.
		a.as("").fails("UNAUTHENTICATED", "", `mutation Refused($in: CreateBatchInput!) { createBatch(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"productID": c.pork, "facilityID": c.plant, "lotCode": "M-2",
				"producedAt": day(0), "quantity": 1, "unit": "KG"}})
		for range 2 { // built, then served from the cache
			res := a.as("").get("/t/" + code)
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("consumer page: %s", res.Status)
			}
		}
		a.spoil(batch, c.labOrg, 22.4)

		s := scrape(t, admin)
		atLeast := func(series string, min float64) {
			t.Helper()
			if got, ok := s[series]; !ok || got < min {
				t.Errorf("%s = %v (present %v), want at least %v", series, got, ok, min)
			}
		}
		atLeast(`suyuan_graphql_operations_total{operation="Trace",type="query"}`, 1)
		atLeast(`suyuan_graphql_operations_total{operation="RecordBatch",type="mutation"}`, 1)
		atLeast(`suyuan_graphql_operations_total{operation="Refused",type="mutation"}`, 1)
		atLeast(`suyuan_graphql_errors_total{code="UNAUTHENTICATED",operation="Refused"}`, 1)
		if _, ok := s[`suyuan_graphql_errors_total{code="UNAUTHENTICATED",operation="Trace"}`]; ok {
			t.Errorf("the trace counted an error")
		}
		atLeast(`suyuan_graphql_operation_duration_seconds_count{operation="Trace"}`, 1)
		// A trace reads the database, a recording writes it: both issue
		// statements, and the refusal none.
		atLeast(`suyuan_graphql_sql_statements_sum{operation="Trace"}`, 1)
		atLeast(`suyuan_graphql_sql_statements_sum{operation="RecordBatch"}`, 1)
		if got := s[`suyuan_graphql_sql_statements_sum{operation="Refused"}`]; got != 0 {
			t.Errorf("the refused recording issued %v statements", got)
		}
		atLeast(`suyuan_http_requests_total{method="POST",route="/graphql",status="200"}`, 3)
		atLeast(`suyuan_http_requests_total{method="GET",route="/t/*",status="200"}`, 2)
		atLeast(`suyuan_consumer_page_cache_total{result="miss"}`, 1)
		atLeast(`suyuan_consumer_page_cache_total{result="hit"}`, 1)
		atLeast(`suyuan_alerts_raised_total{kind="INSPECTION_FAILED"}`, 1)
		atLeast(`go_sql_max_open_connections{db_name="`+db.Name+`"}`, 1)
		build := false
		for series, v := range s {
			build = build || (strings.HasPrefix(series, "suyuan_build_info{") && v == 1)
		}
		if !build {
			t.Errorf("no suyuan_build_info")
		}

		for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
			res := a.as("").get(path)
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("public GET %s: %s, want 404", path, res.Status)
			}
		}
		res, err := http.Get(admin.URL + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("admin GET /debug/pprof/: %s", res.Status)
		}
	})
}
