package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"suyuan/ent/organization"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

const loginMutation = `mutation($p: String!, $pw: String!) { login(phone: $p, password: $pw) {
  accessToken refreshToken accessTokenExpiresAt user { id role } } }`
const refreshMutation = `mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }`

type tokens struct {
	AccessToken, RefreshToken string
}

func (a *api) loginFull(phone string) tokens {
	a.t.Helper()
	var out struct{ Login tokens }
	a.as("").must(&out, loginMutation, map[string]any{"p": phone, "pw": testPassword})
	return out.Login
}

// orgID creates an organisation through the API and returns its id as an
// int, for direct database fixtures.
func (a *api) orgID(kind string) (string, int) {
	id := a.org(kind)
	var n int
	fmt.Sscan(id, &n)
	return id, n
}

func TestLoginAndTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		_, org := a.orgID("PRODUCER")
		phone := a.account(org, "STAFF")
		anon := a.as("")

		t.Run("wrong password and unknown phone answer alike", func(t *testing.T) {
			e1 := anon.fails("UNAUTHENTICATED", "", loginMutation, map[string]any{"p": phone, "pw": "wrong password!"})
			e2 := anon.fails("UNAUTHENTICATED", "", loginMutation, map[string]any{"p": "13700000000", "pw": testPassword})
			if e1.Message != e2.Message {
				t.Errorf("messages differ: %q and %q", e1.Message, e2.Message)
			}
		})
		t.Run("access token and rotation", func(t *testing.T) {
			tk := a.loginFull(phone)
			var me struct{ Me struct{ Phone, Role string } }
			a.as(tk.AccessToken).must(&me, `{ me { phone role } }`, nil)
			if me.Me.Phone != phone || me.Me.Role != "STAFF" {
				t.Errorf("me = %+v", me.Me)
			}
			var next struct{ RefreshToken tokens }
			anon.must(&next, refreshMutation, map[string]any{"t": tk.RefreshToken})
			if next.RefreshToken.RefreshToken == tk.RefreshToken || next.RefreshToken.AccessToken == "" {
				t.Fatalf("refresh did not rotate: %+v", next)
			}
			// Presenting the spent token again is reuse: refused, and the
			// family — the new refresh token too — is revoked.
			anon.fails("UNAUTHENTICATED", "", refreshMutation, map[string]any{"t": tk.RefreshToken})
			anon.fails("UNAUTHENTICATED", "", refreshMutation, map[string]any{"t": next.RefreshToken.RefreshToken})
		})
		t.Run("logout", func(t *testing.T) {
			tk := a.loginFull(phone)
			anon.must(nil, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": tk.RefreshToken})
			anon.fails("UNAUTHENTICATED", "", refreshMutation, map[string]any{"t": tk.RefreshToken})
		})
		t.Run("password change ends sessions", func(t *testing.T) {
			tk := a.loginFull(phone)
			other := a.loginFull(phone)
			a.as(tk.AccessToken).must(nil, `mutation { changePassword(oldPassword: "correct horse battery", newPassword: "a new long password") }`, nil)
			anon.fails("UNAUTHENTICATED", "", refreshMutation, map[string]any{"t": other.RefreshToken})
			anon.fails("UNAUTHENTICATED", "", loginMutation, map[string]any{"p": phone, "pw": testPassword})
			anon.must(nil, loginMutation, map[string]any{"p": phone, "pw": "a new long password"})
		})
		t.Run("bad tokens", func(t *testing.T) {
			for _, tok := range []string{"garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", a.token[:len(a.token)-2] + "xx"} {
				res := a.as(tok).do(`{ me { id } }`, nil)
				if res.Status != http.StatusUnauthorized || res.Errors[0].Extensions.Code != "UNAUTHENTICATED" {
					t.Errorf("token %.20q answered %d %s", tok, res.Status, res.Raw)
				}
			}
		})
		t.Run("deactivation", func(t *testing.T) {
			p2 := a.account(org, "STAFF")
			tk := a.loginFull(p2)
			var u struct{ Me struct{ ID string } }
			a.as(tk.AccessToken).must(&u, `{ me { id } }`, nil)
			a.must(nil, `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, map[string]any{"id": u.Me.ID})
			anon.fails("UNAUTHENTICATED", "", loginMutation, map[string]any{"p": p2, "pw": testPassword})
			anon.fails("UNAUTHENTICATED", "", refreshMutation, map[string]any{"t": tk.RefreshToken})
		})
	})
}

// TestConcurrentRefresh fires refreshes with one token at once: exactly
// one succeeds.
func TestConcurrentRefresh(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		_, org := a.orgID("CARRIER")
		tk := a.loginFull(a.account(org, "STAFF"))
		const n = 8
		var wg sync.WaitGroup
		results := make([]response, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = a.as("").do(refreshMutation, map[string]any{"t": tk.RefreshToken})
			}()
		}
		wg.Wait()
		ok := 0
		for _, r := range results {
			switch {
			case len(r.Errors) == 0:
				ok++
			case r.Errors[0].Extensions.Code != "UNAUTHENTICATED":
				t.Errorf("unexpected answer %s", r.Raw)
			}
		}
		if ok != 1 {
			t.Errorf("%d of %d concurrent refreshes succeeded; want exactly 1", ok, n)
		}
	})
}

// tenants is two producers with their own chains, a carrier, a retailer
// and regulators in and out of the region, each with a logged-in user.
type tenants struct {
	p                                    pork // tenant A's chain (built by the admin)
	bOrg, bFacility, bProduct, bBatch    string
	aStaff, bStaff, carrier, retailer    *api
	regulator, farRegulator, anonymous   *api
	aOrgID, bOrgID, carrierID, shopOrgID int
}

func (a *api) tenants() tenants {
	a.t.Helper()
	var tn tenants
	tn.p = a.porkChain()
	fmt.Sscan(tn.p.plantOrg, &tn.aOrgID)
	fmt.Sscan(tn.p.carrierOrg, &tn.carrierID)
	fmt.Sscan(tn.p.shopOrg, &tn.shopOrgID)
	tn.bOrg, tn.bOrgID = a.orgID("PROCESSOR")
	tn.bFacility = a.facility(tn.bOrg, "FACTORY")
	tn.bProduct = a.product(tn.bOrg, "B's sausage", "KG")
	tn.bBatch = a.batch(tn.bProduct, tn.bFacility, "B-LOT-1", 50, "KG", day(0))
	tn.aStaff = a.as(a.login(a.account(tn.aOrgID, "ORG_ADMIN")))
	tn.bStaff = a.as(a.login(a.account(tn.bOrgID, "STAFF")))
	tn.carrier = a.as(a.login(a.account(tn.carrierID, "STAFF")))
	tn.retailer = a.as(a.login(a.account(tn.shopOrgID, "STAFF")))
	ctx := tenancy.System(context.Background())
	mk := func(name, region string) int {
		*a.seq++
		o, err := a.db.Client.Organization.Create().SetName(name).SetKind(organization.KindREGULATOR).
			SetCreditCode(creditCode(a.t, 8000000+*a.seq)).SetRegionCode(region).Save(ctx)
		if err != nil {
			a.t.Fatal(err)
		}
		return o.ID
	}
	tn.regulator = a.as(a.login(a.account(mk("Ya'an bureau", "511800"), "REGULATOR")))
	tn.farRegulator = a.as(a.login(a.account(mk("Chengdu bureau", "510100"), "REGULATOR")))
	tn.anonymous = a.as("")
	return tn
}

func TestTenancy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		const nodeQ = `query($id: ID!) { node(id: $id) { id } }`

		t.Run("another tenant's row reads as missing", func(t *testing.T) {
			missing := tn.aStaff.fails("NOT_FOUND", "", nodeQ, map[string]any{"id": 999999999})
			hidden := tn.aStaff.fails("NOT_FOUND", "", nodeQ, map[string]any{"id": tn.bBatch})
			if missing.Message != hidden.Message {
				t.Errorf("a hidden row answers %q, a missing one %q", hidden.Message, missing.Message)
			}
			for _, id := range []string{tn.bFacility, tn.bProduct, tn.bOrg} {
				tn.aStaff.fails("NOT_FOUND", "", nodeQ, map[string]any{"id": id})
			}
			r := tn.aStaff.do(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{tn.p.loin, tn.bBatch}})
			if !strings.Contains(string(r.Data), tn.p.loin) || strings.Contains(string(r.Data), tn.bBatch) {
				t.Errorf("nodes answered %s", r.Raw)
			}
		})
		t.Run("connections and filters", func(t *testing.T) {
			count := func(c *api, q string) int {
				var out map[string]struct{ TotalCount int }
				c.must(&out, q, nil)
				for _, v := range out {
					return v.TotalCount
				}
				return -1
			}
			for _, tc := range []struct {
				name  string
				who   *api
				query string
				want  int
			}{
				{"A's batches", tn.aStaff, `{ batches { totalCount } }`, 4},
				{"B's batches", tn.bStaff, `{ batches { totalCount } }`, 1},
				{"A filtering for B's lot", tn.aStaff, `{ batches(where: {lotCode: "B-LOT-1"}) { totalCount } }`, 0},
				{"A through hasProducerWith", tn.aStaff, `{ organizations(where: {hasBatchesWith: {lotCode: "B-LOT-1"}}) { totalCount } }`, 0},
				// Its own, and the farm, carrier, shop and laboratory it
				// dealt with; not B.
				{"A's organisations", tn.aStaff, `{ organizations { totalCount } }`, 5},
				{"carrier sees the batches it carried", tn.carrier, `{ batches { totalCount } }`, 2},
				{"carrier sees its shipments", tn.carrier, `{ shipments { totalCount } }`, 3},
				{"retailer sees what it received", tn.retailer, `{ batches { totalCount } }`, 1},
				{"regulator sees its region", tn.regulator, `{ batches { totalCount } }`, 5},
				{"far regulator sees nothing here", tn.farRegulator, `{ batches { totalCount } }`, 0},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if got := count(tc.who, tc.query); got != tc.want {
						t.Errorf("%s = %d, want %d", tc.query, got, tc.want)
					}
				})
			}
		})
		t.Run("nested edges are filtered too", func(t *testing.T) {
			var out struct {
				Batches struct {
					Edges []struct {
						Node struct {
							LotCode string
							UsedIn  struct{ TotalCount int }
						}
					}
				}
			}
			tn.retailer.must(&out, `{ batches { edges { node { lotCode usedIn { totalCount } } } } }`, nil)
			if len(out.Batches.Edges) != 1 || out.Batches.Edges[0].Node.LotCode != "LOIN-1" {
				t.Errorf("retailer's batches = %+v", out)
			}
		})
		t.Run("lineage and recall", func(t *testing.T) {
			tn.aStaff.fails("NOT_FOUND", "batchID", lineageQuery, map[string]any{"id": tn.bBatch, "dir": "UPSTREAM"})
			tn.aStaff.fails("NOT_FOUND", "batchID", impactQuery, map[string]any{"id": tn.bBatch})
			tn.carrier.fails("NOT_FOUND", "batchID", impactQuery, map[string]any{"id": tn.p.loin})
			tn.aStaff.must(nil, impactQuery, map[string]any{"id": tn.p.loin})
			tn.regulator.must(nil, impactQuery, map[string]any{"id": tn.p.loin})
			tn.farRegulator.fails("NOT_FOUND", "batchID", impactQuery, map[string]any{"id": tn.p.loin})
			// The retailer sees the loin but not the farm's pigs upstream.
			var l lineageResult
			tn.retailer.must(&l, lineageQuery, map[string]any{"id": tn.p.loin, "dir": "UPSTREAM"})
			if len(l.Lineage.Nodes) != 0 {
				t.Errorf("retailer sees upstream %v", l.depths())
			}
		})
		t.Run("writes to another tenant are forbidden", func(t *testing.T) {
			tn.aStaff.fails("FORBIDDEN", "facilityID", createBatch, map[string]any{"in": map[string]any{
				"productID": tn.bProduct, "facilityID": tn.bFacility, "lotCode": "X-1", "producedAt": day(0), "quantity": 1, "unit": "KG"}})
			tn.aStaff.fails("FORBIDDEN", "id", `mutation($id: ID!) { updateFacility(id: $id, input: {name: "Mine"}) { id } }`, map[string]any{"id": tn.bFacility})
			tn.aStaff.fails("FORBIDDEN", "organizationID", createFacility, map[string]any{"in": map[string]any{
				"organizationID": tn.bOrg, "kind": "STORE", "name": "X", "regionCode": "511802"}})
			tn.bStaff.fails("FORBIDDEN", "facilityID", shelveBatch, map[string]any{"in": map[string]any{
				"facilityID": tn.p.store, "batchID": tn.p.loin, "quantity": 1, "unit": "KG", "shelvedAt": day(4)}})
			tn.regulator.fails("FORBIDDEN", "facilityID", createBatch, map[string]any{"in": map[string]any{
				"productID": tn.bProduct, "facilityID": tn.bFacility, "lotCode": "X-2", "producedAt": day(0), "quantity": 1, "unit": "KG"}})
			tn.aStaff.fails("FORBIDDEN", "", createOrg, map[string]any{"in": map[string]any{"name": "X", "kind": "CARRIER",
				"creditCode": creditCode(t, 7777777), "regionCode": "511802"}})
			// The retailer may shelve what it received.
			tn.retailer.must(nil, shelveBatch, map[string]any{"in": map[string]any{
				"facilityID": tn.p.store, "batchID": tn.p.loin, "quantity": 1, "unit": "KG", "shelvedAt": day(4)}})
		})
		t.Run("anonymous callers", func(t *testing.T) {
			tn.anonymous.fails("UNAUTHENTICATED", "", `{ batches { totalCount } }`, nil)
			tn.anonymous.fails("UNAUTHENTICATED", "", createBatch, map[string]any{"in": map[string]any{
				"productID": tn.bProduct, "facilityID": tn.bFacility, "lotCode": "X-3", "producedAt": day(0), "quantity": 1, "unit": "KG"}})
			var tr traceResult
			tn.anonymous.must(&tr, traceQuery, map[string]any{"code": tn.p.code})
			if tr.Trace == nil || tr.Trace.Batch.LotCode != "LOIN-1" {
				t.Errorf("public trace = %+v", tr.Trace)
			}
		})
		t.Run("API keys", func(t *testing.T) {
			var k struct {
				CreateAPIKey struct {
					Key    struct{ ID, Prefix string }
					Secret string
				}
			}
			tn.aStaff.must(&k, `mutation($org: ID!) { createAPIKey(organizationID: $org, name: "ERP") { key { id prefix } secret } }`, map[string]any{"org": tn.p.plantOrg})
			tn.bStaff.fails("FORBIDDEN", "organizationID", `mutation($org: ID!) { createAPIKey(organizationID: $org, name: "x") { secret } }`, map[string]any{"org": tn.p.plantOrg})
			key := k.CreateAPIKey.Secret
			withKey := func(q string, vars map[string]any) response {
				body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
				req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-Key", key)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				return decode(t, res)
			}
			if r := withKey(`{ batches { totalCount } }`, nil); len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"totalCount":4`) {
				t.Errorf("key read answered %s", r.Raw)
			}
			if r := withKey(createBatch, map[string]any{"in": map[string]any{"productID": tn.p.chain.pork, "facilityID": tn.p.plant,
				"lotCode": "K-1", "producedAt": day(0), "quantity": 1, "unit": "KG"}}); len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "FORBIDDEN" {
				t.Errorf("a read-only key recorded: %s", r.Raw)
			}
			tn.aStaff.must(nil, `mutation($id: ID!) { revokeAPIKey(id: $id) { revokedAt } }`, map[string]any{"id": k.CreateAPIKey.Key.ID})
			if r := withKey(`{ batches { totalCount } }`, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("a revoked key answered %d %s", r.Status, r.Raw)
			}
			var stored int
			if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM api_keys WHERE key_hash LIKE ?`, "%"+key+"%").Scan(&stored); err != nil || stored != 0 {
				t.Errorf("the key is stored in clear (%d, %v)", stored, err)
			}
		})
		t.Run("audit trail", func(t *testing.T) {
			res := tn.aStaff.do(createBatch, map[string]any{"in": map[string]any{"productID": tn.p.chain.pork, "facilityID": tn.p.plant,
				"lotCode": "AUDIT-1", "producedAt": day(0), "quantity": 2, "unit": "KG"}})
			if len(res.Errors) != 0 {
				t.Fatal(res.Raw)
			}
			var out struct {
				AuditEntries struct {
					Edges []struct {
						Node struct {
							Operation, Entity, RequestID string
							ActorUserID                  int
							OrganizationID               string
							Fields                       []string
						}
					}
				}
			}
			a.must(&out, `{ auditEntries(last: 1, orderBy: {field: AT}) { edges { node { operation entity requestID actorUserID organizationID fields } } } }`, nil)
			e := out.AuditEntries.Edges
			if len(e) != 1 || e[0].Node.Operation != "createBatch" || e[0].Node.OrganizationID != tn.p.plantOrg ||
				e[0].Node.ActorUserID == 0 || e[0].Node.RequestID == "" || len(e[0].Node.Fields) < 5 {
				t.Errorf("last audit entry = %+v", e)
			}
			tn.aStaff.fails("FORBIDDEN", "", `{ auditEntries { totalCount } }`, nil)
			tn.regulator.must(nil, `{ auditEntries { totalCount } }`, nil)
			var n int
			if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM audit_entries`).Scan(&n); err != nil || n < 20 {
				t.Errorf("%d audit entries after the fixtures' mutations (%v)", n, err)
			}
		})
	})
}

// TestSecretsStayOutOfLogs logs in, refreshes and uses a key with logging
// at debug level and checks no password or token reaches the log.
func TestSecretsStayOutOfLogs(t *testing.T) {
	var buf bytes.Buffer
	db := testdb.SQLite(t)
	a := newAPI(t, db, server.Config{Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	_, org := a.orgID("PRODUCER")
	phone := a.account(org, "ORG_ADMIN")
	tk := a.loginFull(phone)
	var next struct{ RefreshToken tokens }
	a.as("").must(&next, refreshMutation, map[string]any{"t": tk.RefreshToken})
	a.as("").fails("UNAUTHENTICATED", "", loginMutation, map[string]any{"p": phone, "pw": "not the password"})
	logs := buf.String()
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Fatalf("nothing was logged: %q", logs)
	}
	for _, secret := range []string{testPassword, "not the password", tk.AccessToken, tk.RefreshToken, next.RefreshToken.RefreshToken, a.token} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains a secret (%.12s…)", secret)
		}
	}
}

// TestOWASPGraphQL tries each attack of the OWASP GraphQL cheat sheet
// that the other tests do not already cover (huge pages, oversized bodies,
// introspection in production and verbose errors are in limits_test.go;
// IDOR through node in TestTenancy).
func TestOWASPGraphQL(t *testing.T) {
	db := testdb.SQLite(t)
	a := newAPI(t, db, server.Config{})
	p := a.porkChain()

	t.Run("deep nesting", func(t *testing.T) {
		q := "{ organizations(first: 1) { edges { node { " + strings.Repeat("facilities(first: 1) { edges { node { organization { ", 8) +
			"name" + strings.Repeat(" } } } }", 8) + " } } } }"
		a.fails("DEPTH_LIMIT_EXCEEDED", "", q, nil)
	})
	t.Run("wide aliasing", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("query($c: String!) {")
		for i := range 50 {
			fmt.Fprintf(&b, " t%d: trace(code: $c) { code }", i)
		}
		b.WriteString(" }")
		db.Counter.Reset()
		a.as("").fails("ALIAS_LIMIT_EXCEEDED", "", b.String(), map[string]any{"c": p.code})
		if n := db.Counter.Count(); n != 0 {
			t.Errorf("%d statements ran before the refusal", n)
		}
	})
	t.Run("token flood", func(t *testing.T) {
		q := "{ __typename " + strings.Repeat("__typename ", 6000) + "}"
		a.fails("TOKEN_LIMIT_EXCEEDED", "", q, nil)
	})
	t.Run("fragment bomb", func(t *testing.T) {
		// Each fragment spreads the previous one twice: expanded, it
		// selects 2^30 fields.
		var b strings.Builder
		b.WriteString("{ organizations(first: 1) { edges { node { ...F30 } } } }\nfragment F0 on Organization { name }\n")
		for i := 1; i <= 30; i++ {
			fmt.Fprintf(&b, "fragment F%d on Organization { ...F%d ...F%d }\n", i, i-1, i-1)
		}
		a.fails("COMPLEXITY_LIMIT_EXCEEDED", "", b.String(), nil)
	})
	t.Run("batching", func(t *testing.T) {
		body := []byte(`[{"query":"{ __typename }"},{"query":"{ __typename }"}]`)
		r := a.post("application/json", body)
		if r.Status < 400 || len(r.Errors) == 0 {
			t.Errorf("a batch of operations answered %d %s", r.Status, r.Raw)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		limited := newAPI(t, testdb.SQLite(t), server.Config{RateLimit: 5})
		var last *http.Response
		for range 6 {
			res := limited.get("/graphql?query=%7B__typename%7D")
			res.Body.Close()
			last = res
		}
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Errorf("the 6th request of 5 allowed answered %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
		}
		// Another caller has its own budget.
		res := limited.as("").get("/healthz")
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("health check answered %d", res.StatusCode)
		}
	})
}

// TestScanCounts checks that a batch's scan count is shown to its producer
// and regulators only, though carriers and retailers see the batch.
func TestScanCounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		if _, err := db.SQL.Exec(`UPDATE batches SET scan_count = 7 WHERE id = ?`, tn.p.loin); err != nil {
			t.Fatal(err)
		}
		const q = `query($id: ID!) { node(id: $id) { ... on Batch { scanCount } } }`
		for _, tc := range []struct {
			name string
			who  *api
			want string
		}{
			{"producer", tn.aStaff, `{"node":{"scanCount":7}}`},
			{"regulator", tn.regulator, `{"node":{"scanCount":7}}`},
			{"retailer", tn.retailer, `{"node":{"scanCount":null}}`},
			{"carrier", tn.carrier, `{"node":{"scanCount":null}}`},
		} {
			r := tc.who.do(q, map[string]any{"id": tn.p.loin})
			if len(r.Errors) != 0 || string(r.Data) != tc.want {
				t.Errorf("%s sees %s", tc.name, r.Raw)
			}
		}
	})
}

// TestHasWithFiltersSeeOnlyVisibleRows: a has…With filter matches only
// related rows the viewer may read, at any depth: a retailer cannot learn
// where a competitor shelves a lot both sell, nor a carrier through the
// lots on its trips.
func TestHasWithFiltersSeeOnlyVisibleRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		a := newAPI(t, db, server.Config{})
		tn := a.tenants()
		rival := a.facility(a.org("RETAILER"), "STORE")
		a.ship(tn.p.carrierOrg, tn.p.warehouse, rival, day(4), day(4.1), item(tn.p.loin, 10, "KG"))
		a.must(nil, shelveBatch, map[string]any{"in": map[string]any{
			"facilityID": rival, "batchID": tn.p.loin, "quantity": 5, "unit": "KG", "shelvedAt": day(4.5)}})
		const shelvedAt = `query($f: ID!) { batches(where: {hasShelfEventsWith: {facilityID: $f}}) { totalCount } }`
		const carried = `query($f: ID!) { shipments(where: {hasItemsWith: {hasBatchWith: {hasShelfEventsWith: {facilityID: $f}}}}) { totalCount } }`
		const negated = `query($f: ID!) { batches(where: {not: {hasShelfEventsWith: {facilityID: $f}}, lotCode: "LOIN-1"}) { totalCount } }`
		for _, c := range []struct {
			name, query string
			as          *api
			facility    string
			want        int
		}{
			{"retailer, its own store", shelvedAt, tn.retailer, tn.p.store, 1},
			{"retailer, a rival's store", shelvedAt, tn.retailer, rival, 0},
			{"retailer, not at a rival's store", negated, tn.retailer, rival, 1},
			{"carrier, through its trips", carried, tn.carrier, rival, 0},
			{"regulator of the region", shelvedAt, tn.regulator, rival, 1},
			{"administrator", carried, a, rival, 3},
		} {
			var out map[string]struct{ TotalCount int }
			c.as.must(&out, c.query, map[string]any{"f": c.facility})
			for _, v := range out {
				if v.TotalCount != c.want {
					t.Errorf("%s: %d, want %d", c.name, v.TotalCount, c.want)
				}
			}
		}
	})
}
