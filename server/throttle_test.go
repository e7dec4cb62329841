package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"suyuan/ent/auditentry"
	"suyuan/ent/user"
	"suyuan/internal/auth"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// loginAnswer is what a login attempt was answered: "" for tokens, or the
// error's code, and the retryAfter of a RATE_LIMITED answer.
type loginAnswer struct {
	code       string
	retryAfter int
}

// loginFrom attempts a login as a client at addr (through a trusted
// proxy).
func (a *api) loginFrom(addr, phone, password string) loginAnswer {
	a.t.Helper()
	ans, err := a.tryLoginFrom(addr, phone, password)
	if err != nil {
		a.t.Fatal(err)
	}
	return ans
}

// tryLoginFrom is loginFrom for other goroutines than the test's: it
// returns what went wrong instead of failing the test.
func (a *api) tryLoginFrom(addr, phone, password string) (loginAnswer, error) {
	body, _ := json.Marshal(map[string]any{"query": loginMutation, "variables": map[string]any{"p": phone, "pw": password}})
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return loginAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return loginAnswer{}, err
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			Login *struct{ AccessToken string }
		}
		Errors []struct {
			Extensions struct {
				Code       string
				RetryAfter int
			}
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return loginAnswer{}, err
	}
	switch {
	case len(out.Errors) == 1:
		return loginAnswer{out.Errors[0].Extensions.Code, out.Errors[0].Extensions.RetryAfter}, nil
	case len(out.Errors) == 0 && out.Data.Login != nil && out.Data.Login.AccessToken != "":
		return loginAnswer{}, nil
	}
	return loginAnswer{}, fmt.Errorf("login answered %+v", out)
}

// TestLoginThrottle: failed logins are limited per phone number and per
// client address, with a wait that doubles with each failure; while it
// lasts even the right password is refused with RATE_LIMITED and a
// retryAfter; a success clears the phone number's count; failures are
// audited.
func TestLoginThrottle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		clock := newTestClock()
		a := newAPI(t, db, server.Config{Now: clock.Now, TrustedProxies: []string{"127.0.0.0/8", "::1/128"}})
		_, org := a.orgID("REGULATOR")
		phone := a.account(org, "REGULATOR")
		const wrong = "not the password"
		expect := func(what string, got loginAnswer, code string, retryAfter int) {
			t.Helper()
			if got.code != code || got.retryAfter != retryAfter {
				t.Fatalf("%s: answered %+v, want %q with retryAfter %d", what, got, code, retryAfter)
			}
		}

		t.Run("per phone number", func(t *testing.T) {
			// 300 guesses in no time, from addresses of their own: the
			// first few are checked, the rest refused unchecked.
			answered := map[string]int{}
			for i := range 300 {
				answered[a.loginFrom(fmt.Sprintf("10.1.%d.%d", i/200, i%200), phone, wrong).code]++
			}
			if answered["UNAUTHENTICATED"] != auth.PhoneFreeFailures || answered["RATE_LIMITED"] != 300-auth.PhoneFreeFailures {
				t.Fatalf("300 wrong passwords were answered %v", answered)
			}
			expect("the right password after them", a.loginFrom("10.2.0.1", phone, testPassword), "RATE_LIMITED", 1)
			clock.Add(time.Second)
			expect("a wrong password once the wait is over", a.loginFrom("10.2.0.1", phone, wrong), "UNAUTHENTICATED", 0)
			expect("the next failure doubles the wait", a.loginFrom("10.2.0.1", phone, testPassword), "RATE_LIMITED", 2)
			clock.Add(2 * time.Second)
			expect("the right password after the wait", a.loginFrom("10.2.0.1", phone, testPassword), "", 0)
			// The success cleared the count: five more failures before a
			// wait.
			for range auth.PhoneFreeFailures {
				expect("a wrong password after a success", a.loginFrom("10.2.0.1", phone, wrong), "UNAUTHENTICATED", 0)
			}
			expect("then a wait again", a.loginFrom("10.2.0.1", phone, testPassword), "RATE_LIMITED", 1)
			clock.Add(time.Second)
			expect("and then the right password", a.loginFrom("10.2.0.1", phone, testPassword), "", 0)
		})

		t.Run("an unknown phone number alike", func(t *testing.T) {
			for range auth.PhoneFreeFailures {
				expect("an unknown phone number", a.loginFrom("10.3.0.1", "13711112222", wrong), "UNAUTHENTICATED", 0)
			}
			expect("an unknown phone number, then", a.loginFrom("10.3.0.2", "13711112222", wrong), "RATE_LIMITED", 1)
		})

		t.Run("per client address", func(t *testing.T) {
			for i := range auth.AddressFreeFailures {
				expect("guessing phone numbers", a.loginFrom("10.4.0.1", fmt.Sprintf("137%08d", i), wrong), "UNAUTHENTICATED", 0)
			}
			other := a.account(org, "STAFF")
			expect("the address waits, whatever it tries", a.loginFrom("10.4.0.1", other, testPassword), "RATE_LIMITED", 1)
			expect("other addresses do not", a.loginFrom("10.4.0.2", other, testPassword), "", 0)
			clock.Add(time.Second)
			expect("the address after its wait", a.loginFrom("10.4.0.1", other, wrong), "UNAUTHENTICATED", 0)
			expect("whose success does not clear it", a.loginFrom("10.4.0.1", other, testPassword), "RATE_LIMITED", 2)
			// IPv6 clients are counted by their /64.
			clock.Add(2 * time.Second)
			for i := range auth.AddressFreeFailures {
				expect("guessing from IPv6", a.loginFrom(fmt.Sprintf("2001:db8:0:1::%x", i+1), fmt.Sprintf("136%08d", i), wrong), "UNAUTHENTICATED", 0)
			}
			expect("another address of the /64", a.loginFrom("2001:db8:0:1::ffff", other, testPassword), "RATE_LIMITED", 1)
			expect("another /64", a.loginFrom("2001:db8:0:2::1", other, testPassword), "", 0)
		})

		t.Run("audited", func(t *testing.T) {
			sys := tenancy.System(context.Background())
			id, err := db.Client.User.Query().Where(user.Phone(phone)).OnlyID(sys)
			if err != nil {
				t.Fatal(err)
			}
			failed := db.Client.AuditEntry.Query().Where(auditentry.Operation("loginFailed"))
			// The regulator's own failures: 5 + 1 + 5.
			mine, err := failed.Clone().Where(auditentry.EntityID(id), auditentry.OrganizationID(org), auditentry.ActorUserIDIsNil()).Count(sys)
			if err != nil {
				t.Fatal(err)
			}
			if mine != 2*auth.PhoneFreeFailures+1 {
				t.Errorf("%d failed logins of the account audited, want %d", mine, 2*auth.PhoneFreeFailures+1)
			}
			all, err := failed.Clone().Count(sys)
			if err != nil {
				t.Fatal(err)
			}
			// And those of the unknown numbers and the other account.
			if want := mine + auth.PhoneFreeFailures + 2*auth.AddressFreeFailures + 1; all != want {
				t.Errorf("%d failed logins audited, want %d", all, want)
			}
		})
	})
}

// TestLoginThrottleBurst: a burst of concurrent guesses is checked only
// until the phone number must wait: attempts queued for the hasher look
// again before their password is checked, and a failure is counted before
// the next attempt looks.
func TestLoginThrottleBurst(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		clock := newTestClock()
		a := newAPI(t, db, server.Config{Now: clock.Now, TrustedProxies: []string{"127.0.0.0/8", "::1/128"}})
		_, org := a.orgID("REGULATOR")
		phone := a.account(org, "REGULATOR")
		const burst = 100
		answers := make(chan loginAnswer, burst)
		errs := make(chan error, burst)
		var wg sync.WaitGroup
		for i := range burst {
			wg.Go(func() {
				ans, err := a.tryLoginFrom(fmt.Sprintf("10.9.0.%d", i+1), phone, "not the password")
				if err != nil {
					errs <- err
					return
				}
				answers <- ans
			})
		}
		wg.Wait()
		close(answers)
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		answered := map[string]int{}
		for ans := range answers {
			answered[ans.code]++
		}
		// A failure is counted before its hashing slot is given to the
		// next attempt, which looks again: besides the free failures, only
		// those already hashing when the last of them was counted are
		// checked.
		most := auth.PhoneFreeFailures + server.DefaultHashConcurrency - 1
		if n := answered["UNAUTHENTICATED"]; n < auth.PhoneFreeFailures || n > most || n+answered["RATE_LIMITED"] != burst {
			t.Errorf("%d concurrent wrong passwords were answered %v", burst, answered)
		}
		t.Logf("answers: %v", answered)
		if got := a.loginFrom("10.9.1.1", phone, testPassword); got.code != "RATE_LIMITED" {
			t.Errorf("the right password after the burst: %+v", got)
		}
	})
}
