package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// organizations creates n producers through the API.
func (a *api) organizations(n int) {
	a.t.Helper()
	for range n {
		a.org("CARRIER")
	}
}

func TestPageSizes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		a.organizations(25)
		type page struct {
			Organizations struct {
				TotalCount int
				Edges      []struct{ Cursor string }
				PageInfo   struct{ HasNextPage bool }
			}
		}

		t.Run("default", func(t *testing.T) {
			var p page
			a.must(&p, `{ organizations(where: {kind: CARRIER}) { totalCount edges { cursor } pageInfo { hasNextPage } } }`, nil)
			if len(p.Organizations.Edges) != 20 || p.Organizations.TotalCount != 25 || !p.Organizations.PageInfo.HasNextPage {
				t.Errorf("got %d of %d, next %v; want the default page of 20 of 25", len(p.Organizations.Edges), p.Organizations.TotalCount, p.Organizations.PageInfo.HasNextPage)
			}
			var next page
			a.must(&next, `query($after: Cursor) { organizations(after: $after, where: {kind: CARRIER}) { edges { cursor } pageInfo { hasNextPage } } }`,
				map[string]any{"after": p.Organizations.Edges[19].Cursor})
			if len(next.Organizations.Edges) != 5 || next.Organizations.PageInfo.HasNextPage {
				t.Errorf("second page has %d, next %v; want the last 5", len(next.Organizations.Edges), next.Organizations.PageInfo.HasNextPage)
			}
		})
		t.Run("default with a null variable", func(t *testing.T) {
			for _, vars := range []map[string]any{nil, {"n": nil}} {
				var p page
				a.must(&p, `query($n: Int) { organizations(first: $n, where: {kind: CARRIER}) { totalCount edges { cursor } } }`, vars)
				if len(p.Organizations.Edges) != 20 || p.Organizations.TotalCount != 25 {
					t.Errorf("variables %v gave %d of %d; want the default page of 20 of 25", vars, len(p.Organizations.Edges), p.Organizations.TotalCount)
				}
			}
		})
		t.Run("default of an eager-loaded edge with a null variable", func(t *testing.T) {
			farm := a.org("PRODUCER")
			for range 25 {
				a.facility(farm, "FARM")
			}
			var p struct {
				Node struct {
					Facilities struct {
						TotalCount int
						Edges      []struct{ Node struct{ ID string } }
					}
				}
			}
			for _, q := range []string{
				`query($id: ID!, $n: Int) { node(id: $id) { ... on Organization { facilities(first: $n) { totalCount edges { node { id } } } } } }`,
				`query($id: ID!, $n: Int) { node(id: $id) { ...F } } fragment F on Organization { facilities(last: $n) { totalCount edges { node { id } } } }`,
			} {
				for _, vars := range []map[string]any{{"id": farm}, {"id": farm, "n": nil}} {
					a.must(&p, q, vars)
					if got := len(p.Node.Facilities.Edges); got != 20 || p.Node.Facilities.TotalCount != 25 {
						t.Errorf("%s with %v gave %d of %d facilities; want 20 of 25", q, vars, got, p.Node.Facilities.TotalCount)
					}
				}
			}
		})
		t.Run("default in fragments and nested", func(t *testing.T) {
			var p struct {
				Organizations struct{ Edges []struct{ Cursor string } }
			}
			a.must(&p, `query { ...F } fragment F on Query { organizations { edges { cursor } } }`, nil)
			if len(p.Organizations.Edges) != 20 {
				t.Errorf("fragment page has %d, want 20", len(p.Organizations.Edges))
			}
		})
		t.Run("last", func(t *testing.T) {
			var p page
			a.must(&p, `{ organizations(last: 3) { edges { cursor } } }`, nil)
			if len(p.Organizations.Edges) != 3 {
				t.Errorf("last 3 gave %d", len(p.Organizations.Edges))
			}
		})
		for _, tc := range []struct {
			name, query string
			vars        map[string]any
			code, field string
		}{
			{"first over maximum", `{ organizations(first: 101) { totalCount } }`, nil, "PAGE_SIZE_EXCEEDED", "first"},
			{"last over maximum", `{ organizations(last: 1000) { totalCount } }`, nil, "PAGE_SIZE_EXCEEDED", "last"},
			{"negative", `{ organizations(first: -1) { totalCount } }`, nil, "PAGE_SIZE_EXCEEDED", "first"},
			{"over maximum in a variable", `query($n: Int) { organizations(first: $n) { totalCount } }`, map[string]any{"n": 500}, "PAGE_SIZE_EXCEEDED", "first"},
			{"over maximum nested", `{ organizations(first: 1) { edges { node { batches(first: 200) { totalCount } } } } }`, nil, "PAGE_SIZE_EXCEEDED", "first"},
			{"over maximum in a fragment", `{ organizations(first: 1) { edges { node { ...B } } } } fragment B on Organization { facilities(first: 101) { totalCount } }`, nil, "PAGE_SIZE_EXCEEDED", "first"},
			{"first and last", `{ organizations(first: 2, last: 2) { totalCount } }`, nil, "BAD_USER_INPUT", ""},
			{"bad cursor", `{ organizations(after: "not-a-cursor") { totalCount } }`, nil, "INVALID_CURSOR", "after"},
			{"too many nodes", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": make([]int, 101)}, "PAGE_SIZE_EXCEEDED", "ids"},
			{"too complex", `{ organizations(first: 100) { edges { node { batches(first: 100) { edges { node { shelfEvents(first: 100) { edges { node { id } } } } } } } } } }`, nil, "COMPLEXITY_LIMIT_EXCEEDED", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db.Counter.Reset()
				a.fails(tc.code, tc.field, tc.query, tc.vars)
				// Every one of these is refused before any SQL runs.
				if n := db.Counter.Count(); n != 0 {
					t.Errorf("%d SQL statements ran before the request was refused", n)
				}
			})
		}
	})
}

// TestErrorsDoNotLeak checks that a failure inside the database reaches the
// client as INTERNAL with a request id, and nothing of the cause.
func TestErrorsDoNotLeak(t *testing.T) {
	db := testdb.SQLite(t)
	a := newAPI(t, db, server.Config{})
	a.organizations(1)
	if _, err := db.SQL.Exec(`DROP TABLE shelf_events`); err != nil {
		t.Fatal(err)
	}
	r := a.do(`{ shelfEvents { totalCount } }`, nil)
	if len(r.Errors) != 1 {
		t.Fatalf("want one error, got %s", r.Raw)
	}
	e := r.Errors[0]
	if e.Extensions.Code != "INTERNAL" || e.Extensions.RequestID == "" || !strings.Contains(e.Message, e.Extensions.RequestID) {
		t.Errorf("error = %+v, want INTERNAL naming its request id", e)
	}
	if leak := containsAny(r.Raw, "sql", "select", "table", "shelf_events", "no such", ".go", "goroutine"); leak != "" {
		t.Errorf("response leaks %q: %s", leak, r.Raw)
	}

	// A constraint violation caught by the database is a CONFLICT, not
	// INTERNAL, and does not name the index either.
	var o struct {
		Organizations struct {
			Edges []struct{ Node struct{ CreditCode string } }
		}
	}
	a.must(&o, `{ organizations { edges { node { creditCode } } } }`, nil)
	r2 := a.do(createOrg, map[string]any{"in": map[string]any{"name": "Twin", "kind": "CARRIER",
		"creditCode": o.Organizations.Edges[0].Node.CreditCode, "regionCode": "511802"}})
	if len(r2.Errors) != 1 || r2.Errors[0].Extensions.Code != "CONFLICT" || containsAny(r2.Raw, "unique", "constraint", "index") != "" {
		t.Errorf("duplicate credit code answered %s", r2.Raw)
	}
}

func TestHTTP(t *testing.T) {
	db := testdb.SQLite(t)
	a := newAPI(t, db, server.Config{BodyLimit: 1 << 10})
	a.organizations(2)

	t.Run("GET", func(t *testing.T) {
		res := a.get("/graphql?query=" + url.QueryEscape(`{ organizations { totalCount } }`))
		defer res.Body.Close()
		r := decode(t, res)
		if r.Status != 200 || string(r.Data) != `{"organizations":{"totalCount":3}}` {
			t.Errorf("GET answered %d %s", r.Status, r.Raw)
		}
	})
	t.Run("GET cannot mutate", func(t *testing.T) {
		res := a.get("/graphql?query=" + url.QueryEscape(`mutation { removeFromShelf(id: 1, removedAt: "2026-01-01T00:00:00Z", reason: SOLD_OUT) { id } }`))
		defer res.Body.Close()
		if r := decode(t, res); r.Status == 200 || len(r.Errors) == 0 {
			t.Errorf("a mutation over GET answered %d %s", r.Status, r.Raw)
		}
	})
	t.Run("OPTIONS", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, a.srv.URL+"/graphql", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Allow"), "POST") {
			t.Errorf("OPTIONS answered %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
		}
	})
	t.Run("body too large", func(t *testing.T) {
		big := fmt.Sprintf(`{"query": "{ organizations { totalCount } }", "variables": {"pad": %q}}`, strings.Repeat("x", 2<<10))
		r := a.post("application/json", []byte(big))
		if r.Status != http.StatusRequestEntityTooLarge || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "REQUEST_TOO_LARGE" {
			t.Errorf("oversized body answered %d %s", r.Status, r.Raw)
		}
		// Without a Content-Length too.
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", struct{ *bytes.Reader }{bytes.NewReader([]byte(big))})
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized chunked body answered %d", res.StatusCode)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		r := a.post("application/json", []byte(`{"query": `))
		if r.Status < 400 || r.Status > 499 || len(r.Errors) == 0 {
			t.Errorf("malformed body answered %d %s", r.Status, r.Raw)
		}
	})
	t.Run("parse error", func(t *testing.T) {
		a.fails("GRAPHQL_PARSE_FAILED", "", `{ organizations { `, nil)
	})
	t.Run("unknown field", func(t *testing.T) {
		a.fails("GRAPHQL_VALIDATION_FAILED", "", `{ organizations { secret } }`, nil)
	})
	t.Run("health", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			res, err := http.Get(a.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("X-Request-ID") == "" {
				t.Errorf("%s answered %d", path, res.StatusCode)
			}
		}
	})
}

func TestModes(t *testing.T) {
	db := testdb.SQLite(t)
	const introspect = `{ __schema { queryType { name } } }`
	dev := newAPI(t, db, server.Config{Development: true})
	var s struct {
		Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
	}
	dev.must(&s, introspect, nil)
	if s.Schema.QueryType.Name != "Query" {
		t.Errorf("development introspection gave %+v", s)
	}
	res, err := http.Get(dev.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("development playground answered %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	prod := newAPI(t, db, server.Config{})
	e := prod.fails("GRAPHQL_VALIDATION_FAILED", "", introspect, nil)
	if !strings.Contains(strings.ToLower(e.Message), "introspection") {
		t.Errorf("production introspection refused with %q", e.Message)
	}
	// No "did you mean" hints that map the schema for an attacker.
	r := prod.do(`{ organization { id } }`, nil)
	if len(r.Errors) == 0 || strings.Contains(r.Raw, "Did you mean") {
		t.Errorf("production suggests fields: %s", r.Raw)
	}
	res, err = http.Get(prod.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	res.Body.Close()
	if strings.Contains(buf.String(), "<html") {
		t.Errorf("production serves the playground")
	}
}

// TestRefusals checks that every request refused at the HTTP layer gets a
// GraphQL-shaped error with a code, the code's status, and nothing of what
// was sent.
func TestRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		// Production mode, and no credentials: a token is checked against
		// its account (a cached read) before the request is looked at, and
		// what is asserted here is that a refusal itself reads nothing.
		a := newAPI(t, db, server.Config{})
		anon := a.as("")
		const marker = "ECHO-MARKER"
		mutation := `mutation { removeFromShelf(id: 1, removedAt: "2026-01-01T00:00:00Z", reason: SOLD_OUT) { id } }`
		batch := "[" + strings.Repeat(`{"query": "{ __typename }", "variables": {"x": "`+marker+`"}},`, 10000) + `{}]`
		for _, tc := range []struct {
			name, method, path, contentType, body string
			header                                string // a header of this value, named X-Big
			status                                int
			code, allow                           string
		}{
			{"plain text", "POST", "/graphql", "text/plain", `{ __typename } ` + marker, "", 415, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"form post", "POST", "/graphql", "application/x-www-form-urlencoded", "query=" + url.QueryEscape(`{ __typename }`) + "&x=" + marker, "", 415, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"multipart", "POST", "/graphql", "multipart/form-data; boundary=x", "--x\r\n\r\n" + marker + "\r\n--x--", "", 415, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"no content type", "POST", "/graphql", "", `{"query": "{ __typename }", "x": "` + marker + `"}`, "", 415, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"DELETE", "DELETE", "/graphql", "application/json", `{"query": "{ __typename }"}`, "", 405, "METHOD_NOT_ALLOWED", "POST"},
			{"PUT", "PUT", "/graphql", "application/json", `{"query": "{ __typename }"}`, "", 405, "METHOD_NOT_ALLOWED", "POST"},
			{"mutation over GET", "GET", "/graphql?query=" + url.QueryEscape(mutation), "", "", "", 405, "METHOD_NOT_ALLOWED", "POST"},
			{"named mutation over GET", "GET", "/graphql?operationName=M&query=" + url.QueryEscape(`query Q { __typename } mutation M { logout(refreshToken: "`+marker+`") }`), "", "", "", 405, "METHOD_NOT_ALLOWED", "POST"},
			{"GET variables not JSON", "GET", "/graphql?query=" + url.QueryEscape(`{ __typename }`) + "&variables=" + marker, "", "", "", 400, "INVALID_REQUEST", ""},
			{"batch", "POST", "/graphql", "application/json", batch, "", 400, "INVALID_REQUEST", ""},
			{"query a number", "POST", "/graphql", "application/json", `{"query": 5, "variables": {"x": "` + marker + `"}}`, "", 400, "INVALID_REQUEST", ""},
			{"variables a string", "POST", "/graphql", "application/json", `{"query": "{ __typename }", "variables": "` + marker + `"}`, "", 400, "INVALID_REQUEST", ""},
			{"malformed JSON", "POST", "/graphql", "application/json", `{"query": "` + marker, "", 400, "INVALID_REQUEST", ""},
			{"not an object", "POST", "/graphql", "application/json", `"` + marker + `"`, "", 400, "INVALID_REQUEST", ""},
			{"no body", "POST", "/graphql", "application/json", "", "", 400, "INVALID_REQUEST", ""},
			{"100 KB header", "GET", "/graphql?query=" + url.QueryEscape(`{ __typename }`), "", "", strings.Repeat("x", 100<<10), 431, "REQUEST_HEADER_TOO_LARGE", ""},
			{"100 KB header elsewhere", "GET", "/healthz", "", "", strings.Repeat("x", 100<<10), 431, "REQUEST_HEADER_TOO_LARGE", ""},
			{"unknown path", "GET", "/" + marker, "", "", "", 404, "NOT_FOUND", ""},
			{"DELETE elsewhere", "DELETE", "/healthz", "", "", "", 405, "METHOD_NOT_ALLOWED", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db.Counter.Reset()
				req, err := http.NewRequest(tc.method, a.srv.URL+tc.path, strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				if tc.header != "" {
					req.Header.Set("X-Big", tc.header)
				}
				res, err := anon.send(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				r := decode(t, res)
				if r.Status != tc.status || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.code {
					t.Fatalf("answered %d %.300s; want %d %s", r.Status, r.Raw, tc.status, tc.code)
				}
				if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
					t.Errorf("Content-Type %q", res.Header.Get("Content-Type"))
				}
				if tc.allow != "" && !strings.Contains(res.Header.Get("Allow"), tc.allow) {
					t.Errorf("Allow %q, want it to name %s", res.Header.Get("Allow"), tc.allow)
				}
				if strings.Contains(r.Raw, marker) || strings.Contains(r.Raw, "xxxx") || len(r.Raw) > 1000 {
					t.Errorf("the answer echoes the request: %.300s", r.Raw)
				}
				if n := db.Counter.Count(); n != 0 {
					t.Errorf("%d SQL statements ran", n)
				}
			})
		}
		// What is refused is refused; the same endpoint still serves.
		var out struct {
			Typename string `json:"__typename"`
		}
		a.must(&out, `{ __typename }`, nil)
	})
}

// TestOversizedBodyIsAnswered sends a body far over the limit, as a client
// that writes its whole request before reading the answer, to a server
// configured as in production: the client must read the 413, not find the
// connection reset.
func TestOversizedBodyIsAnswered(t *testing.T) {
	db := testdb.SQLite(t)
	s := server.New(db.DB, server.Config{BodyLimit: 1 << 10, Logger: discardLogger(), RateLimit: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	body := `{"query": "{ __typename }", "variables": {"pad": "` + strings.Repeat("x", 6<<20) + `"}}` // more than socket buffers hold
	for _, chunked := range []bool{false, true} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		head := "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		payload := body
		if chunked {
			head += "Transfer-Encoding: chunked\r\n\r\n"
			payload = fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		} else {
			head += fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))
		}
		if _, err := io.WriteString(conn, head+payload); err != nil {
			t.Fatalf("chunked %v: writing the request: %v", chunked, err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("chunked %v: reading the answer: %v", chunked, err)
		}
		r := decode(t, res)
		res.Body.Close()
		if r.Status != http.StatusRequestEntityTooLarge || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "REQUEST_TOO_LARGE" {
			t.Errorf("chunked %v: answered %d %.300s", chunked, r.Status, r.Raw)
		}
		if !res.Close {
			t.Errorf("chunked %v: the 413 does not close the connection", chunked)
		}
	}

	// A header over the limit is answered in JSON by the production
	// server too.
	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("x", 100<<10))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if r := decode(t, res); r.Status != http.StatusRequestHeaderFieldsTooLarge || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "REQUEST_HEADER_TOO_LARGE" {
		t.Errorf("a 100 KB header answered %d %.300s", r.Status, r.Raw)
	}
}
