package server_test

import (
	"encoding/csv"
	"encoding/json"
	"maps"
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
		if status != 200 || len(recs) == 0 || recs[0][0] != "Event Type" || len(recs[0]) != 16 {
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

// TestFSMAExportContents: a transformation's row carries the new lot's
// quantity, and the input's beside it (21 CFR 1.1350(a)(2)); dates are
// those of the place, China Standard Time, so the loin made at 04:00 in
// Ya'an is dated that day, and a product's date range is in local days.
func TestFSMAExportContents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		p := a.porkChain()
		_, recs := a.csv("/export/fsma204.csv?lot=" + p.loin)
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		var carcass, loin [][]string
		for _, r := range recs[1:] {
			if r[0] != "TRANSFORMATION" {
				continue
			}
			switch r[col["Traceability Lot Code"]] {
			case "CARC-1":
				carcass = append(carcass, r)
			case "LOIN-1":
				loin = append(loin, r)
			}
		}
		if len(carcass) != 1 || len(loin) != 2 {
			t.Fatalf("transformations: carcass %v, loin %v", carcass, loin)
		}
		c := carcass[0]
		if c[col["Quantity"]] != "800" || c[col["Unit of Measure"]] != "KG" || c[col["Input Traceability Lot Code"]] != "PIG-1" ||
			c[col["Input Quantity"]] != "10" || c[col["Input Unit of Measure"]] != "HEAD" || c[col["Input Product Description"]] != "生猪 Live pigs" {
			t.Errorf("carcass row %v", c)
		}
		for _, l := range loin {
			// Made at 2026-03-02 20:00 UTC: 04:00 on the 3rd in Ya'an.
			if l[col["Event Date"]] != "2026-03-03T04:00:00+08:00" || l[col["Quantity"]] != "300" {
				t.Errorf("loin row %v", l)
			}
		}
		// The loin is of the 3rd, local time; the carcass of the 2nd.
		_, recs = a.csv("/export/fsma204.csv?product=" + p.chain.pork + "&from=2026-03-03&to=2026-03-04")
		lots := map[string]int{}
		for _, r := range recs[1:] {
			lots[r[col["Traceability Lot Code"]]]++
		}
		if len(lots) != 1 || lots["LOIN-1"] != 6 {
			t.Errorf("product export of 2026-03-03: %v", recs)
		}
	})
}

// TestFSMAExportPerFirm: each firm gets the rows of the events it took
// part in, of the lots it may see; others' lots are not found.
func TestFSMAExportPerFirm(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		p := tn.p
		farmID := id(t, p.farmOrg)
		farm := a.as(a.login(a.account(farmID, "STAFF")))
		events := func(c *api, lot string) (int, map[string]int) {
			status, recs := c.csv("/export/fsma204.csv?lot=" + lot)
			n := map[string]int{}
			if status == 200 {
				for _, r := range recs[1:] {
					n[r[0]+" "+r[2]]++
				}
			}
			return status, n
		}
		for _, c := range []struct {
			who    string
			as     *api
			lot    string
			status int
			want   map[string]int
		}{
			{"processor", tn.aStaff, p.loin, 200, map[string]int{"RECEIVING PIG-1": 1, "TRANSFORMATION CARC-1": 1, "TRANSFORMATION LOIN-1": 2, "SHIPPING LOIN-1": 1}},
			{"carrier", tn.carrier, p.loin, 200, map[string]int{"SHIPPING PIG-1": 1, "RECEIVING PIG-1": 1, "SHIPPING LOIN-1": 2, "RECEIVING LOIN-1": 2}},
			{"retailer", tn.retailer, p.loin, 200, map[string]int{"RECEIVING LOIN-1": 2, "SHIPPING LOIN-1": 1}},
			{"producer", farm, p.pigs, 200, map[string]int{"SHIPPING PIG-1": 1}},
			{"producer, a lot it never held", farm, p.loin, 404, nil},
			{"another processor", tn.bStaff, p.loin, 404, nil},
			{"regulator", tn.regulator, p.loin, 200, map[string]int{"SHIPPING PIG-1": 1, "RECEIVING PIG-1": 1, "TRANSFORMATION CARC-1": 1,
				"TRANSFORMATION LOIN-1": 2, "SHIPPING LOIN-1": 2, "RECEIVING LOIN-1": 2}},
		} {
			status, got := events(c.as, c.lot)
			if status != c.status || (c.want != nil && !maps.Equal(got, c.want)) {
				t.Errorf("%s: %d %v, want %d %v", c.who, status, got, c.status, c.want)
			}
		}
		if res := tn.anonymous.get("/export/fsma204.csv?lot=" + p.loin); res.StatusCode != 401 {
			t.Errorf("anonymous: %d", res.StatusCode)
		}
	})
}
