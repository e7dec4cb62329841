package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"suyuan/internal/seed"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// traceQuery is the load tool's trace query (tools/loadtest): the floor
// answers its content.
const traceQuery = `query($code: String!) { trace(code: $code) {
  batch { lotCode producedAt expiresAt expired status product { name gtin storageMinC storageMaxC } producer { name licenseNo regionCode } facility { name } }
  inspections { result inspectedAt lab { name } measurements { name value unit limitMax withinLimits } }
  journey { status departedAt arrivedAt carrier { name } from { name address } to { name address } coldChain { verdict readings minC maxC } }
  shelf { store { name address } shelvedAt quantity unit }
  ingredients { depth batch { lotCode product { name } producer { name regionCode } } }
  recalled warnings { code message } } }`

// TestFloorAnswersAsTheService compares, for codes spread over a generated
// data set with its injected faults, the floor's answer with the service's
// GraphQL answer, value for value.
func TestFloorAnswersAsTheService(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		if _, err := seed.Generate(ctx, db.DB, seed.Options{Scale: seed.Small, Seed: 1, Faults: true}); err != nil {
			t.Fatal(err)
		}
		svc := httptest.NewServer(server.New(db.DB, server.Config{
			RateLimit: -1, PageRateLimit: -1,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		}).Handler())
		defer svc.Close()
		f, err := newFloor(ctx, db.SQL, []byte("page"))
		if err != nil {
			t.Fatal(err)
		}
		flr := httptest.NewServer(f)
		defer flr.Close()

		codes := sample(t, db, `SELECT code FROM trace_codes ORDER BY id LIMIT 400`)
		if len(codes) < 400 {
			t.Fatalf("sampled %d codes", len(codes))
		}
		// What the compared answers hold, so that a data set without
		// journeys or warnings cannot make the test pass vacuously.
		seen := map[string]int{}
		for _, code := range codes {
			body, _ := json.Marshal(map[string]any{"query": traceQuery, "variables": map[string]any{"code": code}})
			want, got := post(t, svc.URL+"/graphql", body), post(t, flr.URL+"/graphql", body)
			if !reflect.DeepEqual(want, got) {
				w, _ := json.MarshalIndent(want, "", " ")
				g, _ := json.MarshalIndent(got, "", " ")
				t.Fatalf("code %s: the floor answers\n%s\nthe service\n%s", code, g, w)
			}
			tr := want["data"].(map[string]any)["trace"].(map[string]any)
			for _, k := range []string{"journey", "shelf", "ingredients", "inspections", "warnings"} {
				if len(tr[k].([]any)) > 0 {
					seen[k]++
				}
			}
			for _, w := range tr["warnings"].([]any) {
				seen[w.(map[string]any)["code"].(string)]++
			}
		}
		t.Logf("%s: %d codes compared; answers with: %v", db.Name, len(codes), seen)
		for _, k := range []string{"journey", "shelf", "ingredients", "inspections", "warnings", "COLD_CHAIN_EXCURSION", "EXPIRED"} {
			if seen[k] == 0 {
				t.Errorf("no compared answer has %s", k)
			}
		}
	})
}

func sample(t *testing.T, db *testdb.DB, q string) []string {
	t.Helper()
	rows, err := db.SQL.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return codes
}

// post sends a request and decodes its JSON answer.
func post(t *testing.T, url string, body []byte) map[string]any {
	t.Helper()
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d, %v", url, res.StatusCode, err)
	}
	return out
}
