package auth

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"suyuan/ent"
	"suyuan/ent/loginthrottle"
	"suyuan/internal/audit"
	"suyuan/internal/errcode"
	"suyuan/internal/reqlog"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// Limits on failed logins. After its free failures, each further failure
// of a phone number or a client address makes it wait ThrottleBase,
// doubled with every failure, up to ThrottleMax; while it waits, logins are
// refused with RATE_LIMITED without the password being checked, and do not
// count. A key quiet for its forget time starts counting afresh; a
// successful login clears its phone number (not its address, which a
// guesser with an account of its own could otherwise clear).
const (
	PhoneFreeFailures   = 5
	AddressFreeFailures = 20
	ThrottleBase        = time.Second
	ThrottleMax         = 15 * time.Minute
	PhoneForget         = 24 * time.Hour
	AddressForget       = time.Hour
)

// sweepEvery is how often a server deletes the counts of quiet keys.
const sweepEvery = 10 * time.Minute

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the client's address, by which Login
// limits failed attempts as it does by phone number.
func WithClientAddr(ctx context.Context, addr netip.Addr) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// throttleKey is one thing failed logins are counted by.
type throttleKey struct {
	key    string
	free   int
	forget time.Duration
}

// throttleKeys are what a login attempt counts against: its phone number
// (normalised; "" when it is not one) and its client address (IPv6
// addresses by their /64, which one client usually holds whole).
func throttleKeys(ctx context.Context, phone string) []throttleKey {
	var keys []throttleKey
	if phone != "" {
		keys = append(keys, throttleKey{"phone:" + phone, PhoneFreeFailures, PhoneForget})
	}
	if addr, _ := ctx.Value(clientAddrKey{}).(netip.Addr); addr.IsValid() {
		addr = addr.Unmap()
		s := addr.String()
		if addr.Is6() {
			p, _ := addr.Prefix(64)
			s = p.String()
		}
		keys = append(keys, throttleKey{"addr:" + s, AddressFreeFailures, AddressForget})
	}
	return keys
}

// wait is how long a key waits after failures failed logins.
func wait(failures, free int) time.Duration {
	n := failures - free
	if n < 0 {
		return 0
	}
	if n >= 20 {
		return ThrottleMax
	}
	return min(ThrottleBase<<n, ThrottleMax)
}

// rateLimited is the answer to a login attempt that must wait.
func rateLimited(d time.Duration) error {
	secs := int((d + time.Second - 1) / time.Second)
	return &errcode.Error{Code: errcode.RateLimited, RetryAfter: d,
		Message: fmt.Sprintf("too many failed logins; try again in %d seconds (retryAfter)", secs)}
}

// throttled returns how long the keys must still wait (0: not at all),
// and their rows. With lock, the rows are read under their locks.
func (s *Service) throttled(ctx context.Context, c *ent.Client, keys []throttleKey, lock bool) (time.Duration, map[string]*ent.LoginThrottle, error) {
	if len(keys) == 0 {
		return 0, nil, nil
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	q := c.LoginThrottle.Query().Where(loginthrottle.KeyIn(names...))
	if lock {
		q.ForUpdate()
	}
	rows, err := q.All(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("reading login throttles: %w", err)
	}
	now := s.now()
	var longest time.Duration
	byKey := make(map[string]*ent.LoginThrottle, len(rows))
	for _, r := range rows {
		byKey[r.Key] = r
		if r.BlockedUntil != nil && r.BlockedUntil.After(now) {
			longest = max(longest, r.BlockedUntil.Sub(now))
		}
	}
	return longest, byKey, nil
}

// failed counts a failed login against keys and audits it, and returns
// the answer to the attempt: the one answer to every failed login. u is
// the account of the phone number, if there is one.
func (s *Service) failed(ctx context.Context, keys []throttleKey, u *ent.User) error {
	s.sweep(tenancy.System(ctx))
	var (
		userID, orgID int
		waits         time.Duration
	)
	if u != nil {
		userID, orgID = u.ID, u.OrganizationID
	}
	if err := s.ensureThrottles(tenancy.System(ctx), keys); err != nil {
		return err
	}
	err := s.withTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		_, rows, err := s.throttled(ctx, tx.Client(), keys, s.lockRows)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		for _, k := range keys {
			failures := 1
			r := rows[k.key]
			if r != nil && now.Sub(r.LastFailureAt) < k.forget {
				failures = r.Failures + 1
			}
			var until *time.Time
			if d := wait(failures, k.free); d > 0 {
				t := now.Add(d)
				until = &t
				waits = max(waits, d)
			}
			if r == nil {
				err = tx.LoginThrottle.Create().SetKey(k.key).SetFailures(failures).
					SetLastFailureAt(now).SetNillableBlockedUntil(until).Exec(ctx)
			} else {
				up := tx.LoginThrottle.UpdateOne(r).SetFailures(failures).SetLastFailureAt(now)
				if until != nil {
					up.SetBlockedUntil(*until)
				} else {
					up.ClearBlockedUntil()
				}
				err = up.Exec(ctx)
			}
			if err != nil {
				return fmt.Errorf("counting a failed login: %w", err)
			}
		}
		return audit.WriteUnauthenticated(ctx, tx, orgID, "loginFailed", "User", userID, nil)
	})
	if err != nil {
		return err
	}
	addr, _ := ctx.Value(clientAddrKey{}).(netip.Addr)
	reqlog.Logger(ctx).Warn("login failed", "user", userID, "addr", addr.String(), "wait_s", waits.Seconds())
	return errLogin
}

// ensureThrottles creates the rows of keys that have none, so that
// failed reads them under their locks: on MySQL, transactions that lock a
// missing row and then insert it deadlock one another. Concurrent inserts
// of one key may deadlock too; the database's victim is run again.
func (s *Service) ensureThrottles(ctx context.Context, keys []throttleKey) error {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	have, err := s.client.LoginThrottle.Query().Where(loginthrottle.KeyIn(names...)).
		Select(loginthrottle.FieldKey).Strings(ctx)
	if err != nil {
		return fmt.Errorf("reading login throttles: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(have, name) {
			continue
		}
		err := store.InTx(ctx, s.client, func(tx *ent.Tx) error {
			return tx.LoginThrottle.Create().SetKey(name).SetLastFailureAt(s.now().UTC()).
				OnConflictColumns(loginthrottle.FieldKey).Ignore().Exec(ctx)
		})
		if err != nil {
			return fmt.Errorf("counting a failed login: %w", err)
		}
	}
	return nil
}

// cleared forgets the failures of the phone number of a successful login
// (rows as read by throttled).
func (s *Service) cleared(ctx context.Context, tx *ent.Tx, keys []throttleKey, rows map[string]*ent.LoginThrottle) error {
	for _, k := range keys {
		if r := rows[k.key]; r != nil && k.forget == PhoneForget {
			if err := tx.LoginThrottle.DeleteOne(r).Exec(ctx); err != nil {
				return fmt.Errorf("clearing failed logins: %w", err)
			}
		}
	}
	return nil
}

// sweep deletes, at most every sweepEvery, the counts of keys quiet for
// longer than any forget time.
func (s *Service) sweep(ctx context.Context) {
	now := s.now()
	s.sweepMu.Lock()
	due := now.Sub(s.swept) >= sweepEvery
	if due {
		s.swept = now
	}
	s.sweepMu.Unlock()
	if !due {
		return
	}
	_, err := s.client.LoginThrottle.Delete().
		Where(loginthrottle.LastFailureAtLT(now.Add(-max(PhoneForget, AddressForget)).UTC())).Exec(ctx)
	if err != nil {
		reqlog.Logger(ctx).Warn("deleting old login throttles", "error", err.Error())
	}
}
