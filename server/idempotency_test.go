package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// answer is one HTTP exchange with /graphql, kept whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// code returns the code of the answer's single error ("" when it has none).
func (r answer) code(t *testing.T) string {
	t.Helper()
	var out struct{ Errors []gqlError }
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
	switch len(out.Errors) {
	case 0:
		return ""
	case 1:
		return out.Errors[0].Extensions.Code
	}
	t.Fatalf("several errors: %s", r.body)
	return ""
}

// postKeyed posts a GraphQL request with the client's credentials and the
// given Idempotency-Key headers (none: no header).
func (a *api) postKeyed(query string, vars map[string]any, keys ...string) answer {
	a.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		a.t.Fatal(err)
	}
	r, err := a.postKeyedRaw(body, keys...)
	if err != nil {
		a.t.Fatal(err)
	}
	return r
}

// postKeyedRaw is postKeyed for a body as it is; it returns transport
// errors, for use in goroutines.
func (a *api) postKeyedRaw(body []byte, keys ...string) (answer, error) {
	return a.postKeyedAs("", body, keys...)
}

// postKeyedAs is postKeyedRaw with an API key instead of the client's
// token, when the client has none.
func (a *api) postKeyedAs(apiKey string, body []byte, keys ...string) (answer, error) {
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for _, k := range keys {
		req.Header.Add("Idempotency-Key", k)
	}
	var res *http.Response
	if a.token == "" && apiKey != "" {
		req.Header.Set("X-API-Key", apiKey)
		res, err = http.DefaultClient.Do(req)
	} else {
		res, err = a.send(req)
	}
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(raw)}, err
}

// keyedBatch is createBatch's request for a lot of the chain's pigs.
func keyedBatch(c chain, lot string) map[string]any {
	return map[string]any{"in": map[string]any{
		"productID": c.pigs, "facilityID": c.farm, "lotCode": lot,
		"producedAt": day(0), "quantity": 10, "unit": "HEAD"}}
}

const keyedCreateBatch = `mutation($in: CreateBatchInput!) { createBatch(input: $in) { id lotCode } }`

func TestIdempotencyKeyRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		farm := a.staff(c.farmOrg)

		t.Run("a retry gets the first answer and records nothing more", func(t *testing.T) {
			farm := farm.forTest(t)
			batches := a.count("batches")
			first := farm.postKeyed(keyedCreateBatch, keyedBatch(c, "RETRY-1"), "retry-1")
			if first.status != http.StatusOK || first.code(t) != "" || !strings.Contains(first.body, "RETRY-1") {
				t.Fatalf("first request: %d %s", first.status, first.body)
			}
			if first.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("the first answer is marked as replayed")
			}
			for range 2 {
				again := farm.postKeyed(keyedCreateBatch, keyedBatch(c, "RETRY-1"), "retry-1")
				if again.status != first.status || again.body != first.body {
					t.Errorf("retry answered %d %s; first answer %d %s", again.status, again.body, first.status, first.body)
				}
				if again.header.Get("Content-Type") != first.header.Get("Content-Type") {
					t.Errorf("retry's Content-Type %q, first %q", again.header.Get("Content-Type"), first.header.Get("Content-Type"))
				}
				if again.header.Get("Idempotent-Replayed") != "true" {
					t.Errorf("a replayed answer is not marked: %v", again.header)
				}
				if again.header.Get("X-Request-Id") == first.header.Get("X-Request-Id") {
					t.Errorf("a replay carries the first request's id")
				}
			}
			if n := a.count("batches"); n != batches+1 {
				t.Errorf("%d batches after a request and two retries; want %d", n, batches+1)
			}
			// A quoted key (the draft's structured-field string) is the
			// same key.
			quoted := farm.postKeyed(keyedCreateBatch, keyedBatch(c, "RETRY-1"), `"retry-1"`)
			if quoted.body != first.body || quoted.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("the quoted key is another key: %d %s", quoted.status, quoted.body)
			}
		})

		t.Run("a refused recording is answered the same again", func(t *testing.T) {
			farm := farm.forTest(t)
			bad := keyedBatch(c, "RETRY-2")
			bad["in"].(map[string]any)["quantity"] = -1
			first := farm.postKeyed(keyedCreateBatch, bad, "retry-2")
			if first.code(t) != "INVALID_QUANTITY" {
				t.Fatalf("want INVALID_QUANTITY, got %s", first.body)
			}
			again := farm.postKeyed(keyedCreateBatch, bad, "retry-2")
			if again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("retry of a refusal: %s", again.body)
			}
		})

		t.Run("the same key with another request is refused", func(t *testing.T) {
			farm := farm.forTest(t)
			farm.postKeyed(keyedCreateBatch, keyedBatch(c, "RETRY-3"), "retry-3")
			batches, keys := a.count("batches"), a.count("idempotency_records")
			for _, other := range []map[string]any{keyedBatch(c, "RETRY-4"), keyedBatch(c, "RETRY-3 ")} {
				r := farm.postKeyed(keyedCreateBatch, other, "retry-3")
				if r.status != http.StatusUnprocessableEntity || r.code(t) != "IDEMPOTENCY_KEY_REUSED" {
					t.Errorf("want 422 IDEMPOTENCY_KEY_REUSED, got %d %s", r.status, r.body)
				}
			}
			if n := a.count("batches"); n != batches {
				t.Errorf("a refused reuse stored a batch: %d, had %d", n, batches)
			}
			if n := a.count("idempotency_records"); n != keys {
				t.Errorf("a refused reuse stored a key: %d, had %d", n, keys)
			}
		})

		t.Run("queries run with a key, and keep none", func(t *testing.T) {
			farm := farm.forTest(t)
			keys := a.count("idempotency_records")
			r := farm.postKeyed(`{ me { id } }`, nil, "query-1")
			// The operation named is the one that counts.
			r2, err := farm.postKeyedRaw([]byte(`{"query": "query Q { me { id } } mutation M { logout(refreshToken: \"x\") }", "operationName": "Q"}`), "query-1")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []answer{r, r2} {
				if r.status != http.StatusOK || r.code(t) != "" || r.header.Get("Idempotent-Replayed") != "" {
					t.Errorf("query with a key: %d %s", r.status, r.body)
				}
			}
			if n := a.count("idempotency_records"); n != keys {
				t.Errorf("a query kept its key: %d rows, had %d", n, keys)
			}
		})
	})
}

func TestIdempotencyKeyRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		farm := a.staff(c.farmOrg)
		batches, keys, apiKeys := a.count("batches"), a.count("idempotency_records"), a.count("api_keys")
		for _, tc := range []struct {
			name   string
			client *api
			query  string
			vars   map[string]any
			keys   []string
			status int
			code   string
		}{
			{"empty key", farm, keyedCreateBatch, keyedBatch(c, "BAD-1"), []string{""}, 400, "BAD_USER_INPUT"},
			{"empty quoted key", farm, keyedCreateBatch, keyedBatch(c, "BAD-1"), []string{`""`}, 400, "BAD_USER_INPUT"},
			{"key over 255 characters", farm, keyedCreateBatch, keyedBatch(c, "BAD-1"), []string{strings.Repeat("k", 256)}, 400, "BAD_USER_INPUT"},
			{"control character", farm, keyedCreateBatch, keyedBatch(c, "BAD-1"), []string{"a\tb"}, 400, "BAD_USER_INPUT"},
			{"not ASCII", farm, keyedCreateBatch, keyedBatch(c, "BAD-1"), []string{"键"}, 400, "BAD_USER_INPUT"},
			{"bad escape", farm, keyedCreateBatch, keyedBatch(c, "BAD-1"), []string{`"a\b"`}, 400, "BAD_USER_INPUT"},
			{"two keys", farm, keyedCreateBatch, keyedBatch(c, "BAD-1"), []string{"k1", "k2"}, 400, "BAD_USER_INPUT"},
			{"anonymous", a.as(""), `mutation { logout(refreshToken: "x") }`, nil, []string{"anon-1"}, 401, "UNAUTHENTICATED"},
			{"a secret in the answer", a, `mutation($o: ID!) { createAPIKey(organizationID: $o, name: "k") { secret } }`,
				map[string]any{"o": c.farmOrg}, []string{"secret-1"}, 400, "BAD_USER_INPUT"},
			{"a secret through a fragment", a, `mutation($o: ID!) { ...K } fragment K on Mutation { createAPIKey(organizationID: $o, name: "k") { secret } }`,
				map[string]any{"o": c.farmOrg}, []string{"secret-2"}, 400, "BAD_USER_INPUT"},
			{"login", a.as(""), `mutation { login(phone: "13900000000", password: "x") { accessToken } }`, nil, []string{"login-1"}, 400, "BAD_USER_INPUT"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.client.forTest(t).postKeyed(tc.query, tc.vars, tc.keys...)
				if r.status != tc.status || r.code(t) != tc.code {
					t.Errorf("want %d %s, got %d %s", tc.status, tc.code, r.status, r.body)
				}
				if tc.code == "BAD_USER_INPUT" && !strings.Contains(r.body, `"field":"Idempotency-Key"`) {
					t.Errorf("the refusal does not name the header: %s", r.body)
				}
			})
		}
		if n := a.count("batches"); n != batches {
			t.Errorf("refused requests stored batches: %d, had %d", n, batches)
		}
		if n := a.count("idempotency_records"); n != keys {
			t.Errorf("refused requests stored keys: %d, had %d", n, keys)
		}
		if n := a.count("api_keys"); n != apiKeys {
			t.Errorf("a refused createAPIKey stored a key: %d, had %d", n, apiKeys)
		}
	})
}

// TestIdempotencyKeyScope: keys are the caller's own. Two users and an
// API key of one organisation send the same key with different requests,
// and each does its work.
func TestIdempotencyKeyScope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		var key struct{ CreateAPIKey struct{ Secret string } }
		a.must(&key, `mutation($o: ID!) { createAPIKey(organizationID: $o, name: "erp", canWrite: true) { secret } }`,
			map[string]any{"o": c.farmOrg})
		partner := func(lot string) answer {
			body, err := json.Marshal(map[string]any{"query": keyedCreateBatch, "variables": keyedBatch(c, lot)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := a.as("").postKeyedAs(key.CreateAPIKey.Secret, body, "shared")
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		batches := a.count("batches")
		one, two := a.staff(c.farmOrg), a.staff(c.farmOrg)
		callers := []func(lot string) answer{
			func(lot string) answer { return one.postKeyed(keyedCreateBatch, keyedBatch(c, lot), "shared") },
			func(lot string) answer { return two.postKeyed(keyedCreateBatch, keyedBatch(c, lot), "shared") },
			partner,
		}
		for i, post := range callers {
			r := post(fmt.Sprintf("SCOPE-%d", i))
			if r.status != http.StatusOK || r.code(t) != "" || r.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("caller %d: %d %s", i, r.status, r.body)
			}
		}
		if n := a.count("batches"); n != batches+len(callers) {
			t.Errorf("%d batches; want %d, one per caller", n, batches+len(callers))
		}
		// Each caller's key is its own: the partner's retry gets its own
		// answer back.
		r := partner("SCOPE-2")
		if r.header.Get("Idempotent-Replayed") != "true" || !strings.Contains(r.body, "SCOPE-2") {
			t.Errorf("the partner's retry: %d %s", r.status, r.body)
		}
	})
}

// TestIdempotencyKeyConcurrent: of requests with one key sent at once,
// exactly one does the work; the others are told it is in use or get its
// answer.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		farm := a.staff(c.farmOrg)
		farm.must(nil, `{ me { id } }`, nil) // its account is read once, before the race
		body, err := json.Marshal(map[string]any{"query": keyedCreateBatch, "variables": keyedBatch(c, "RACE-1")})
		if err != nil {
			t.Fatal(err)
		}
		batches := a.count("batches")
		const n = 8
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			answers = make([]answer, n)
			errs    = make([]error, n)
		)
		for i := range n {
			wg.Go(func() {
				<-start
				answers[i], errs[i] = farm.postKeyedRaw(body, "race-1")
			})
		}
		close(start)
		wg.Wait()
		var done []answer
		for i, r := range answers {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			switch {
			case r.status == http.StatusConflict:
				if r.code(t) != "IDEMPOTENCY_KEY_IN_USE" || r.header.Get("Retry-After") == "" {
					t.Errorf("409 without its code or Retry-After: %v %s", r.header, r.body)
				}
			case r.status == http.StatusOK && r.code(t) == "":
				done = append(done, r)
			default:
				t.Errorf("request %d: %d %s", i, r.status, r.body)
			}
		}
		if len(done) == 0 {
			t.Fatalf("no request was answered")
		}
		fresh := 0
		for _, r := range done {
			if r.body != done[0].body {
				t.Errorf("answers differ: %s and %s", r.body, done[0].body)
			}
			if r.header.Get("Idempotent-Replayed") == "" {
				fresh++
			}
		}
		t.Logf("%s: of %d requests, 1 did the work, %d got its answer again, %d were told the key was in use", db.Name, n, len(done)-fresh, n-len(done))
		if fresh != 1 {
			t.Errorf("%d requests did the work; want 1", fresh)
		}
		if got := a.count("batches"); got != batches+1 {
			t.Errorf("%d batches after %d requests with one key; want %d", got, n, batches+1)
		}
		r, err := farm.postKeyedRaw(body, "race-1")
		if err != nil || r.body != done[0].body || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("a retry after the race: %v %d %s", err, r.status, r.body)
		}
	})
}
