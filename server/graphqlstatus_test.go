package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestGraphQLStatuses holds the "Status codes of /graphql" section of
// docs/ERRORS.md to what the server sends: for each kind of refusal, the
// HTTP status under each response type a client may accept, and the code.
func TestGraphQLStatuses(t *testing.T) {
	db := testdb.SQLite(t)
	a := newAPI(t, db, server.Config{})
	aliases := make([]string, 25)
	for i := range aliases {
		aliases[i] = "a" + string(rune('a'+i)) + ": __typename"
	}
	// Nine nested connections of one: cheap, but deeper than 24 levels.
	deep := "{ id }"
	for i := 0; i < 9; i++ {
		deep = "{ batches(first: 1) { edges { node { product " + deep + " } } } }"
	}
	cases := []struct {
		name, query string
		code        string
		json, gql   int // the status under application/json and application/graphql-response+json
	}{
		{"parse", "{ batches { ", "GRAPHQL_PARSE_FAILED", 200, 400},
		{"validation", "{ noSuchField }", "GRAPHQL_VALIDATION_FAILED", 200, 400},
		{"page size", "{ batches(first: 500) { edges { node { id } } } }", "PAGE_SIZE_EXCEEDED", 200, 200},
		{"aliases", "{ " + strings.Join(aliases, " ") + " }", "ALIAS_LIMIT_EXCEEDED", 200, 200},
		{"depth", deep, "DEPTH_LIMIT_EXCEEDED", 200, 200},
		{"token", "{ " + strings.Repeat("__typename ", 6000) + "}", "TOKEN_LIMIT_EXCEEDED", 200, 400},
		{"execution", `{ node(id: "999999") { id } }`, "NOT_FOUND", 200, 200},
	}
	for _, c := range cases {
		for _, accept := range []string{"application/json", "application/graphql-response+json"} {
			t.Run(c.name+" "+accept, func(t *testing.T) {
				body, _ := json.Marshal(map[string]any{"query": c.query})
				req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", accept)
				res, err := a.send(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				r := decode(t, res)
				want := c.json
				if accept != "application/json" {
					want = c.gql
				}
				if r.Status != want {
					t.Errorf("status %d, want %d (%s)", r.Status, want, r.Raw)
				}
				if len(r.Errors) == 0 || r.Errors[0].Extensions.Code != c.code {
					t.Errorf("want code %s, got %s", c.code, r.Raw)
				}
			})
		}
	}
}
