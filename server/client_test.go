package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"suyuan/ent/organization"
	"suyuan/internal/auth"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/internal/viewer"
	"suyuan/server"
)

// api is a GraphQL client for one test server over one test database.
type api struct {
	t     testing.TB
	srv   *httptest.Server
	db    *testdb.DB
	seq   *int   // numbers the organisations and products a test creates
	token string // the access token sent, if any
	// client sends the requests; nil: http.DefaultClient. A test of read
	// replicas gives it a cookie jar, as a browser has.
	client *http.Client
}

// newAPI serves db over HTTP and logs in as a platform administrator, as
// whom requests are made until as() says otherwise.
func newAPI(t testing.TB, db *testdb.DB, cfg server.Config) *api {
	t.Helper()
	return serve(t, db, cfg, nil)
}

// serve is newAPI numbering what it creates with seq (nil: from one).
func serve(t testing.TB, db *testdb.DB, cfg server.Config, seq *int) *api {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = discardLogger()
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	if cfg.PageRateLimit == 0 {
		cfg.PageRateLimit = -1
	}
	if cfg.Now == nil {
		// The clock of logins and token checks stands still: a server
		// reads an account again once its cached copy is older than
		// auth.AccountCacheTTL, and on a busy machine that read would
		// land among the statements a test counts. Tests of expiry and
		// throttling move a clock of their own.
		start := time.Now()
		cfg.Now = func() time.Time { return start }
	}
	srv := httptest.NewServer(server.New(db.DB, cfg).Handler())
	t.Cleanup(srv.Close)
	a := &api{t: t, srv: srv, db: db, seq: seq}
	if a.seq == nil {
		a.seq = new(int)
	}
	a.token = a.login(a.account(a.platform(), "ADMIN"))
	return a
}

// alsoOn serves db — the same database reached another way, such as
// through another Galera node — as a second server, and logs in there
// as a new administrator. The two clients number what they create
// together.
func (a *api) alsoOn(db *testdb.DB, cfg server.Config) *api {
	a.t.Helper()
	return serve(a.t, db, cfg, a.seq)
}

// as returns a client that makes its requests with token ("" for none).
func (a *api) as(token string) *api {
	b := *a
	b.token = token
	return &b
}

// forTest returns the client reporting to t, for use inside t.Run.
func (a *api) forTest(t testing.TB) *api {
	b := *a
	b.t = t
	return &b
}

// platform returns the id of the organisation the test's administrators
// belong to, creating it directly in the database.
func (a *api) platform() int {
	a.t.Helper()
	ctx := tenancy.System(context.Background())
	if o, err := a.db.Client.Organization.Query().Where(organization.Name("Platform")).Only(ctx); err == nil {
		return o.ID
	}
	*a.seq++
	o, err := a.db.Client.Organization.Create().SetName("Platform").SetKind(organization.KindREGULATOR).
		SetCreditCode(creditCode(a.t, 9000000+*a.seq)).SetRegionCode("510000").Save(ctx)
	if err != nil {
		a.t.Fatalf("creating the platform organisation: %v", err)
	}
	return o.ID
}

// testPassword is every test account's password.
const testPassword = "correct horse battery"

// account creates a user of an organisation directly in the database and
// returns its phone number.
func (a *api) account(org int, role string) string {
	a.t.Helper()
	*a.seq++
	phone := fmt.Sprintf("139%08d", *a.seq)
	hash, err := auth.NewHasher(1).Hash(context.Background(), testPassword)
	if err != nil {
		a.t.Fatal(err)
	}
	err = a.db.Client.User.Create().SetOrganizationID(org).SetPhone(phone).SetPasswordHash(hash).
		SetRole(viewer.Role(role)).Exec(tenancy.System(context.Background()))
	if err != nil {
		a.t.Fatalf("creating a %s account: %v", role, err)
	}
	return phone
}

// login logs in through the API and returns the access token.
func (a *api) login(phone string) string {
	a.t.Helper()
	var out struct {
		Login struct{ AccessToken string }
	}
	a.as("").must(&out, `mutation($p: String!, $pw: String!) { login(phone: $p, password: $pw) { accessToken } }`,
		map[string]any{"p": phone, "pw": testPassword})
	return out.Login.AccessToken
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
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	res, err := a.send(req)
	if err != nil {
		a.t.Fatalf("posting: %v", err)
	}
	defer res.Body.Close()
	return decode(a.t, res)
}

// send sends req with the client's credentials.
func (a *api) send(req *http.Request) (*http.Response, error) {
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if a.client != nil {
		return a.client.Do(req)
	}
	return http.DefaultClient.Do(req)
}

// get sends a GET with the client's credentials.
func (a *api) get(path string) *http.Response {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.srv.URL+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	res, err := a.send(req)
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	return res
}

func decode(t testing.TB, res *http.Response) response {
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
