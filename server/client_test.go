package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// api is a GraphQL client for one test server over one test database.
type api struct {
	t   *testing.T
	srv *httptest.Server
	db  *testdb.DB
	seq int // numbers the organisations and products a test creates
}

func newAPI(t *testing.T, db *testdb.DB, cfg server.Config) *api {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = discardLogger()
	}
	srv := httptest.NewServer(server.New(db.DB, cfg).Handler())
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, db: db}
}

type gqlError struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code      string `json:"code"`
		Field     string `json:"field"`
		RequestID string `json:"requestId"`
	} `json:"extensions"`
}

type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Raw    string
}

// do posts a query and decodes the answer; it fails the test only on
// transport errors, leaving GraphQL errors to the caller.
func (a *api) do(query string, vars map[string]any) response {
	a.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		a.t.Fatalf("encoding request: %v", err)
	}
	return a.post("application/json", body)
}

func (a *api) post(contentType string, body []byte) response {
	a.t.Helper()
	res, err := http.Post(a.srv.URL+"/graphql", contentType, bytes.NewReader(body))
	if err != nil {
		a.t.Fatalf("posting: %v", err)
	}
	defer res.Body.Close()
	return decode(a.t, res)
}

func decode(t *testing.T, res *http.Response) response {
	t.Helper()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	r := response{Status: res.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("decoding response %q: %v", raw, err)
	}
	return r
}

// must is do, failing the test on any GraphQL error, and decoding data
// into out.
func (a *api) must(out any, query string, vars map[string]any) {
	a.t.Helper()
	r := a.do(query, vars)
	if len(r.Errors) > 0 {
		a.t.Fatalf("query failed: %s\nquery: %s\nvars: %v", r.Raw, query, vars)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			a.t.Fatalf("decoding data %s: %v", r.Data, err)
		}
	}
}

// fails is do, expecting exactly one error with code (and field, when not
// empty).
func (a *api) fails(code, field, query string, vars map[string]any) gqlError {
	a.t.Helper()
	r := a.do(query, vars)
	if len(r.Errors) != 1 {
		a.t.Fatalf("want one error %s, got %s", code, r.Raw)
	}
	e := r.Errors[0]
	if e.Extensions.Code != code {
		a.t.Fatalf("error code = %s, want %s (%s)", e.Extensions.Code, code, r.Raw)
	}
	if field != "" && e.Extensions.Field != field {
		a.t.Fatalf("error field = %q, want %q (%s)", e.Extensions.Field, field, r.Raw)
	}
	return e
}

// count returns the rows of a table, read directly from the database.
func (a *api) count(table string) int {
	a.t.Helper()
	var n int
	if err := a.db.SQL.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		a.t.Fatalf("counting %s: %v", table, err)
	}
	return n
}

func containsAny(s string, subs ...string) string {
	low := strings.ToLower(s)
	for _, sub := range subs {
		if strings.Contains(low, strings.ToLower(sub)) {
			return sub
		}
	}
	return ""
}
