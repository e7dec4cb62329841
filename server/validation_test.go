package server_test

import (
	"database/sql"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"suyuan/internal/errcode"
	"suyuan/internal/gs1"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestValidation proves that every validation rule of every mutation
// refuses bad input with the right extensions.code and extensions.field, and
// that a refused call writes nothing: the row counts of every table, the
// rows of the tables a mutation updates in place, and the stock balances are
// compared before and after each refused call.
//
// All groups share one database per backend (creating and migrating a
// MariaDB database costs more than the tests themselves); each group builds
// its own organisations, facilities and batches, so groups do not depend on
// one another.
func TestValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{Development: true})
		for _, g := range []struct {
			name string
			run  func(t *testing.T, a *api)
		}{
			{"createOrganization", validateCreateOrganization},
			{"updateOrganization", validateUpdateOrganization},
			{"createFacility", validateCreateFacility},
			{"updateFacility", validateUpdateFacility},
			{"createProduct", validateCreateProduct},
			{"updateProduct", validateUpdateProduct},
			{"createBatch", validateCreateBatch},
			{"recordShipment", validateRecordShipment},
			{"departShipment", validateDepartShipment},
			{"recordArrival", validateRecordArrival},
			{"addSensorReadings", validateAddSensorReadings},
			{"shelveBatch", validateShelveBatch},
			{"removeFromShelf", validateRemoveFromShelf},
			{"recordInspection", validateRecordInspection},
			{"issueTraceCodes", validateIssueTraceCodes},
			{"scalars", validateScalars},
			{"characterLimits", validateCharacterLimits},
		} {
			t.Run(g.name, func(t *testing.T) {
				defer a.bindTo(t)()
				g.run(t, a)
			})
		}
	})
}

// ---------------------------------------------------------------------------
// Harness: refusals, snapshots, inputs.

// refusal is a call that must fail with exactly one error carrying code and
// field ("" when the error must name no field), and write nothing.
type refusal struct {
	name  string
	query string
	vars  map[string]any
	raw   string // when set, posted as the request body instead of query and vars
	code  string
	field string
	// check runs after the refusal, for assertions beyond "nothing changed",
	// such as a named stock balance.
	check func(t *testing.T)
}

// refuse runs each refusal as a subtest, asserting its code and field and
// that the database is unchanged.
func (a *api) refuse(t *testing.T, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer a.bindTo(t)()
			before := a.takeSnapshot()
			var r response
			if c.raw != "" {
				r = a.post("application/json", []byte(c.raw))
			} else {
				r = a.do(c.query, c.vars)
			}
			if len(r.Errors) != 1 {
				t.Fatalf("want one error %s (field %q), got %s", c.code, c.field, r.Raw)
			}
			e := r.Errors[0].Extensions
			if e.Code != c.code || e.Field != c.field {
				t.Errorf("error = %s (field %q), want %s (field %q)\n%s", e.Code, e.Field, c.code, c.field, r.Raw)
			}
			if e.Code == "INTERNAL" {
				t.Errorf("input error reported as INTERNAL: %s", r.Raw)
			}
			if string(r.Data) != "" && string(r.Data) != "null" {
				t.Errorf("data = %s, want null", r.Data)
			}
			a.assertUnchanged(before)
			if c.check != nil {
				c.check(t)
			}
		})
	}
}

// bindTo makes a report to t until the returned function restores the
// previous test; subtests run one at a time, so this is safe.
func (a *api) bindTo(t *testing.T) (restore func()) {
	prev := a.t
	a.t = t
	return func() { a.t = prev }
}

// allTables are the tables of ent/migrate/schema.go.
var allTables = []string{
	"organizations", "facilities", "products", "batches", "batch_inputs",
	"stocks", "shipments", "shipment_items", "sensor_readings",
	"shelf_events", "inspections", "measurements", "trace_codes",
}

// rowTables are the tables whose rows (not only their number) are compared:
// the ones mutations update in place (stock balances, shipment status,
// shelf removal, organisation details) and the small reference tables.
var rowTables = []string{
	"organizations", "facilities", "products", "batches", "stocks",
	"shipments", "shelf_events",
}

type dbSnapshot struct {
	counts map[string]int
	rows   map[string][]string
}

func (a *api) takeSnapshot() dbSnapshot {
	a.t.Helper()
	s := dbSnapshot{counts: map[string]int{}, rows: map[string][]string{}}
	for _, table := range allTables {
		s.counts[table] = a.count(table)
	}
	for _, table := range rowTables {
		s.rows[table] = a.dumpRows(table)
	}
	return s
}

// failsClean is fails, asserting too that the refused call changed no
// row.
func (a *api) failsClean(code, field, query string, vars map[string]any) {
	a.t.Helper()
	before := a.takeSnapshot()
	a.fails(code, field, query, vars)
	a.assertUnchanged(before)
}

// assertUnchanged fails the test when any table's row count or any row of
// rowTables differs from before.
func (a *api) assertUnchanged(before dbSnapshot) {
	a.t.Helper()
	after := a.takeSnapshot()
	for _, table := range allTables {
		if b, n := before.counts[table], after.counts[table]; b != n {
			a.t.Errorf("%s: %d rows before the refused call, %d after", table, b, n)
		}
	}
	for _, table := range rowTables {
		b, n := before.rows[table], after.rows[table]
		for i := range min(len(b), len(n)) {
			if b[i] != n[i] {
				a.t.Errorf("%s: row changed by the refused call:\nbefore: %s\nafter:  %s", table, b[i], n[i])
				break
			}
		}
	}
}

// dumpRows returns every row of table as a line of column=value pairs.
func (a *api) dumpRows(table string) []string {
	a.t.Helper()
	rows, err := a.db.SQL.Query("SELECT * FROM " + table + " ORDER BY id")
	if err != nil {
		a.t.Fatalf("reading %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		a.t.Fatal(err)
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			a.t.Fatalf("reading %s: %v", table, err)
		}
		var b strings.Builder
		for i, v := range vals {
			if v == nil {
				fmt.Fprintf(&b, "%s=NULL ", cols[i])
			} else {
				fmt.Fprintf(&b, "%s=%q ", cols[i], v)
			}
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		a.t.Fatalf("reading %s: %v", table, err)
	}
	return out
}

// onHand returns how much of a batch a facility holds, in the batch's unit,
// read from the stocks table; no row is nothing.
func (a *api) onHand(batch, facility string) float64 {
	a.t.Helper()
	var m int64
	err := a.db.SQL.QueryRow("SELECT on_hand_milli FROM stocks WHERE batch_id = ? AND facility_id = ?",
		parseID(a.t, batch), parseID(a.t, facility)).Scan(&m)
	if err == sql.ErrNoRows {
		return 0
	}
	if err != nil {
		a.t.Fatalf("reading stock: %v", err)
	}
	return float64(m) / 1000
}

// wantOnHand returns a check that a facility holds want of a batch.
func (a *api) wantOnHand(batch, facility string, want float64) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		if got := a.onHand(batch, facility); got != want {
			t.Errorf("stock of batch %s at facility %s = %g, want %g", batch, facility, got, want)
		}
	}
}

// column reads one column of one row by id, for checking normalised values.
func (a *api) column(table, col, id string) string {
	a.t.Helper()
	var v sql.NullString
	if err := a.db.SQL.QueryRow("SELECT "+col+" FROM "+table+" WHERE id = ?", parseID(a.t, id)).Scan(&v); err != nil {
		a.t.Fatalf("reading %s.%s: %v", table, col, err)
	}
	return v.String
}

func (a *api) next() int {
	*a.seq++
	return *a.seq
}

// suspend sets an organisation's status to SUSPENDED.
func (a *api) suspend(org string) {
	a.t.Helper()
	a.must(nil, qUpdateOrg, kv{"id": org, "in": kv{"status": "SUSPENDED"}})
}

// hold puts a batch ON_HOLD. No mutation does that yet, so it goes through
// SQL.
func (a *api) hold(batch string) {
	a.t.Helper()
	if _, err := a.db.SQL.Exec("UPDATE batches SET status = 'ON_HOLD' WHERE id = ?", parseID(a.t, batch)); err != nil {
		a.t.Fatal(err)
	}
}

func parseID(t testing.TB, id string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return n
}

type kv = map[string]any

// omitted, as a value in with's changes, removes the key.
type omitted struct{}

// with returns a copy of base with changes applied.
func with(base, changes kv) kv {
	m := maps.Clone(base)
	for k, v := range changes {
		if _, ok := v.(omitted); ok {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// in is with, wrapped as the variables {"in": ...}.
func in(base, changes kv) kv { return kv{"in": with(base, changes)} }

// glnCode returns a valid GLN numbered n.
func glnCode(t *testing.T, n int) string {
	t.Helper()
	body := fmt.Sprintf("691%09d", n)
	c, err := gs1.CheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// wrongCheck replaces the last character of a code by another one of the
// same class, so that only the check digit or character is wrong.
func wrongCheck(code string) string {
	last := code[len(code)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return code[:len(code)-1] + string(repl)
}

// unknownID is an id no row has.
const unknownID = "999999999"

// future is a day ahead of the real clock, beyond the allowed clock skew.
func future() time.Time { return time.Now().UTC().Add(24 * time.Hour) }

func repeatItems(n int, batch string) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = item(batch, 1, "HEAD")
	}
	return out
}

func sensorReadings(n int, from time.Time) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = kv{"recordedAt": from.Add(time.Duration(i) * time.Second), "temperature": 3.5, "humidity": 80.0}
	}
	return out
}

const (
	qCreateOrg       = `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { id creditCode licenseNo regionCode } }`
	qUpdateOrg       = `mutation($id: ID!, $in: UpdateOrganizationInput!) { updateOrganization(id: $id, input: $in) { id } }`
	qUpdateFacility  = `mutation($id: ID!, $in: UpdateFacilityInput!) { updateFacility(id: $id, input: $in) { id } }`
	qCreateProduct   = `mutation($in: CreateProductInput!) { createProduct(input: $in) { id gtin } }`
	qUpdateProduct   = `mutation($id: ID!, $in: UpdateProductInput!) { updateProduct(id: $id, input: $in) { id } }`
	qDepart          = `mutation($id: ID!, $at: Time!) { departShipment(id: $id, departedAt: $at) { id status } }`
	qReadings        = `mutation($in: AddSensorReadingsInput!) { addSensorReadings(input: $in) { count } }`
	qRemoveFromShelf = `mutation($id: ID!, $at: Time!, $reason: ShelfEventRemovalReason!) { removeFromShelf(id: $id, removedAt: $at, reason: $reason) { id } }`
	qInspection      = `mutation($in: RecordInspectionInput!) { recordInspection(input: $in) { id } }`
	qTraceCodes      = `mutation($in: IssueTraceCodesInput!) { issueTraceCodes(input: $in) { code } }`
)

// Error codes, from the registry.
const (
	eBadInput = string(errcode.BadUserInput)
	eNotFound = string(errcode.NotFound)
	eConflict = string(errcode.Conflict)
	eState    = string(errcode.InvalidState)
	eTime     = string(errcode.InvalidTimeOrder)
	eQty      = string(errcode.InvalidQuantity)
	eUnit     = string(errcode.InvalidUnit)
	eExceeds  = string(errcode.QuantityExceedsAvailable)
	eGraphQL  = string(errcode.GraphQLValidationFailed)
	ePhone    = string(errcode.InvalidPhone)
	eCredit   = string(errcode.InvalidCreditCode)
	eLicense  = string(errcode.InvalidLicenseNo)
	eRegion   = string(errcode.InvalidRegionCode)
	eGLN      = string(errcode.InvalidGLN)
	eGTIN     = string(errcode.InvalidGTIN)
)

const (
	tooLongLot = "ABCDEFGHIJ0123456789X" // 21 characters
	longestLot = "AZaz09!\"%&'()*+,-./_" // 20 characters, all classes of GS1 set 82
	plateOf17  = "川T123456789012345"     // 17 characters
)

// ---------------------------------------------------------------------------
// Organisations, facilities, products.

func validateCreateOrganization(t *testing.T, a *api) {
	taken := creditCode(t, a.next())
	a.must(nil, qCreateOrg, kv{"in": kv{"name": "已有 Existing", "kind": "CARRIER", "creditCode": taken, "regionCode": "511802"}})

	n := a.next()
	cc := creditCode(t, n)
	base := kv{
		"name": "雅安 Farm", "kind": "PRODUCER", "creditCode": cc,
		"licenseNo": fmt.Sprintf("SC1%013d", n), "regionCode": "511802", "contactPhone": "13800138000",
	}
	a.refuse(t, []refusal{
		{name: "empty name", query: qCreateOrg, vars: in(base, kv{"name": ""}), code: eBadInput, field: "name"},
		{name: "blank name", query: qCreateOrg, vars: in(base, kv{"name": " \u3000 "}), code: eBadInput, field: "name"},
		{name: "name of 201 characters", query: qCreateOrg, vars: in(base, kv{"name": strings.Repeat("n", 201)}), code: eBadInput, field: "name"},
		{name: "unknown kind", query: qCreateOrg, vars: in(base, kv{"kind": "FARMER"}), code: eGraphQL},
		{name: "phone of 10 digits", query: qCreateOrg, vars: in(base, kv{"contactPhone": "1380013800"}), code: ePhone, field: "contactPhone"},
		{name: "phone starting 12", query: qCreateOrg, vars: in(base, kv{"contactPhone": "12800138000"}), code: ePhone, field: "contactPhone"},
		{name: "phone with letters", query: qCreateOrg, vars: in(base, kv{"contactPhone": "138-0013-800O"}), code: ePhone, field: "contactPhone"},
		{name: "landline", query: qCreateOrg, vars: in(base, kv{"contactPhone": "0835-2222222"}), code: ePhone, field: "contactPhone"},
		{name: "empty phone", query: qCreateOrg, vars: in(base, kv{"contactPhone": ""}), code: ePhone, field: "contactPhone"},
		{name: "credit code check character", query: qCreateOrg, vars: in(base, kv{"creditCode": wrongCheck(cc)}), code: eCredit, field: "creditCode"},
		{name: "credit code of 17 characters", query: qCreateOrg, vars: in(base, kv{"creditCode": cc[:17]}), code: eCredit, field: "creditCode"},
		{name: "credit code with I", query: qCreateOrg, vars: in(base, kv{"creditCode": "I" + cc[1:]}), code: eCredit, field: "creditCode"},
		{name: "licence too short", query: qCreateOrg, vars: in(base, kv{"licenseNo": "SC123"}), code: eLicense, field: "licenseNo"},
		{name: "licence without SC", query: qCreateOrg, vars: in(base, kv{"licenseNo": "XK10000000000001"}), code: eLicense, field: "licenseNo"},
		{name: "producer without licence", query: qCreateOrg, vars: in(base, kv{"licenseNo": omitted{}}), code: eLicense, field: "licenseNo"},
		{name: "processor without licence", query: qCreateOrg, vars: in(base, kv{"kind": "PROCESSOR", "licenseNo": omitted{}}), code: eLicense, field: "licenseNo"},
		{name: "producer with null licence", query: qCreateOrg, vars: in(base, kv{"licenseNo": nil}), code: eLicense, field: "licenseNo"},
		{name: "region of unknown province", query: qCreateOrg, vars: in(base, kv{"regionCode": "991802"}), code: eRegion, field: "regionCode"},
		{name: "region of 4 digits", query: qCreateOrg, vars: in(base, kv{"regionCode": "5118"}), code: eRegion, field: "regionCode"},
		{name: "duplicate credit code", query: qCreateOrg, vars: in(base, kv{"creditCode": taken}), code: eConflict, field: "creditCode"},
		{name: "duplicate credit code in lower case", query: qCreateOrg, vars: in(base, kv{"creditCode": strings.ToLower(taken)}), code: eConflict, field: "creditCode"},
	})

	t.Run("non-canonical input is normalised", func(t *testing.T) {
		defer a.bindTo(t)()
		n := a.next()
		cc := creditCode(t, n)
		var out struct {
			CreateOrganization struct{ ID, CreditCode, LicenseNo, RegionCode string }
		}
		a.must(&out, qCreateOrg, in(base, kv{
			"creditCode": " " + strings.ToLower(cc) + " ", "contactPhone": "+86 138-0013-8000",
			"licenseNo": fmt.Sprintf("sc1%013d", n), "regionCode": " 511802 ",
		}))
		o := out.CreateOrganization
		if o.CreditCode != cc || o.LicenseNo != fmt.Sprintf("SC1%013d", n) || o.RegionCode != "511802" {
			t.Errorf("organisation = %+v, want credit code %s, licence SC1%013d, region 511802", o, cc, n)
		}
		for col, want := range map[string]string{"contact_phone": "13800138000", "credit_code": cc} {
			if got := a.column("organizations", col, o.ID); got != want {
				t.Errorf("stored %s = %q, want %q", col, got, want)
			}
		}
	})
}

func validateUpdateOrganization(t *testing.T, a *api) {
	producer := a.org("PRODUCER")
	carrier := a.org("CARRIER")
	a.org("RETAILER")
	otherCode := creditCode(t, *a.seq)
	upd := func(id string, in kv) kv { return kv{"id": id, "in": in} }
	a.refuse(t, []refusal{
		{name: "bad phone", query: qUpdateOrg, vars: upd(producer, kv{"contactPhone": "1380013800"}), code: ePhone, field: "contactPhone"},
		{name: "clearing a producer's licence", query: qUpdateOrg, vars: upd(producer, kv{"clearLicenseNo": true}), code: eLicense, field: "licenseNo"},
		{name: "carrier becoming a processor without licence", query: qUpdateOrg, vars: upd(carrier, kv{"kind": "PROCESSOR"}), code: eLicense, field: "licenseNo"},
		{name: "bad licence", query: qUpdateOrg, vars: upd(producer, kv{"licenseNo": "SC12345"}), code: eLicense, field: "licenseNo"},
		{name: "bad credit code", query: qUpdateOrg, vars: upd(producer, kv{"creditCode": wrongCheck(otherCode)}), code: eCredit, field: "creditCode"},
		{name: "another organisation's credit code", query: qUpdateOrg, vars: upd(producer, kv{"creditCode": otherCode}), code: eConflict, field: "creditCode"},
		{name: "bad region", query: qUpdateOrg, vars: upd(producer, kv{"regionCode": "000000"}), code: eRegion, field: "regionCode"},
		{name: "empty name", query: qUpdateOrg, vars: upd(producer, kv{"name": "  "}), code: eBadInput, field: "name"},
		{name: "unknown status", query: qUpdateOrg, vars: upd(producer, kv{"status": "CLOSED"}), code: eGraphQL},
		{name: "unknown id", query: qUpdateOrg, vars: upd(unknownID, kv{"name": "Nobody"}), code: eNotFound, field: "id"},
	})

	t.Run("carrier becoming a processor with a licence", func(t *testing.T) {
		defer a.bindTo(t)()
		a.must(nil, qUpdateOrg, upd(carrier, kv{"kind": "PROCESSOR", "licenseNo": "sc10000000000099", "contactPhone": "86 139 0000 0001"}))
		if got := a.column("organizations", "license_no", carrier); got != "SC10000000000099" {
			t.Errorf("licence = %q, want SC10000000000099", got)
		}
		if got := a.column("organizations", "contact_phone", carrier); got != "13900000001" {
			t.Errorf("phone = %q, want 13900000001", got)
		}
	})
}

func validateCreateFacility(t *testing.T, a *api) {
	org := a.org("PRODUCER")
	taken := glnCode(t, a.next())
	a.must(nil, createFacility, kv{"in": kv{"organizationID": org, "kind": "FARM", "name": "Taken", "regionCode": "511802", "gln": taken}})
	fresh := glnCode(t, a.next())
	base := kv{
		"organizationID": org, "kind": "FARM", "name": "猪场 Farm", "address": "雨城区 1号",
		"regionCode": "511802", "gln": fresh, "latitude": 29.98, "longitude": 103.0,
	}
	a.refuse(t, []refusal{
		{name: "empty name", query: createFacility, vars: in(base, kv{"name": ""}), code: eBadInput, field: "name"},
		{name: "unknown kind", query: createFacility, vars: in(base, kv{"kind": "BARN"}), code: eGraphQL},
		{name: "bad region", query: createFacility, vars: in(base, kv{"regionCode": "001802"}), code: eRegion, field: "regionCode"},
		{name: "region with letters", query: createFacility, vars: in(base, kv{"regionCode": "51180X"}), code: eRegion, field: "regionCode"},
		{name: "GLN check digit", query: createFacility, vars: in(base, kv{"gln": wrongCheck(fresh)}), code: eGLN, field: "gln"},
		{name: "GLN of 12 digits", query: createFacility, vars: in(base, kv{"gln": fresh[:12]}), code: eGLN, field: "gln"},
		{name: "unknown organisation", query: createFacility, vars: in(base, kv{"organizationID": unknownID}), code: eNotFound, field: "organizationID"},
		{name: "latitude above 90", query: createFacility, vars: in(base, kv{"latitude": 90.5}), code: eBadInput, field: "latitude"},
		{name: "latitude below -90", query: createFacility, vars: in(base, kv{"latitude": -91.0}), code: eBadInput, field: "latitude"},
		{name: "longitude above 180", query: createFacility, vars: in(base, kv{"longitude": 180.5}), code: eBadInput, field: "longitude"},
		{name: "address of 501 characters", query: createFacility, vars: in(base, kv{"address": strings.Repeat("a", 501)}), code: eBadInput, field: "address"},
		{name: "duplicate GLN", query: createFacility, vars: in(base, kv{"gln": taken}), code: eConflict, field: "gln"},
		{name: "duplicate GLN with spaces", query: createFacility, vars: in(base, kv{"gln": " " + taken + " "}), code: eConflict, field: "gln"},
	})
}

func validateUpdateFacility(t *testing.T, a *api) {
	org := a.org("PROCESSOR")
	mine, theirs := glnCode(t, a.next()), glnCode(t, a.next())
	var out struct{ CreateFacility struct{ ID string } }
	a.must(&out, createFacility, kv{"in": kv{"organizationID": org, "kind": "FACTORY", "name": "Mine", "regionCode": "511802", "gln": mine}})
	fac := out.CreateFacility.ID
	a.must(nil, createFacility, kv{"in": kv{"organizationID": org, "kind": "WAREHOUSE", "name": "Theirs", "regionCode": "511802", "gln": theirs}})
	upd := func(id string, in kv) kv { return kv{"id": id, "in": in} }
	a.refuse(t, []refusal{
		{name: "empty name", query: qUpdateFacility, vars: upd(fac, kv{"name": ""}), code: eBadInput, field: "name"},
		{name: "bad region", query: qUpdateFacility, vars: upd(fac, kv{"regionCode": "5118021"}), code: eRegion, field: "regionCode"},
		{name: "GLN check digit", query: qUpdateFacility, vars: upd(fac, kv{"gln": wrongCheck(mine)}), code: eGLN, field: "gln"},
		{name: "another facility's GLN", query: qUpdateFacility, vars: upd(fac, kv{"gln": theirs}), code: eConflict, field: "gln"},
		{name: "latitude", query: qUpdateFacility, vars: upd(fac, kv{"latitude": 100.0}), code: eBadInput, field: "latitude"},
		{name: "longitude", query: qUpdateFacility, vars: upd(fac, kv{"longitude": -200.0}), code: eBadInput, field: "longitude"},
		{name: "address of 501 characters", query: qUpdateFacility, vars: upd(fac, kv{"address": strings.Repeat("a", 501)}), code: eBadInput, field: "address"},
		{name: "unknown id", query: qUpdateFacility, vars: upd(unknownID, kv{"name": "Nowhere"}), code: eNotFound, field: "id"},
	})
}

func validateCreateProduct(t *testing.T, a *api) {
	org := a.org("PROCESSOR")
	taken := gtin(t, a.next())
	a.must(nil, qCreateProduct, kv{"in": kv{"organizationID": org, "name": "Taken", "category": "MEAT", "unit": "KG", "gtin": taken}})
	fresh := gtin(t, a.next())
	base := kv{
		"organizationID": org, "name": "冷鲜肉 Chilled pork", "category": "MEAT", "unit": "KG",
		"gtin": fresh, "shelfLifeDays": 7, "storageMinC": 0.0, "storageMaxC": 4.0, "description": "",
	}
	a.refuse(t, []refusal{
		{name: "empty name", query: qCreateProduct, vars: in(base, kv{"name": " "}), code: eBadInput, field: "name"},
		{name: "GTIN check digit", query: qCreateProduct, vars: in(base, kv{"gtin": wrongCheck(fresh)}), code: eGTIN, field: "gtin"},
		{name: "GTIN of 11 digits", query: qCreateProduct, vars: in(base, kv{"gtin": fresh[:11]}), code: eGTIN, field: "gtin"},
		{name: "GTIN with a letter", query: qCreateProduct, vars: in(base, kv{"gtin": "A" + fresh[1:]}), code: eGTIN, field: "gtin"},
		{name: "storageMinC above storageMaxC", query: qCreateProduct, vars: in(base, kv{"storageMinC": 5.0, "storageMaxC": 4.0}), code: eBadInput, field: "storageMinC"},
		{name: "storageMinC below -80", query: qCreateProduct, vars: in(base, kv{"storageMinC": -81.0}), code: eBadInput, field: "storageMinC"},
		{name: "storageMaxC above 60", query: qCreateProduct, vars: in(base, kv{"storageMaxC": 61.0}), code: eBadInput, field: "storageMaxC"},
		{name: "shelf life of 0 days", query: qCreateProduct, vars: in(base, kv{"shelfLifeDays": 0}), code: eBadInput, field: "shelfLifeDays"},
		{name: "shelf life of 3651 days", query: qCreateProduct, vars: in(base, kv{"shelfLifeDays": 3651}), code: eBadInput, field: "shelfLifeDays"},
		{name: "description of 2001 characters", query: qCreateProduct, vars: in(base, kv{"description": strings.Repeat("d", 2001)}), code: eBadInput, field: "description"},
		{name: "unknown unit", query: qCreateProduct, vars: in(base, kv{"unit": "STONE"}), code: eGraphQL},
		{name: "unknown category", query: qCreateProduct, vars: in(base, kv{"category": "CANDY"}), code: eGraphQL},
		{name: "unknown organisation", query: qCreateProduct, vars: in(base, kv{"organizationID": unknownID}), code: eNotFound, field: "organizationID"},
		{name: "duplicate GTIN", query: qCreateProduct, vars: in(base, kv{"gtin": taken}), code: eConflict, field: "gtin"},
		{name: "duplicate GTIN in its 14-digit form", query: qCreateProduct, vars: in(base, kv{"gtin": "0" + taken}), code: eConflict, field: "gtin"},
	})

	t.Run("GTIN-13 and GTIN-8 are padded to 14 digits", func(t *testing.T) {
		defer a.bindTo(t)()
		body8 := fmt.Sprintf("9%06d", a.next())
		c, err := gs1.CheckDigit(body8)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []string{gtin(t, a.next()), body8 + string(c)} {
			var out struct{ CreateProduct struct{ ID, Gtin string } }
			a.must(&out, qCreateProduct, in(base, kv{"gtin": g}))
			if want := strings.Repeat("0", 14-len(g)) + g; out.CreateProduct.Gtin != want {
				t.Errorf("gtin %s returned as %s, want %s", g, out.CreateProduct.Gtin, want)
			}
			if want := strings.Repeat("0", 14-len(g)) + g; a.column("products", "gtin", out.CreateProduct.ID) != want {
				t.Errorf("gtin %s stored as %s, want %s", g, a.column("products", "gtin", out.CreateProduct.ID), want)
			}
		}
	})
}

func validateUpdateProduct(t *testing.T, a *api) {
	org := a.org("PROCESSOR")
	prod := a.product(org, "Pork", "KG") // stores 0–4 °C
	other := gtin(t, a.next())
	a.must(nil, qCreateProduct, kv{"in": kv{"organizationID": org, "name": "Other", "category": "MEAT", "unit": "KG", "gtin": other}})
	upd := func(id string, in kv) kv { return kv{"id": id, "in": in} }
	a.refuse(t, []refusal{
		{name: "empty name", query: qUpdateProduct, vars: upd(prod, kv{"name": ""}), code: eBadInput, field: "name"},
		{name: "storageMinC above the stored maximum", query: qUpdateProduct, vars: upd(prod, kv{"storageMinC": 5.0}), code: eBadInput, field: "storageMinC"},
		{name: "storageMaxC below the stored minimum", query: qUpdateProduct, vars: upd(prod, kv{"storageMaxC": -1.0}), code: eBadInput, field: "storageMinC"},
		{name: "storageMinC above storageMaxC", query: qUpdateProduct, vars: upd(prod, kv{"storageMinC": 8.0, "storageMaxC": 6.0}), code: eBadInput, field: "storageMinC"},
		{name: "shelf life of 0 days", query: qUpdateProduct, vars: upd(prod, kv{"shelfLifeDays": 0}), code: eBadInput, field: "shelfLifeDays"},
		{name: "GTIN check digit", query: qUpdateProduct, vars: upd(prod, kv{"gtin": wrongCheck(other)}), code: eGTIN, field: "gtin"},
		{name: "another product's GTIN", query: qUpdateProduct, vars: upd(prod, kv{"gtin": other}), code: eConflict, field: "gtin"},
		{name: "unknown unit", query: qUpdateProduct, vars: upd(prod, kv{"unit": "STONE"}), code: eGraphQL},
		{name: "unknown id", query: qUpdateProduct, vars: upd(unknownID, kv{"name": "Nothing"}), code: eNotFound, field: "id"},
	})
}

// ---------------------------------------------------------------------------
// Batches and their inputs.

func validateCreateBatch(t *testing.T, a *api) {
	c := a.newChain()
	// At the farm: p1 5 head, p2 10 head, late 5 head, held 10 head.
	// At the plant: p1 5 head, late 5 head; it has made pork lot TAKEN.
	p1 := a.batch(c.pigs, c.farm, "P1", 10, "HEAD", day(0))
	p2 := a.batch(c.pigs, c.farm, "P2", 10, "HEAD", day(0))
	late := a.batch(c.pigs, c.farm, "LATE", 10, "HEAD", day(3))
	held := a.batch(c.pigs, c.farm, "HELD", 10, "HEAD", day(0))
	a.ship(c.carrierOrg, c.farm, c.plant, day(1), day(1.1), item(p1, 5, "HEAD"))
	a.ship(c.carrierOrg, c.farm, c.plant, day(3.1), day(3.2), item(late, 5, "HEAD"))
	a.hold(held)
	a.batch(c.pork, c.plant, "TAKEN", 100, "KG", day(1.5))
	warehouse := a.facility(c.carrierOrg, "WAREHOUSE")

	suspended := a.org("PROCESSOR")
	suspendedFac := a.facility(suspended, "FACTORY")
	suspendedProd := a.product(suspended, "Sausage", "KG")
	a.suspend(suspended)

	base := kv{
		"productID": c.pork, "facilityID": c.plant, "lotCode": "LOIN-1",
		"producedAt": day(4), "quantity": 100.0, "unit": "KG",
	}
	inputs := func(items ...any) kv { return kv{"inputs": items} }
	p1AtPlant := a.wantOnHand(p1, c.plant, 5)
	a.refuse(t, []refusal{
		{name: "zero quantity", query: createBatch, vars: in(base, kv{"quantity": 0}), code: eQty, field: "quantity"},
		{name: "negative quantity", query: createBatch, vars: in(base, kv{"quantity": -5}), code: eQty, field: "quantity"},
		{name: "huge quantity", query: createBatch, vars: in(base, kv{"quantity": 1e13}), code: eQty, field: "quantity"},
		{name: "quantity below a thousandth", query: createBatch, vars: in(base, kv{"quantity": 0.0001}), code: eQty, field: "quantity"},
		{name: "counted unit for a product in KG", query: createBatch, vars: in(base, kv{"unit": "HEAD"}), code: eUnit, field: "unit"},
		{name: "volume for a product in KG", query: createBatch, vars: in(base, kv{"unit": "L"}), code: eUnit, field: "unit"},
		{name: "unknown unit", query: createBatch, vars: in(base, kv{"unit": "POUND"}), code: eGraphQL},
		{name: "expiry before production", query: createBatch, vars: in(base, kv{"expiresAt": day(3)}), code: eTime, field: "expiresAt"},
		{name: "expiry at production", query: createBatch, vars: in(base, kv{"expiresAt": day(4)}), code: eTime, field: "expiresAt"},
		{name: "production in the future", query: createBatch, vars: in(base, kv{"producedAt": future()}), code: eTime, field: "producedAt"},
		{name: "production at the zero time", query: createBatch, vars: in(base, kv{"producedAt": time.Time{}}), code: eBadInput, field: "producedAt"},
		{name: "empty lot code", query: createBatch, vars: in(base, kv{"lotCode": ""}), code: eBadInput, field: "lotCode"},
		{name: "lot code of 21 characters", query: createBatch, vars: in(base, kv{"lotCode": tooLongLot}), code: eBadInput, field: "lotCode"},
		{name: "lot code with a space", query: createBatch, vars: in(base, kv{"lotCode": "LOIN 1"}), code: eBadInput, field: "lotCode"},
		{name: "lot code with Chinese", query: createBatch, vars: in(base, kv{"lotCode": "批次1"}), code: eBadInput, field: "lotCode"},
		{name: "lot code with #", query: createBatch, vars: in(base, kv{"lotCode": "LOIN#1"}), code: eBadInput, field: "lotCode"},
		{name: "duplicate lot code for the product", query: createBatch, vars: in(base, kv{"lotCode": "TAKEN"}), code: eConflict, field: "lotCode"},
		{name: "unknown facility", query: createBatch, vars: in(base, kv{"facilityID": unknownID}), code: eNotFound, field: "facilityID"},
		{name: "facility of a carrier", query: createBatch, vars: in(base, kv{"facilityID": warehouse}), code: eBadInput, field: "facilityID"},
		{name: "facility of a suspended processor", query: createBatch, vars: in(base, kv{"facilityID": suspendedFac, "productID": suspendedProd}), code: eState, field: "facilityID"},
		{name: "unknown product", query: createBatch, vars: in(base, kv{"productID": unknownID}), code: eNotFound, field: "productID"},
		{name: "product of another organisation", query: createBatch, vars: in(base, kv{"productID": c.pigs, "unit": "HEAD"}), code: eBadInput, field: "productID"},
		{name: "input not at the facility", query: createBatch, vars: in(base, inputs(item(p2, 1, "HEAD"))), code: eExceeds, field: "inputs.0.quantity"},
		{name: "input more than available", query: createBatch, vars: in(base, inputs(item(p1, 6, "HEAD"))), code: eExceeds, field: "inputs.0.quantity", check: p1AtPlant},
		{name: "second input over after a good first", query: createBatch, vars: in(base, inputs(item(p1, 5, "HEAD"), item(p2, 1, "HEAD"))), code: eExceeds, field: "inputs.1.quantity", check: p1AtPlant},
		{name: "input listed twice", query: createBatch, vars: in(base, inputs(item(p1, 1, "HEAD"), item(p1, 1, "HEAD"))), code: eBadInput, field: "inputs.1.batchID", check: p1AtPlant},
		{name: "unknown input", query: createBatch, vars: in(base, inputs(item(unknownID, 1, "HEAD"))), code: eNotFound, field: "inputs.0.batchID"},
		{name: "unknown second input", query: createBatch, vars: in(base, inputs(item(p1, 1, "HEAD"), item(unknownID, 1, "HEAD"))), code: eNotFound, field: "inputs.1.batchID", check: p1AtPlant},
		{name: "input produced after the output", query: createBatch, vars: in(base, kv{"producedAt": day(2.5), "inputs": []any{item(late, 1, "HEAD")}}), code: eTime, field: "producedAt"},
		{name: "input in a unit of another dimension", query: createBatch, vars: in(base, inputs(item(p1, 1, "KG"))), code: eUnit, field: "inputs.0.quantity", check: p1AtPlant},
		{name: "input of zero", query: createBatch, vars: in(base, inputs(item(p1, 0, "HEAD"))), code: eQty, field: "inputs.0.quantity"},
		{name: "input on hold", query: createBatch, code: eState, field: "inputs.0.batchID",
			vars: in(base, kv{"facilityID": c.farm, "productID": c.pigs, "unit": "HEAD", "quantity": 1, "inputs": []any{item(held, 1, "HEAD")}})},
		{name: "101 inputs", query: createBatch, vars: in(base, kv{"inputs": repeatItems(101, p1)}), code: eBadInput, field: "inputs"},
	})

	t.Run("accepted edge values", func(t *testing.T) {
		defer a.bindTo(t)()
		// The longest lot code with every class of character, and the lot
		// code of another product.
		a.batch(c.pork, c.plant, longestLot, 1e12, "G", day(4))
		a.batch(c.pigs, c.farm, "TAKEN", 1, "HEAD", day(4))
		a.batch(c.pork, c.plant, "FROM-P1", 400, "KG", day(4), item(p1, 5, "HEAD"))
		if got := a.onHand(p1, c.plant); got != 0 {
			t.Errorf("p1 at the plant = %g after using all of it, want 0", got)
		}
	})
}

// ---------------------------------------------------------------------------
// Shipments.

func validateRecordShipment(t *testing.T, a *api) {
	c := a.newChain()
	a1 := a.batch(c.pigs, c.farm, "A1", 10, "HEAD", day(0))
	a2 := a.batch(c.pigs, c.farm, "A2", 10, "HEAD", day(0))
	held := a.batch(c.pigs, c.farm, "HELD", 10, "HEAD", day(0))
	a.hold(held)
	regulator := a.org("REGULATOR")
	suspended := a.org("CARRIER")
	a.suspend(suspended)

	base := kv{
		"carrierID": c.carrierOrg, "fromFacilityID": c.farm, "toFacilityID": c.plant,
		"vehiclePlate": "川T12345", "referenceDoc": "WB-1", "departedAt": day(1),
		"items": []any{item(a1, 1, "HEAD")},
	}
	items := func(it ...any) kv { return kv{"items": append([]any{}, it...)} }
	a1AtFarm, a2AtFarm := a.wantOnHand(a1, c.farm, 10), a.wantOnHand(a2, c.farm, 10)
	a.refuse(t, []refusal{
		{name: "no items", query: recordShipment, vars: in(base, items()), code: eBadInput, field: "items"},
		{name: "501 items", query: recordShipment, vars: in(base, kv{"items": repeatItems(501, a1)}), code: eBadInput, field: "items"},
		{name: "same origin and destination", query: recordShipment, vars: in(base, kv{"toFacilityID": c.farm}), code: eBadInput, field: "toFacilityID"},
		{name: "more than available", query: recordShipment, vars: in(base, items(item(a1, 11, "HEAD"))), code: eExceeds, field: "items.0.quantity", check: a1AtFarm},
		{name: "more than available, planned", query: recordShipment, vars: in(base, kv{"departedAt": omitted{}, "items": []any{item(a1, 11, "HEAD")}}), code: eExceeds, field: "items.0.quantity"},
		{name: "second item over after a good first", query: recordShipment, vars: in(base, items(item(a2, 2, "HEAD"), item(a1, 11, "HEAD"))), code: eExceeds, field: "items.1.quantity",
			check: func(t *testing.T) { a2AtFarm(t); a1AtFarm(t) }},
		{name: "batch the origin does not hold", query: recordShipment, vars: in(base, kv{"fromFacilityID": c.store, "toFacilityID": c.plant}), code: eExceeds, field: "items.0.quantity"},
		{name: "batch listed twice", query: recordShipment, vars: in(base, items(item(a1, 1, "HEAD"), item(a1, 1, "HEAD"))), code: eBadInput, field: "items.1.batchID"},
		{name: "unknown batch", query: recordShipment, vars: in(base, items(item(unknownID, 1, "HEAD"))), code: eNotFound, field: "items.0.batchID"},
		{name: "batch on hold", query: recordShipment, vars: in(base, items(item(held, 1, "HEAD"))), code: eState, field: "items.0.batchID"},
		{name: "unit of another dimension", query: recordShipment, vars: in(base, items(item(a1, 1, "KG"))), code: eUnit, field: "items.0.quantity"},
		{name: "zero quantity", query: recordShipment, vars: in(base, items(item(a1, 0, "HEAD"))), code: eQty, field: "items.0.quantity"},
		{name: "carrier is a lab", query: recordShipment, vars: in(base, kv{"carrierID": c.labOrg}), code: eBadInput, field: "carrierID"},
		{name: "carrier is a regulator", query: recordShipment, vars: in(base, kv{"carrierID": regulator}), code: eBadInput, field: "carrierID"},
		{name: "carrier suspended", query: recordShipment, vars: in(base, kv{"carrierID": suspended}), code: eState, field: "carrierID"},
		{name: "unknown carrier", query: recordShipment, vars: in(base, kv{"carrierID": unknownID}), code: eNotFound, field: "carrierID"},
		{name: "unknown origin", query: recordShipment, vars: in(base, kv{"fromFacilityID": unknownID}), code: eNotFound, field: "fromFacilityID"},
		{name: "unknown destination", query: recordShipment, vars: in(base, kv{"toFacilityID": unknownID}), code: eNotFound, field: "toFacilityID"},
		{name: "departure before production", query: recordShipment, vars: in(base, kv{"departedAt": day(-1)}), code: eTime, field: "departedAt"},
		{name: "departure in the future", query: recordShipment, vars: in(base, kv{"departedAt": future()}), code: eTime, field: "departedAt"},
		{name: "vehicle plate of 17 characters", query: recordShipment, vars: in(base, kv{"vehiclePlate": plateOf17}), code: eBadInput, field: "vehiclePlate"},
		{name: "reference of 65 characters", query: recordShipment, vars: in(base, kv{"referenceDoc": strings.Repeat("r", 65)}), code: eBadInput, field: "referenceDoc"},
	})
}

func validateDepartShipment(t *testing.T, a *api) {
	c := a.newChain()
	b := a.batch(c.pigs, c.farm, "D1", 10, "HEAD", day(0))
	inTransit := a.ship(c.carrierOrg, c.farm, c.plant, day(1), time.Time{}, item(b, 1, "HEAD"))
	delivered := a.ship(c.carrierOrg, c.farm, c.plant, day(1), day(1.1), item(b, 1, "HEAD"))
	var planned struct{ RecordShipment struct{ ID string } }
	a.must(&planned, recordShipment, kv{"in": kv{
		"carrierID": c.carrierOrg, "fromFacilityID": c.farm, "toFacilityID": c.plant,
		"items": []any{item(b, 8, "HEAD")},
	}})
	// The planned 8 head were available when planned; 1 more leaves now,
	// so only 7 remain when it would depart.
	a.ship(c.carrierOrg, c.farm, c.plant, day(1.5), time.Time{}, item(b, 1, "HEAD"))
	plannedID := planned.RecordShipment.ID
	depart := func(id string, at time.Time) kv { return kv{"id": id, "at": at} }
	a.refuse(t, []refusal{
		{name: "in transit", query: qDepart, vars: depart(inTransit, day(2)), code: eState, field: "id"},
		{name: "delivered", query: qDepart, vars: depart(delivered, day(2)), code: eState, field: "id"},
		{name: "unknown id", query: qDepart, vars: depart(unknownID, day(2)), code: eNotFound, field: "id"},
		{name: "in the future", query: qDepart, vars: depart(plannedID, future()), code: eTime, field: "departedAt"},
		{name: "before production", query: qDepart, vars: depart(plannedID, day(-1)), code: eTime, field: "departedAt"},
		{name: "more than is left", query: qDepart, vars: depart(plannedID, day(2)), code: eExceeds, field: "items.0.quantity",
			check: a.wantOnHand(b, c.farm, 7)},
	})
}

func validateRecordArrival(t *testing.T, a *api) {
	c := a.newChain()
	b := a.batch(c.pigs, c.farm, "R1", 10, "HEAD", day(0))
	inTransit := a.ship(c.carrierOrg, c.farm, c.plant, day(1), time.Time{}, item(b, 1, "HEAD"))
	delivered := a.ship(c.carrierOrg, c.farm, c.plant, day(1), day(1.1), item(b, 1, "HEAD"))
	var planned struct{ RecordShipment struct{ ID string } }
	a.must(&planned, recordShipment, kv{"in": kv{
		"carrierID": c.carrierOrg, "fromFacilityID": c.farm, "toFacilityID": c.plant,
		"items": []any{item(b, 1, "HEAD")},
	}})
	arrive := func(id string, at time.Time) kv { return kv{"id": id, "at": at, "ok": true} }
	a.refuse(t, []refusal{
		{name: "before departure", query: recordArrival, vars: arrive(inTransit, day(0.5)), code: eTime, field: "arrivedAt"},
		{name: "at departure", query: recordArrival, vars: arrive(inTransit, day(1)), code: eTime, field: "arrivedAt"},
		{name: "in the future", query: recordArrival, vars: arrive(inTransit, future()), code: eTime, field: "arrivedAt"},
		{name: "arriving twice", query: recordArrival, vars: arrive(delivered, day(2)), code: eState, field: "id"},
		{name: "rejected after delivery", query: recordArrival, vars: kv{"id": delivered, "at": day(2), "ok": false}, code: eState, field: "id"},
		{name: "planned, not departed", query: recordArrival, vars: arrive(planned.RecordShipment.ID, day(2)), code: eState, field: "id"},
		{name: "unknown id", query: recordArrival, vars: arrive(unknownID, day(2)), code: eNotFound, field: "id"},
	})

	t.Run("rejected goods return to the origin", func(t *testing.T) {
		defer a.bindTo(t)()
		atFarm, atPlant := a.onHand(b, c.farm), a.onHand(b, c.plant)
		s := a.ship(c.carrierOrg, c.farm, c.plant, day(2), time.Time{}, item(b, 3, "HEAD"))
		if got := a.onHand(b, c.farm); got != atFarm-3 {
			t.Fatalf("farm holds %g after departure, want %g", got, atFarm-3)
		}
		var out struct{ RecordArrival struct{ Status string } }
		a.must(&out, recordArrival, kv{"id": s, "at": day(2.2), "ok": false})
		if out.RecordArrival.Status != "REJECTED" {
			t.Errorf("status = %s, want REJECTED", out.RecordArrival.Status)
		}
		if got := a.onHand(b, c.farm); got != atFarm {
			t.Errorf("farm holds %g after rejection, want %g back", got, atFarm)
		}
		if got := a.onHand(b, c.plant); got != atPlant {
			t.Errorf("plant holds %g after rejecting, want %g unchanged", got, atPlant)
		}
	})
}

// ---------------------------------------------------------------------------
// Sensor readings.

func validateAddSensorReadings(t *testing.T, a *api) {
	c := a.newChain()
	b := a.batch(c.pigs, c.farm, "S1", 10, "HEAD", day(0))
	ship := a.ship(c.carrierOrg, c.farm, c.plant, day(1), time.Time{}, item(b, 1, "HEAD"))
	at := day(1.01)
	one := func(changes kv) []any { return []any{with(kv{"recordedAt": at, "temperature": 3.0}, changes)} }
	base := kv{"shipmentID": ship, "readings": sensorReadings(3, at)}
	badThird := sensorReadings(5, at)
	badThird[3] = with(badThird[3].(kv), kv{"temperature": 500.0})
	early := sensorReadings(3, at)
	early[2] = with(early[2].(kv), kv{"recordedAt": day(-0.1)})
	a.refuse(t, []refusal{
		{name: "shipment and facility", query: qReadings, vars: in(base, kv{"facilityID": c.plant}), code: eBadInput, field: "shipmentID"},
		{name: "neither shipment nor facility", query: qReadings, vars: in(base, kv{"shipmentID": omitted{}}), code: eBadInput, field: "shipmentID"},
		{name: "no readings", query: qReadings, vars: in(base, kv{"readings": []any{}}), code: eBadInput, field: "readings"},
		{name: "10,001 readings", query: qReadings, vars: in(base, kv{"readings": sensorReadings(10001, at)}), code: eBadInput, field: "readings"},
		{name: "500 °C", query: qReadings, vars: in(base, kv{"readings": one(kv{"temperature": 500.0})}), code: eBadInput, field: "readings.0.temperature"},
		{name: "-101 °C", query: qReadings, vars: in(base, kv{"readings": one(kv{"temperature": -101.0})}), code: eBadInput, field: "readings.0.temperature"},
		{name: "500 °F", query: qReadings, vars: in(base, kv{"readings": one(kv{"temperature": 500.0, "temperatureUnit": "F"})}), code: eBadInput, field: "readings.0.temperature"},
		{name: "0 K", query: qReadings, vars: in(base, kv{"readings": one(kv{"temperature": 0.0, "temperatureUnit": "K"})}), code: eBadInput, field: "readings.0.temperature"},
		{name: "unknown temperature unit", query: qReadings, vars: in(base, kv{"readings": one(kv{"temperatureUnit": "R"})}), code: eGraphQL},
		{name: "humidity 120", query: qReadings, vars: in(base, kv{"readings": one(kv{"humidity": 120.0})}), code: eBadInput, field: "readings.0.humidity"},
		{name: "humidity -1", query: qReadings, vars: in(base, kv{"readings": one(kv{"humidity": -1.0})}), code: eBadInput, field: "readings.0.humidity"},
		{name: "latitude 91", query: qReadings, vars: in(base, kv{"readings": one(kv{"latitude": 91.0})}), code: eBadInput, field: "readings.0.latitude"},
		{name: "longitude 181", query: qReadings, vars: in(base, kv{"readings": one(kv{"longitude": 181.0})}), code: eBadInput, field: "readings.0.longitude"},
		{name: "bad reading 3 of 5", query: qReadings, vars: in(base, kv{"readings": badThird}), code: eBadInput, field: "readings.3.temperature"},
		{name: "reading in the future", query: qReadings, vars: in(base, kv{"readings": one(kv{"recordedAt": future()})}), code: eTime, field: "readings.0.recordedAt"},
		{name: "reading a day before departure", query: qReadings, vars: in(base, kv{"readings": early}), code: eTime, field: "readings.2.recordedAt"},
		{name: "unknown shipment", query: qReadings, vars: in(base, kv{"shipmentID": unknownID}), code: eNotFound, field: "shipmentID"},
		{name: "unknown facility", query: qReadings, vars: in(base, kv{"shipmentID": omitted{}, "facilityID": unknownID}), code: eNotFound, field: "facilityID"},
	})

	t.Run("5,000 readings are stored", func(t *testing.T) {
		defer a.bindTo(t)()
		before := a.count("sensor_readings")
		var out struct{ AddSensorReadings struct{ Count int } }
		a.must(&out, qReadings, in(base, kv{"readings": sensorReadings(5000, at)}))
		if out.AddSensorReadings.Count != 5000 {
			t.Errorf("count = %d, want 5000", out.AddSensorReadings.Count)
		}
		if got := a.count("sensor_readings") - before; got != 5000 {
			t.Errorf("%d rows stored, want 5000", got)
		}
	})
}

// ---------------------------------------------------------------------------
// Shelves.

// shelfChain is a chain whose store holds 50 kg of pork batch K1 (produced
// on day 1, delivered on day 2.1) and whose plant holds the other 50 kg.
func (a *api) shelfChain() (chain, string) {
	a.t.Helper()
	c := a.newChain()
	k := a.batch(c.pork, c.plant, "K1", 100, "KG", day(1))
	a.ship(c.carrierOrg, c.plant, c.store, day(2), day(2.1), item(k, 50, "KG"))
	return c, k
}

func validateShelveBatch(t *testing.T, a *api) {
	c, k := a.shelfChain()
	market := a.facility(c.shopOrg, "MARKET") // holds nothing
	held := a.batch(c.pork, c.plant, "HELD", 10, "KG", day(1))
	a.ship(c.carrierOrg, c.plant, c.store, day(2), day(2.1), item(held, 10, "KG"))
	a.hold(held)
	closed := a.org("RETAILER")
	closedStore := a.facility(closed, "STORE")
	a.suspend(closed)

	base := kv{"facilityID": c.store, "batchID": k, "quantity": 10.0, "unit": "KG", "shelvedAt": day(3)}
	atStore := a.wantOnHand(k, c.store, 50)
	a.refuse(t, []refusal{
		{name: "facility is a slaughterhouse", query: shelveBatch, vars: in(base, kv{"facilityID": c.plant}), code: eBadInput, field: "facilityID"},
		{name: "facility is a farm", query: shelveBatch, vars: in(base, kv{"facilityID": c.farm}), code: eBadInput, field: "facilityID"},
		{name: "store of a suspended retailer", query: shelveBatch, vars: in(base, kv{"facilityID": closedStore}), code: eState, field: "facilityID"},
		{name: "more than the store holds", query: shelveBatch, vars: in(base, kv{"quantity": 51.0}), code: eExceeds, field: "quantity", check: atStore},
		{name: "more than the store holds, in grams", query: shelveBatch, vars: in(base, kv{"quantity": 50001.0, "unit": "G"}), code: eExceeds, field: "quantity", check: atStore},
		{name: "market that holds none", query: shelveBatch, vars: in(base, kv{"facilityID": market}), code: eExceeds, field: "quantity"},
		{name: "shelved before production", query: shelveBatch, vars: in(base, kv{"shelvedAt": day(0.5)}), code: eTime, field: "shelvedAt"},
		{name: "shelved in the future", query: shelveBatch, vars: in(base, kv{"shelvedAt": future()}), code: eTime, field: "shelvedAt"},
		{name: "zero quantity", query: shelveBatch, vars: in(base, kv{"quantity": 0.0}), code: eQty, field: "quantity"},
		{name: "huge quantity", query: shelveBatch, vars: in(base, kv{"quantity": 1e13}), code: eQty, field: "quantity"},
		{name: "unit of another dimension", query: shelveBatch, vars: in(base, kv{"unit": "PIECE"}), code: eUnit, field: "quantity"},
		{name: "batch on hold", query: shelveBatch, vars: in(base, kv{"batchID": held}), code: eState, field: "batchID"},
		{name: "unknown batch", query: shelveBatch, vars: in(base, kv{"batchID": unknownID}), code: eNotFound, field: "batchID"},
		{name: "unknown facility", query: shelveBatch, vars: in(base, kv{"facilityID": unknownID}), code: eNotFound, field: "facilityID"},
	})
}

func validateRemoveFromShelf(t *testing.T, a *api) {
	c, k := a.shelfChain()
	var ev struct{ ShelveBatch struct{ ID string } }
	a.must(&ev, shelveBatch, kv{"in": kv{"facilityID": c.store, "batchID": k, "quantity": 10.0, "unit": "KG", "shelvedAt": day(3)}})
	id := ev.ShelveBatch.ID
	remove := func(id string, at time.Time, reason string) kv { return kv{"id": id, "at": at, "reason": reason} }
	a.refuse(t, []refusal{
		{name: "removed before shelved", query: qRemoveFromShelf, vars: remove(id, day(2.9), "SOLD_OUT"), code: eTime, field: "removedAt"},
		{name: "removed in the future", query: qRemoveFromShelf, vars: remove(id, future(), "SOLD_OUT"), code: eTime, field: "removedAt"},
		{name: "unknown reason", query: qRemoveFromShelf, vars: remove(id, day(4), "STOLEN"), code: eGraphQL},
		{name: "unknown id", query: qRemoveFromShelf, vars: remove(unknownID, day(4), "SOLD_OUT"), code: eNotFound, field: "id"},
	})
	t.Run("remove", func(t *testing.T) {
		defer a.bindTo(t)()
		a.must(nil, qRemoveFromShelf, remove(id, day(4), "SOLD_OUT"))
	})
	a.refuse(t, []refusal{
		{name: "removed twice", query: qRemoveFromShelf, vars: remove(id, day(5), "EXPIRED"), code: eState, field: "id"},
	})
}

// ---------------------------------------------------------------------------
// Inspections and trace codes.

func validateRecordInspection(t *testing.T, a *api) {
	c, k := a.shelfChain()
	closedLab := a.org("LAB")
	a.suspend(closedLab)
	m := func(changes kv) kv {
		return with(kv{"name": "TVB-N", "value": 9.8, "unit": "mg/100g", "limitMax": 15.0}, changes)
	}
	base := kv{"batchID": k, "labID": c.labOrg, "inspectedAt": day(1.5), "result": "PASS", "measurements": []any{m(nil)}}
	many := make([]any, 201)
	for i := range many {
		many[i] = m(nil)
	}
	a.refuse(t, []refusal{
		{name: "lab is a producer", query: qInspection, vars: in(base, kv{"labID": c.farmOrg}), code: eBadInput, field: "labID"},
		{name: "lab is a carrier", query: qInspection, vars: in(base, kv{"labID": c.carrierOrg}), code: eBadInput, field: "labID"},
		{name: "lab suspended", query: qInspection, vars: in(base, kv{"labID": closedLab}), code: eState, field: "labID"},
		{name: "unknown lab", query: qInspection, vars: in(base, kv{"labID": unknownID}), code: eNotFound, field: "labID"},
		{name: "unknown batch", query: qInspection, vars: in(base, kv{"batchID": unknownID}), code: eNotFound, field: "batchID"},
		{name: "unknown result", query: qInspection, vars: in(base, kv{"result": "MAYBE"}), code: eGraphQL},
		{name: "inspected before production", query: qInspection, vars: in(base, kv{"inspectedAt": day(0.5)}), code: eTime, field: "inspectedAt"},
		{name: "inspected in the future", query: qInspection, vars: in(base, kv{"inspectedAt": future()}), code: eTime, field: "inspectedAt"},
		{name: "limitMin above limitMax", query: qInspection, vars: in(base, kv{"measurements": []any{m(kv{"limitMin": 20.0})}}), code: eBadInput, field: "measurements.0.limitMin"},
		{name: "empty measurement name", query: qInspection, vars: in(base, kv{"measurements": []any{m(kv{"name": ""})}}), code: eBadInput, field: "measurements.0.name"},
		{name: "blank second measurement name", query: qInspection, vars: in(base, kv{"measurements": []any{m(nil), m(kv{"name": "  "})}}), code: eBadInput, field: "measurements.1.name"},
		{name: "measurement name of 65 characters", query: qInspection, vars: in(base, kv{"measurements": []any{m(kv{"name": strings.Repeat("x", 65)})}}), code: eBadInput, field: "measurements.0.name"},
		{name: "measurement unit of 17 characters", query: qInspection, vars: in(base, kv{"measurements": []any{m(kv{"unit": strings.Repeat("u", 17)})}}), code: eBadInput, field: "measurements.0.unit"},
		{name: "201 measurements", query: qInspection, vars: in(base, kv{"measurements": many}), code: eBadInput, field: "measurements"},
		{name: "certificate of 65 characters", query: qInspection, vars: in(base, kv{"certificateNo": strings.Repeat("c", 65)}), code: eBadInput, field: "certificateNo"},
		{name: "notes of 2001 characters", query: qInspection, vars: in(base, kv{"notes": strings.Repeat("n", 2001)}), code: eBadInput, field: "notes"},
	})
}

func validateIssueTraceCodes(t *testing.T, a *api) {
	c := a.newChain()
	b := a.batch(c.pigs, c.farm, "T1", 10, "HEAD", day(0))
	base := kv{"batchID": b, "count": 1, "serialized": true}
	a.refuse(t, []refusal{
		{name: "count 0", query: qTraceCodes, vars: in(base, kv{"count": 0}), code: eBadInput, field: "count"},
		{name: "count -1", query: qTraceCodes, vars: in(base, kv{"count": -1}), code: eBadInput, field: "count"},
		{name: "count 1001", query: qTraceCodes, vars: in(base, kv{"count": 1001}), code: eBadInput, field: "count"},
		{name: "unknown batch", query: qTraceCodes, vars: in(base, kv{"batchID": unknownID}), code: eNotFound, field: "batchID"},
	})
}

// ---------------------------------------------------------------------------
// Scalars and GraphQL-level input errors: malformed values must come back as
// registry codes naming the argument, never as INTERNAL.

func validateScalars(t *testing.T, a *api) {
	c := a.newChain()
	b := a.batch(c.pigs, c.farm, "X1", 10, "HEAD", day(0))
	s := a.ship(c.carrierOrg, c.farm, c.plant, day(1), time.Time{}, item(b, 1, "HEAD"))
	base := kv{"productID": c.pigs, "facilityID": c.farm, "lotCode": "X2", "producedAt": day(1), "quantity": 1.0, "unit": "HEAD"}
	raw := func(quantity string) string {
		return fmt.Sprintf(`{"query": %q, "variables": {"in": {"productID": %q, "facilityID": %q, "lotCode": "X3", "producedAt": "2026-03-02T08:00:00Z", "quantity": %s, "unit": "HEAD"}}}`,
			createBatch, c.pigs, c.farm, quantity)
	}
	a.refuse(t, []refusal{
		{name: "time in words", query: createBatch, vars: in(base, kv{"producedAt": "yesterday"}), code: eBadInput, field: "producedAt"},
		{name: "time without zone", query: createBatch, vars: in(base, kv{"producedAt": "2026-03-02T08:00:00"}), code: eBadInput, field: "producedAt"},
		{name: "time with month 13", query: recordArrival, vars: kv{"id": s, "at": "2026-13-01T08:00:00Z", "ok": true}, code: eBadInput, field: "arrivedAt"},
		{name: "time as a number", query: qDepart, vars: kv{"id": s, "at": 1772352000}, code: eBadInput, field: "departedAt"},
		{name: "optional time malformed", query: createBatch, vars: in(base, kv{"expiresAt": "next week"}), code: eBadInput, field: "expiresAt"},
		{name: "time literal malformed", query: `mutation { departShipment(id: "` + s + `", departedAt: "soon") { id } }`, code: eBadInput, field: "departedAt"},
		{name: "id not a number", query: qDepart, vars: kv{"id": "abc", "at": day(2)}, code: eBadInput, field: "id"},
		{name: "id too large", query: qDepart, vars: kv{"id": "99999999999999999999", "at": day(2)}, code: eBadInput, field: "id"},
		{name: "id with a fraction", query: qDepart, vars: kv{"id": "1.5", "at": day(2)}, code: eBadInput, field: "id"},
		{name: "input id not a number", query: createBatch, vars: in(base, kv{"productID": "pigs"}), code: eBadInput, field: "productID"},
		{name: "nested id not a number", query: createBatch, vars: in(base, kv{"inputs": []any{item("first", 1, "HEAD")}}), code: eBadInput, field: "inputs.0.batchID"},
		{name: "id literal not a number", query: `mutation { departShipment(id: "abc", departedAt: "2026-03-03T08:00:00Z") { id } }`, code: eBadInput, field: "id"},
		{name: "float as a string", query: createBatch, vars: in(base, kv{"quantity": "ten"}), code: eGraphQL},
		{name: "float out of range", raw: raw("1e400"), code: eGraphQL},
		// gqlgen reads Int into Go's int, wider than GraphQL's 32 bits, so
		// 2^40 reaches the operation, which refuses it.
		{name: "int of 2^40", query: qTraceCodes, vars: kv{"in": kv{"batchID": b, "count": 1 << 40}}, code: eBadInput, field: "count"},
		{name: "int beyond int64", raw: fmt.Sprintf(`{"query": %q, "variables": {"in": {"batchID": %q, "count": 100000000000000000000}}}`, qTraceCodes, b), code: eGraphQL},
		{name: "int with a fraction", query: qTraceCodes, vars: kv{"in": kv{"batchID": b, "count": 1.5}}, code: eGraphQL},
		{name: "missing required field", query: createBatch, vars: in(base, kv{"lotCode": omitted{}}), code: eGraphQL},
		{name: "null for a required field", query: createBatch, vars: in(base, kv{"quantity": nil}), code: eGraphQL},
	})
}

// validateCharacterLimits checks the upper bounds of free text: a value at
// the limit is accepted (the refusals one past it are in the groups above).
// The limits are documented in characters; Chinese text is three bytes a
// character in UTF-8.
func validateCharacterLimits(t *testing.T, a *api) {
	c := a.newChain()
	b := a.batch(c.pigs, c.farm, "CL1", 10, "HEAD", day(0))
	org := func(name string) kv {
		return kv{"in": kv{"name": name, "kind": "CARRIER", "creditCode": creditCode(t, a.next()), "regionCode": "511802"}}
	}
	facility := func(address string) kv {
		return kv{"in": kv{"organizationID": c.farmOrg, "kind": "FARM", "name": "Farm", "regionCode": "511802", "address": address}}
	}
	product := func(description string) kv {
		return kv{"in": kv{"organizationID": c.farmOrg, "name": "Pigs", "category": "MEAT", "unit": "HEAD", "description": description}}
	}
	inspection := func(cert, notes, measurement string) kv {
		return kv{"in": kv{"batchID": b, "labID": c.labOrg, "inspectedAt": day(1), "result": "PASS", "certificateNo": cert, "notes": notes,
			"measurements": []any{kv{"name": measurement, "value": 1.0}}}}
	}
	shipment := func(plate string) kv {
		return kv{"in": kv{"carrierID": c.carrierOrg, "fromFacilityID": c.farm, "toFacilityID": c.plant, "vehiclePlate": plate, "items": []any{item(b, 1, "HEAD")}}}
	}
	for _, ok := range []struct {
		name  string
		query string
		vars  kv
	}{
		{"name of 200 characters", createOrg, org(strings.Repeat("n", 200))},
		{"address of 500 characters", createFacility, facility(strings.Repeat("a", 500))},
		{"description of 2000 characters", createProduct, product(strings.Repeat("d", 2000))},
		{"certificate, notes and measurement name at their limits", qInspection, inspection(strings.Repeat("c", 64), strings.Repeat("n", 2000), strings.Repeat("m", 64))},
		{"vehicle plate of 16 characters", recordShipment, shipment(strings.Repeat("P", 16))},
		{"name of 66 Chinese characters", createOrg, org(strings.Repeat("雅", 66))},

		// Limits count characters, not bytes: Chinese text fills them too.
		{"name of 100 Chinese characters", createOrg, org(strings.Repeat("雅", 100))},
		{"address of 200 Chinese characters", createFacility, facility(strings.Repeat("雅", 200))},
		{"description of 1000 Chinese characters", createProduct, product(strings.Repeat("雅", 1000))},
		{"Chinese certificate, notes and measurement name", qInspection, inspection(strings.Repeat("证", 30), strings.Repeat("注", 1000), strings.Repeat("氮", 30))},
		{"vehicle plate of 15 characters with a Chinese one", recordShipment, shipment("川T1234567890123")},
	} {
		t.Run(ok.name, func(t *testing.T) {
			defer a.bindTo(t)()
			a.must(nil, ok.query, ok.vars)
		})
	}
}
