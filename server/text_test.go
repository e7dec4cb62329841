package server_test

import (
	"testing"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestTextIsText checks that names, codes, addresses and notes holding
// control characters or bidirectional overrides and isolates are refused
// by every mutation that takes them, naming the field, and that filters
// with such characters are refused alike on every database.
func TestTextIsText(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		c := a.newChain()
		pigs := a.batch(c.pigs, c.farm, "PIGS-1", 10, "HEAD", day(0))
		const (
			nul = "\u0000"
			rlo = "\u202E" // right-to-left override
			lri = "\u2066" // left-to-right isolate
			esc = "\u001B"
		)
		org := func(name string) map[string]any {
			return map[string]any{"in": map[string]any{"name": name, "kind": "CARRIER",
				"creditCode": creditCode(t, 777), "regionCode": "511802"}}
		}
		for _, tc := range []struct {
			name, query string
			vars        map[string]any
			field       string
		}{
			{"organisation name U+0000", createOrg, org("Farm" + nul), "name"},
			{"organisation name override", createOrg, org("Farm " + rlo + "kcab"), "name"},
			{"organisation name newline", createOrg, org("Farm\nTwo"), "name"},
			{"organisation update", `mutation($id: ID!, $in: UpdateOrganizationInput!) { updateOrganization(id: $id, input: $in) { id } }`,
				map[string]any{"id": c.farmOrg, "in": map[string]any{"name": "Farm" + lri}}, "name"},
			{"facility address", createFacility, map[string]any{"in": map[string]any{"organizationID": c.farmOrg, "kind": "FARM",
				"name": "Barn", "address": "雨城区" + rlo + "1号", "regionCode": "511802"}}, "address"},
			{"facility update", `mutation($id: ID!, $in: UpdateFacilityInput!) { updateFacility(id: $id, input: $in) { id } }`,
				map[string]any{"id": c.farm, "in": map[string]any{"name": "Barn" + nul}}, "name"},
			{"product name", createProduct, map[string]any{"in": map[string]any{"organizationID": c.plantOrg, "name": "Pork " + rlo + "nioL",
				"category": "MEAT", "unit": "KG", "shelfLifeDays": 7}}, "name"},
			{"product description", `mutation($id: ID!, $in: UpdateProductInput!) { updateProduct(id: $id, input: $in) { id } }`,
				map[string]any{"id": c.pork, "in": map[string]any{"description": "chilled" + nul}}, "description"},
			{"lot code", createBatch, map[string]any{"in": map[string]any{"productID": c.pigs, "facilityID": c.farm,
				"lotCode": "PIGS" + esc, "producedAt": day(1), "quantity": 1, "unit": "HEAD"}}, "lotCode"},
			{"vehicle plate", recordShipment, map[string]any{"in": map[string]any{"carrierID": c.carrierOrg, "fromFacilityID": c.farm,
				"toFacilityID": c.plant, "vehiclePlate": "川T" + nul, "departedAt": day(1), "items": []any{item(pigs, 1, "HEAD")}}}, "vehiclePlate"},
			{"inspection notes", recordInspection, map[string]any{"in": map[string]any{"batchID": pigs, "labID": c.labOrg,
				"inspectedAt": day(1), "result": "PASS", "notes": "fine" + rlo}}, "notes"},
			{"measurement name", recordInspection, map[string]any{"in": map[string]any{"batchID": pigs, "labID": c.labOrg,
				"inspectedAt": day(1), "result": "PASS", "measurements": []any{map[string]any{"name": "TVB-N" + nul, "value": 1}}}}, "measurements.0.name"},
			{"user name", `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`, map[string]any{"in": map[string]any{
				"organizationID": c.farmOrg, "phone": "13911112222", "name": "Li" + rlo, "password": testPassword, "role": "STAFF"}}, "name"},
			{"API key name in the query text", `mutation { createAPIKey(organizationID: "` + c.farmOrg + `", name: "key\u0000") { secret } }`, nil, "name"},
			{"recall reason", initiateRecall, map[string]any{"in": map[string]any{"batchIDs": []any{pigs},
				"reason": "bad" + nul, "class": "I", "depth": "CONSUMER"}}, "reason"},
			{"filter", `query($s: String) { organizations(where: {nameContains: $s}) { totalCount } }`, map[string]any{"s": nul}, "nameContains"},
			{"nested filter in a fragment", `{ organizations { edges { node { ...F } } } } fragment F on Organization { batches(where: {or: [{lotCode: "x"}, {lotCodeContains: "\u202E"}]}) { totalCount } }`, nil, "or.1.lotCodeContains"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db.Counter.Reset()
				a.forTest(t).fails("INVALID_TEXT", tc.field, tc.query, tc.vars)
				if n := db.Counter.Count(); n != 0 {
					t.Errorf("%d SQL statements ran before the request was refused", n)
				}
			})
		}

		// Text is otherwise free: any script, and line breaks in notes.
		a.must(nil, createProduct, map[string]any{"in": map[string]any{"organizationID": c.plantOrg, "name": "蒙顶甘露 Mengding tea 🍵 ‏עברית",
			"category": "TEA", "unit": "KG", "description": "first line\n\tsecond line"}})
		a.must(nil, recordInspection, map[string]any{"in": map[string]any{"batchID": pigs, "labID": c.labOrg,
			"inspectedAt": day(1), "result": "PASS", "notes": "line one\r\nline two"}})
		// A password is compared with a hash, never shown: it is not text
		// to check.
		a.as("").fails("UNAUTHENTICATED", "", `mutation($p: String!) { login(phone: "13900000001", password: $p) { accessToken } }`,
			map[string]any{"p": "pass" + nul + "word"})
	})
}

// TestStringFiltersAgree checks that string filters find the same rows on
// every database: case-sensitive but for the …Fold filters, and with % and
// _ taken literally.
func TestStringFiltersAgree(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		*a.seq++
		a.must(nil, createOrg, map[string]any{"in": map[string]any{"name": "Mixed Case Carrier", "kind": "CARRIER",
			"creditCode": creditCode(t, 4242), "regionCode": "511802"}})
		for filter, want := range map[string]int{
			`nameContains: "Case"`:                1,
			`nameContains: "case"`:                0,
			`nameContains: "CASE"`:                0,
			`nameHasPrefix: "mixed"`:              0,
			`nameHasPrefix: "Mixed"`:              1,
			`nameHasSuffix: "CARRIER"`:            0,
			`nameContainsFold: "cASE"`:            1,
			`nameEqualFold: "mixed case carrier"`: 1,
			`name: "mixed case carrier"`:          0,
			`nameContains: "%"`:                   0,
			`nameContains: "Mixed_Case"`:          0,
		} {
			var out struct{ Organizations struct{ TotalCount int } }
			a.must(&out, `{ organizations(where: {`+filter+`}) { totalCount } }`, nil)
			if out.Organizations.TotalCount != want {
				t.Errorf("%s found %d, want %d", filter, out.Organizations.TotalCount, want)
			}
		}
	})
}
