package server_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

func (a *api) csv(path string) (int, [][]string) {
	a.t.Helper()
	res := a.get(path)
	defer res.Body.Close()
	if res.StatusCode != 200 {
		var body struct {
			Errors []gqlError
		}
		json.NewDecoder(res.Body).Decode(&body)
		if len(body.Errors) != 1 {
			a.t.Fatalf("GET %s: %d without one coded error", path, res.StatusCode)
		}
		return res.StatusCode, [][]string{{body.Errors[0].Extensions.Code, body.Errors[0].Extensions.Field}}
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		a.t.Errorf("content type %q", ct)
	}
	recs, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		a.t.Fatalf("reading CSV: %v", err)
	}
	return res.StatusCode, recs
}

func TestFSMAExport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		p := a.porkChain()

		status, recs := a.csv("/export/fsma204.csv?lot=" + p.loin)
		if status != 200 || len(recs) == 0 || recs[0][0] != "Event Type" || len(recs[0]) != 13 {
			t.Fatalf("export answered %d %v", status, recs)
		}
		events := map[string]int{}
		for _, r := range recs[1:] {
			events[r[0]+" "+r[2]]++
		}
		want := map[string]int{
			"SHIPPING PIG-1": 1, "RECEIVING PIG-1": 1, // the pigs' trip upstream
			"TRANSFORMATION CARC-1": 1, "TRANSFORMATION LOIN-1": 2, // carcasses from pigs; loin from carcass and salt
			"SHIPPING LOIN-1": 2, "RECEIVING LOIN-1": 2,
		}
		for k, n := range want {
			if events[k] != n {
				t.Errorf("%s: %d rows, want %d (all: %v)", k, events[k], n, events)
			}
		}
		if len(recs)-1 != 9 {
			t.Errorf("%d rows, want 9", len(recs)-1)
		}
		// Sorted by date: the pigs ship before the loin is made.
		if recs[1][0] != "SHIPPING" || recs[1][2] != "PIG-1" {
			t.Errorf("first row %v", recs[1])
		}

		status, recs = a.csv("/export/fsma204.csv?product=" + p.chain.pork + "&from=2026-03-01&to=2026-03-31")
		if status != 200 || len(recs) != 1+2+4+1 {
			// carcass (1 transformation) and loin (2 transformations, 2 shipments received)
			t.Errorf("product export answered %d with %d rows: %v", status, len(recs), recs)
		}

		for _, tc := range []struct{ path, code, field string }{
			{"/export/fsma204.csv", "BAD_USER_INPUT", "lot"},
			{"/export/fsma204.csv?lot=abc", "BAD_USER_INPUT", "lot"},
			{"/export/fsma204.csv?lot=999999", "NOT_FOUND", "lot"},
			{"/export/fsma204.csv?product=" + p.chain.pork + "&from=2026-13-01&to=2026-03-31", "BAD_USER_INPUT", "from"},
			{"/export/fsma204.csv?product=" + p.chain.pork + "&from=2026-03-31&to=2026-03-01", "INVALID_TIME_ORDER", "to"},
			{"/export/fsma204.csv?product=" + p.chain.pork + "&from=2020-01-01&to=2026-03-01", "BAD_USER_INPUT", "to"},
		} {
			status, recs := a.csv(tc.path)
			if status == 200 || recs[0][0] != tc.code || recs[0][1] != tc.field {
				t.Errorf("%s answered %d %v, want %s on %s", tc.path, status, recs, tc.code, tc.field)
			}
		}

		// A lot code a spreadsheet would read as a formula is defused.
		evil := a.batch(p.chain.pork, p.plant, "=SUM(A1)", 1, "KG", day(0))
		a.ship(p.carrierOrg, p.plant, p.store, day(0.5), day(0.6), item(evil, 1, "KG"))
		_, recs = a.csv("/export/fsma204.csv?product=" + p.chain.pork + "&from=2026-03-01&to=2026-03-02")
		if len(recs) != 3 || recs[1][2] != "'=SUM(A1)" || recs[2][2] != "'=SUM(A1)" {
			t.Errorf("formula lot exported as %v; want it quoted in a shipping and a receiving row", recs)
		}
	})
}
