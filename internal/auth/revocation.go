package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"suyuan/ent"
	"suyuan/ent/organization"
	"suyuan/ent/user"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// AccountCacheTTL is how long a server trusts what it read of an account
// — whether it can still be used, and its token generation — before it
// reads it again. A change made through this server takes effect at once
// (the server forgets what it knew); one made through another server
// sharing the database, within this time.
const AccountCacheTTL = 2 * time.Second

// accountCacheMax bounds the accounts remembered at once.
const accountCacheMax = 10000

// accountState is what an access token is checked against: whether its
// account exists and may be used (active, in an active organisation), and
// the account's token generation.
type accountState struct {
	usable bool
	gen    int
	read   time.Time
}

// accounts remembers, for a short time, the state of the accounts whose
// access tokens were presented, so that checking a token costs a database
// read per account and AccountCacheTTL, not per request.
type accounts struct {
	now func() time.Time

	mu      sync.Mutex
	m       map[int]accountState
	changed chan struct{}
}

func newAccounts(now func() time.Time) *accounts {
	return &accounts{now: now, m: map[int]accountState{}, changed: make(chan struct{})}
}

// get returns the remembered state of an account, if it is recent.
func (a *accounts) get(id int) (accountState, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.m[id]
	if !ok || a.now().Sub(st.read) >= AccountCacheTTL {
		return accountState{}, false
	}
	return st, true
}

func (a *accounts) put(id int, st accountState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.m) >= accountCacheMax {
		now := a.now()
		for k, v := range a.m {
			if now.Sub(v.read) >= AccountCacheTTL {
				delete(a.m, k)
			}
		}
		if len(a.m) >= accountCacheMax {
			clear(a.m)
		}
	}
	a.m[id] = st
}

// forget drops what is known of an account, after a change to it, and
// wakes whoever waits on Changed.
func (a *accounts) forget(id int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, id)
	close(a.changed)
	a.changed = make(chan struct{})
}

// Changed returns a channel that is closed when this server next revokes
// an account's tokens (deactivation, password change). Long-lived
// connections wait on it, and on a timer of AccountCacheTTL for changes
// made through other servers, then check their viewer again with Check.
func (s *Service) Changed() <-chan struct{} {
	s.accounts.mu.Lock()
	defer s.accounts.mu.Unlock()
	return s.accounts.changed
}

// Check reports whether the viewer of an access token may still act: its
// account exists, is active, belongs to an active organisation, and its
// token generation is the one the token was issued under. API keys are
// checked against the database on every request (AuthenticateKey), so
// they pass here. The account is read at most once per AccountCacheTTL.
func (s *Service) Check(ctx context.Context, v *viewer.Viewer) error {
	if v.UserID == 0 {
		return nil
	}
	st, ok := s.accounts.get(v.UserID)
	if !ok {
		read := s.now()
		gen, err := s.client.User.Query().
			Where(user.ID(v.UserID), user.Active(true),
				user.HasOrganizationWith(organization.StatusEQ(organization.StatusACTIVE))).
			Select(user.FieldTokenGeneration).Int(tenancy.System(ctx))
		switch {
		case ent.IsNotFound(err):
			st = accountState{read: read}
		case err != nil:
			return fmt.Errorf("checking the token's account: %w", err)
		default:
			st = accountState{usable: true, gen: gen, read: read}
		}
		s.accounts.put(v.UserID, st)
	}
	if !st.usable || st.gen != v.TokenGeneration {
		return ErrBadCredentials
	}
	return nil
}
