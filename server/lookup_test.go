package server_test

import (
	"fmt"
	"testing"

	"suyuan/internal/gs1"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// gln returns a valid GLN numbered n.
func gln(t testing.TB, n int) string {
	t.Helper()
	body := fmt.Sprintf("6901%08d", n)
	c, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

const (
	orgByKey       = `query($gln: String, $cc: String, $lic: String) { organizationByKey(gln: $gln, creditCode: $cc, licenseNo: $lic) { id name gln } }`
	facilityByGLN  = `query($gln: String!) { facilityByGLN(gln: $gln) { id name } }`
	productByGTIN  = `query($gtin: String!) { productByGTIN(gtin: $gtin) { id gtin } }`
	batchByLot     = `query($gtin: String!, $lot: String!) { batchByLot(gtin: $gtin, lot: $lot) { id lotCode } }`
	updateOrgGLN   = `mutation($id: ID!, $gln: String!) { updateOrganization(id: $id, input: {gln: $gln}) { id gln } }`
	updateFacGLN   = `mutation($id: ID!, $gln: String!) { updateFacility(id: $id, input: {gln: $gln}) { id gln } }`
	productGTINOf  = `query($id: ID!) { node(id: $id) { ... on Product { gtin } } }`
	orgCodesOf     = `query($id: ID!) { node(id: $id) { ... on Organization { creditCode licenseNo } } }`
	lookupFieldsOf = `{ organizationByKey(gln: "%s") { id } facilityByGLN(gln: "%s") { id } productByGTIN(gtin: "%s") { id } batchByLot(gtin: "%s", lot: "%s") { id } }`
)

// lookups answers the four lookups of one chain's keys.
type lookups struct {
	OrganizationByKey *struct{ ID string }
	FacilityByGLN     *struct{ ID string }
	ProductByGTIN     *struct{ ID string }
	BatchByLot        *struct{ ID string }
}

// keyedChain is a chain whose farm has a party GLN, whose farm facility a
// GLN, and whose pigs a lot PIG-1; it returns the keys.
type keyedChain struct {
	chain
	orgGLN, farmGLN, pigsGTIN, creditCode, licenseNo, lot string
	lotID                                                 string
}

func (a *api) keyedChain(n int) keyedChain {
	a.t.Helper()
	k := keyedChain{chain: a.newChain(), lot: "PIG-1"}
	k.orgGLN, k.farmGLN = gln(a.t, 2*n), gln(a.t, 2*n+1)
	a.must(nil, updateOrgGLN, map[string]any{"id": k.farmOrg, "gln": k.orgGLN})
	a.must(nil, updateFacGLN, map[string]any{"id": k.farm, "gln": k.farmGLN})
	var p struct{ Node struct{ Gtin string } }
	a.must(&p, productGTINOf, map[string]any{"id": k.pigs})
	k.pigsGTIN = p.Node.Gtin
	var o struct {
		Node struct{ CreditCode, LicenseNo string }
	}
	a.must(&o, orgCodesOf, map[string]any{"id": k.farmOrg})
	k.creditCode, k.licenseNo = o.Node.CreditCode, o.Node.LicenseNo
	k.lotID = a.batch(k.pigs, k.farm, k.lot, 10, "HEAD", day(0))
	return k
}

// lookAll runs the four lookups of k's keys in one request.
func (a *api) lookAll(k keyedChain) lookups {
	a.t.Helper()
	var out lookups
	a.must(&out, fmt.Sprintf(lookupFieldsOf, k.orgGLN, k.farmGLN, k.pigsGTIN, k.pigsGTIN, k.lot), nil)
	return out
}

func TestLookupByKeys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		k := a.keyedChain(1)

		t.Run("organisation by each key", func(t *testing.T) {
			a := a.forTest(t)
			for _, vars := range []map[string]any{
				{"gln": k.orgGLN}, {"gln": " " + k.orgGLN + " "},
				{"cc": k.creditCode}, {"lic": k.licenseNo},
			} {
				var out struct{ OrganizationByKey *struct{ ID, Gln string } }
				a.must(&out, orgByKey, vars)
				if out.OrganizationByKey == nil || out.OrganizationByKey.ID != k.farmOrg || out.OrganizationByKey.Gln != k.orgGLN {
					t.Errorf("%v: got %+v, want the farm %s with GLN %s", vars, out.OrganizationByKey, k.farmOrg, k.orgGLN)
				}
			}
			var none struct{ OrganizationByKey *struct{ ID string } }
			a.must(&none, orgByKey, map[string]any{"gln": gln(t, 999)})
			if none.OrganizationByKey != nil {
				t.Errorf("a GLN nobody holds found %+v", none.OrganizationByKey)
			}
		})

		t.Run("facility, product and batch", func(t *testing.T) {
			a := a.forTest(t)
			got := a.lookAll(k)
			if got.FacilityByGLN == nil || got.FacilityByGLN.ID != k.farm {
				t.Errorf("facilityByGLN = %+v, want %s", got.FacilityByGLN, k.farm)
			}
			if got.ProductByGTIN == nil || got.ProductByGTIN.ID != k.pigs {
				t.Errorf("productByGTIN = %+v, want %s", got.ProductByGTIN, k.pigs)
			}
			if got.BatchByLot == nil || got.BatchByLot.ID != k.lotID {
				t.Errorf("batchByLot = %+v, want %s", got.BatchByLot, k.lotID)
			}
			var none struct{ BatchByLot *struct{ ID string } }
			a.must(&none, batchByLot, map[string]any{"gtin": k.pigsGTIN, "lot": "pig-1"})
			if none.BatchByLot != nil {
				t.Errorf("lot codes are case-sensitive, but pig-1 found %+v", none.BatchByLot)
			}
		})

		t.Run("a GTIN in any of its lengths", func(t *testing.T) {
			a := a.forTest(t)
			gtin8, gtin12 := a.extraProducts(t, k.chain)
			for _, short := range []string{gtin8, gtin12} {
				var want struct{ ProductByGTIN struct{ ID, Gtin string } }
				a.must(&want, productByGTIN, map[string]any{"gtin": short})
				if want.ProductByGTIN.ID == "" || want.ProductByGTIN.Gtin != fmt.Sprintf("%014s", short) {
					t.Fatalf("%s: got %+v", short, want.ProductByGTIN)
				}
				for _, n := range []int{12, 13, 14} {
					if n < len(short) {
						continue
					}
					g := fmt.Sprintf("%0*s", n, short)
					var got struct{ ProductByGTIN *struct{ ID string } }
					a.must(&got, productByGTIN, map[string]any{"gtin": g})
					if got.ProductByGTIN == nil || got.ProductByGTIN.ID != want.ProductByGTIN.ID {
						t.Errorf("%s as %s: got %+v, want %s", short, g, got.ProductByGTIN, want.ProductByGTIN.ID)
					}
				}
			}
			var lot struct{ BatchByLot *struct{ LotCode string } }
			a.must(&lot, batchByLot, map[string]any{"gtin": "000000" + gtin8, "lot": "EIGHT-1"})
			if lot.BatchByLot == nil || lot.BatchByLot.LotCode != "EIGHT-1" {
				t.Errorf("batchByLot of a GTIN-8 as GTIN-14: %+v", lot.BatchByLot)
			}
		})

		t.Run("malformed keys", func(t *testing.T) {
			a := a.forTest(t)
			for _, c := range []struct {
				code, field, query string
				vars               map[string]any
			}{
				{"INVALID_GTIN", "gtin", productByGTIN, map[string]any{"gtin": wrongCheck(k.pigsGTIN)}},
				{"INVALID_GTIN", "gtin", productByGTIN, map[string]any{"gtin": "1234567890"}},
				{"INVALID_GTIN", "gtin", productByGTIN, map[string]any{"gtin": "69012345678X"}},
				{"INVALID_GTIN", "gtin", batchByLot, map[string]any{"gtin": wrongCheck(k.pigsGTIN), "lot": "PIG-1"}},
				{"BAD_USER_INPUT", "lot", batchByLot, map[string]any{"gtin": k.pigsGTIN, "lot": "PIG 1"}},
				{"BAD_USER_INPUT", "lot", batchByLot, map[string]any{"gtin": k.pigsGTIN, "lot": ""}},
				{"INVALID_GLN", "gln", facilityByGLN, map[string]any{"gln": wrongCheck(k.farmGLN)}},
				{"INVALID_GLN", "gln", facilityByGLN, map[string]any{"gln": k.farmGLN[:12]}},
				{"INVALID_GLN", "gln", orgByKey, map[string]any{"gln": wrongCheck(k.orgGLN)}},
				{"INVALID_CREDIT_CODE", "creditCode", orgByKey, map[string]any{"cc": wrongCheck(k.creditCode)}},
				{"INVALID_LICENSE_NO", "licenseNo", orgByKey, map[string]any{"lic": "SC12"}},
				{"BAD_USER_INPUT", "", orgByKey, map[string]any{}},
				{"BAD_USER_INPUT", "", orgByKey, map[string]any{"gln": k.orgGLN, "cc": k.creditCode}},
			} {
				e := a.fails(c.code, c.field, c.query, c.vars)
				if len(e.Path) != 1 {
					t.Errorf("%v: error path %v, want the lookup's field", c.vars, e.Path)
				}
			}
		})

		t.Run("anonymous callers", func(t *testing.T) {
			anon := a.forTest(t).as("")
			anon.fails("UNAUTHENTICATED", "", productByGTIN, map[string]any{"gtin": k.pigsGTIN})
			anon.fails("UNAUTHENTICATED", "", orgByKey, map[string]any{"gln": k.orgGLN})
		})
	})
}

// TestOrganizationGLN: an organisation's party GLN is validated, unique, and
// a refused one stores nothing.
func TestOrganizationGLN(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		taken := gln(t, 7)
		farm := a.org("PRODUCER")
		a.must(nil, updateOrgGLN, map[string]any{"id": farm, "gln": taken})

		orgs := a.count("organizations")
		in := func(g string) map[string]any {
			return map[string]any{"in": map[string]any{
				"name": "GLN test", "kind": "CARRIER", "creditCode": creditCode(t, 4242),
				"regionCode": "511802", "gln": g}}
		}
		a.fails("INVALID_GLN", "gln", createOrg, in(wrongCheck(taken)))
		a.fails("INVALID_GLN", "gln", createOrg, in("690123"))
		a.fails("CONFLICT", "gln", createOrg, in(taken))
		if n := a.count("organizations"); n != orgs {
			t.Fatalf("refused creations stored organisations: %d rows, had %d", n, orgs)
		}
		other := a.org("CARRIER")
		a.fails("CONFLICT", "gln", updateOrgGLN, map[string]any{"id": other, "gln": taken})
		a.fails("INVALID_GLN", "gln", updateOrgGLN, map[string]any{"id": other, "gln": wrongCheck(taken)})
		var out struct{ OrganizationByKey *struct{ ID string } }
		a.must(&out, orgByKey, map[string]any{"gln": taken})
		if out.OrganizationByKey == nil || out.OrganizationByKey.ID != farm {
			t.Fatalf("the GLN's holder changed: %+v, want %s", out.OrganizationByKey, farm)
		}
		var kept struct{ Node struct{ Gln *string } }
		a.must(&kept, `query($id: ID!) { node(id: $id) { ... on Organization { gln } } }`, map[string]any{"id": other})
		if kept.Node.Gln != nil {
			t.Fatalf("a refused update stored the GLN %q", *kept.Node.Gln)
		}

		var made struct{ CreateOrganization struct{ ID string } }
		a.must(&made, createOrg, in(" "+gln(t, 8)))
		var got struct{ Node struct{ Gln string } }
		a.must(&got, `query($id: ID!) { node(id: $id) { ... on Organization { gln } } }`, map[string]any{"id": made.CreateOrganization.ID})
		if got.Node.Gln != gln(t, 8) {
			t.Errorf("stored GLN %q, want %q", got.Node.Gln, gln(t, 8))
		}

		// An organisation's own administrator sets its GLN; others may not.
		own := a.as(a.login(a.account(id(t, other), "ORG_ADMIN")))
		own.must(nil, updateOrgGLN, map[string]any{"id": other, "gln": gln(t, 9)})
		own.fails("FORBIDDEN", "", updateOrgGLN, map[string]any{"id": farm, "gln": gln(t, 10)})
	})
}

// TestLookupTenancy: a lookup answers what node(id:) answers. A stranger
// reads null for every key of a chain it has no part in, as node answers
// NOT_FOUND for the same rows; the parties read what the table in
// docs/SECURITY.md gives them.
func TestLookupTenancy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		k := a.keyedChain(1)
		stranger := a.staff(a.org("PROCESSOR"))
		farm := a.staff(k.farmOrg)
		carrier := a.staff(k.carrierOrg)

		got := stranger.lookAll(k)
		if got.OrganizationByKey != nil || got.FacilityByGLN != nil || got.ProductByGTIN != nil || got.BatchByLot != nil {
			t.Errorf("a stranger found another firm's rows by their keys: %+v", got)
		}
		for _, ref := range []string{k.farmOrg, k.farm, k.pigs, k.lotID} {
			stranger.fails("NOT_FOUND", "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": ref})
		}
		for _, vars := range []map[string]any{{"cc": k.creditCode}, {"lic": k.licenseNo}} {
			var out struct{ OrganizationByKey *struct{ ID string } }
			stranger.must(&out, orgByKey, vars)
			if out.OrganizationByKey != nil {
				t.Errorf("%v: a stranger found %+v", vars, out.OrganizationByKey)
			}
		}

		got = farm.lookAll(k)
		if got.OrganizationByKey == nil || got.FacilityByGLN == nil || got.ProductByGTIN == nil || got.BatchByLot == nil {
			t.Errorf("the farm does not find its own rows: %+v", got)
		}

		// The carrier reads the lot once it carries it, and the farm's
		// facility (the shipment's origin).
		got = carrier.lookAll(k)
		if got.BatchByLot != nil || got.FacilityByGLN != nil {
			t.Errorf("the carrier found the lot before carrying it: %+v", got)
		}
		a.ship(k.carrierOrg, k.farm, k.plant, day(1), day(1.1), item(k.lotID, 10, "HEAD"))
		got = carrier.lookAll(k)
		if got.BatchByLot == nil || got.BatchByLot.ID != k.lotID || got.FacilityByGLN == nil || got.OrganizationByKey == nil || got.ProductByGTIN == nil {
			t.Errorf("the carrier does not find the lot it carries, its product, origin and producer: %+v", got)
		}
		if got := stranger.lookAll(k); got.BatchByLot != nil {
			t.Errorf("a stranger found the lot once it moved: %+v", got)
		}
	})
}

// TestLookupStatements: each lookup is a constant number of statements,
// however many rows its table holds.
func TestLookupStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		k := a.keyedChain(1)
		farm := a.staff(k.farmOrg)
		queries := map[string]struct {
			q    string
			vars map[string]any
		}{
			"organizationByKey(gln)":        {orgByKey, map[string]any{"gln": k.orgGLN}},
			"organizationByKey(creditCode)": {orgByKey, map[string]any{"cc": k.creditCode}},
			"organizationByKey(licenseNo)":  {orgByKey, map[string]any{"lic": k.licenseNo}},
			"facilityByGLN":                 {facilityByGLN, map[string]any{"gln": k.farmGLN}},
			"productByGTIN":                 {productByGTIN, map[string]any{"gtin": k.pigsGTIN}},
			"batchByLot":                    {batchByLot, map[string]any{"gtin": k.pigsGTIN, "lot": k.lot}},
		}
		count := func() map[string]int64 {
			// Each client's first request reads its account (then
			// cached): it is not the lookups'.
			for _, who := range []*api{a, farm} {
				who.must(nil, `{ me { id } }`, nil)
			}
			out := map[string]int64{}
			for name, c := range queries {
				for _, who := range []*api{a, farm} {
					db.Counter.Reset()
					r := who.do(c.q, c.vars)
					n := db.Counter.Count()
					if len(r.Errors) > 0 || string(r.Data) == "" || containsAny(string(r.Data), "null") != "" {
						t.Fatalf("%s: %s", name, r.Raw)
					}
					out[name] = max(out[name], n)
				}
			}
			return out
		}
		small := count()
		a.grow(3, 3, 2)
		a.keyedChain(2)
		large := count()
		for name, n := range small {
			t.Logf("%s: %s: %d statements", db.Name, name, n)
			if n != large[name] {
				t.Errorf("%s: %d statements, then %d with more data", name, n, large[name])
			}
			if n != 1 {
				t.Errorf("%s: %d statements, want 1", name, n)
			}
		}
	})
}
