package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"suyuan/ent/refreshtoken"
	"suyuan/ent/user"
	"suyuan/internal/auth"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/internal/viewer"
	"suyuan/server"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now().UTC()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// refused asserts that a request with the client's token is refused as
// unauthenticated.
func (a *api) refused(what string) {
	a.t.Helper()
	res := a.do(`{ me { id } }`, nil)
	if res.Status != http.StatusUnauthorized || len(res.Errors) != 1 || res.Errors[0].Extensions.Code != "UNAUTHENTICATED" {
		a.t.Errorf("%s: the token still works: %d %s", what, res.Status, res.Raw)
	}
}

// meID returns the id of the client's account, asserting its token works.
func (a *api) meID() string {
	a.t.Helper()
	var me struct{ Me struct{ ID string } }
	a.must(&me, `{ me { id } }`, nil)
	return me.Me.ID
}

// TestRevokedAccessTokens: deactivation and a password change end the
// account's access tokens at once on the server that made the change, and
// within the account cache's lifetime on another server over the same
// database; a role change ends them too; a validly signed token for an
// account that does not exist is refused.
func TestRevokedAccessTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		clock := newTestClock()
		keys := auth.DerivedKeySet("revocation test")
		cfg := server.Config{Keys: keys, Now: clock.Now}
		a := newAPI(t, db, cfg)
		// A second server over the same database, as in a deployment of
		// several.
		cfg.Logger, cfg.RateLimit, cfg.PageRateLimit = discardLogger(), -1, -1
		srv2 := httptest.NewServer(server.New(db.DB, cfg).Handler())
		t.Cleanup(srv2.Close)
		on2 := func(c *api) *api { b := *c; b.srv = srv2; return &b }

		_, org := a.orgID("PRODUCER")

		t.Run("deactivation", func(t *testing.T) {
			phone := a.account(org, "STAFF")
			u := a.as(a.login(phone))
			id := u.meID()
			on2(u).meID() // the other server has read the account
			a.must(nil, `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, map[string]any{"id": id})
			u.refused("deactivated, on the server that deactivated")
			// The other server trusts what it read for AccountCacheTTL.
			clock.Add(auth.AccountCacheTTL)
			on2(u).refused("deactivated, on another server after the cache's lifetime")
		})
		t.Run("password change", func(t *testing.T) {
			phone := a.account(org, "STAFF")
			first, second := a.as(a.login(phone)), a.as(a.login(phone))
			first.meID()
			first.must(nil, `mutation { changePassword(oldPassword: "correct horse battery", newPassword: "a new long password") }`, nil)
			first.refused("after a password change, the token that changed it")
			second.refused("after a password change, another session's token")
			var out struct{ Login struct{ AccessToken string } }
			a.as("").must(&out, `mutation { login(phone: "`+phone+`", password: "a new long password") { accessToken } }`, nil)
			a.as(out.Login.AccessToken).meID()
		})
		t.Run("role change", func(t *testing.T) {
			phone := a.account(org, "ORG_ADMIN")
			u := a.as(a.login(phone))
			id, _ := strconv.Atoi(u.meID())
			sys := tenancy.System(context.Background())
			// Changed elsewhere than through this server: it learns of it
			// once its cached copy is old.
			if err := db.Client.User.UpdateOneID(id).SetRole(viewer.Staff).Exec(sys); err != nil {
				t.Fatal(err)
			}
			clock.Add(auth.AccountCacheTTL)
			u.refused("after a role change")
			a.as(a.login(phone)).meID()
		})
		t.Run("account that does not exist", func(t *testing.T) {
			token, _, err := keys.Sign(&viewer.Viewer{UserID: 1 << 40, OrgID: org, Role: viewer.Admin, Region: "510000"}, clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			a.as(token).refused("a token for no account")

			phone := a.account(org, "STAFF")
			u := a.as(a.login(phone))
			sys := tenancy.System(context.Background())
			n, err := db.Client.User.Query().Where(user.Phone(phone)).OnlyID(sys)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Client.RefreshToken.Delete().Where(refreshtoken.UserID(n)).Exec(sys); err != nil {
				t.Fatal(err)
			}
			if err := db.Client.User.DeleteOneID(n).Exec(sys); err != nil {
				t.Fatal(err)
			}
			u.refused("a token for a deleted account")
		})
	})
}
