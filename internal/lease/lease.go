// Package lease decides which one of the servers sharing a database runs
// a piece of background work — the screener, the webhook deliverer — so
// that every server does not read the same rows and act on them twice.
//
// On MariaDB and MySQL (a Galera cluster included) the holder is named by
// a row of the leases table, with an expiry the holder moves forward
// every third of the lease's time to live while it runs. Taking the lease
// is one conditional UPDATE — of a lease that is free, expired or already
// this server's — so of two servers racing for it one changes the row and
// the other finds it taken; on Galera the loser's change fails
// certification instead, which is the same answer. When the holder stops
// it gives the lease up at once; when it dies, the lease expires and
// another server takes it at its next try.
//
// A named lock (GET_LOCK) would free itself with its holder's connection,
// but a Galera cluster's named locks are each node's own: servers on two
// nodes would both hold one.
//
// On SQLite, whose servers share one file on one machine, every server
// holds every lease: the work queues for the one writer, and what it
// writes is idempotent.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"suyuan/ent"
	entlease "suyuan/ent/lease"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// DefaultTTL is how long a lease outlives its holder's last renewal: how
// long the work waits for a new holder after one dies. The holder renews
// at a third of it, so two renewals may fail (a slow database, a clock a
// few seconds off) before it could lapse.
const DefaultTTL = 30 * time.Second

// releaseTimeout bounds giving a lease up on the way out: a stopping
// server does not wait for a database that is away; the lease then
// expires instead.
const releaseTimeout = 2 * time.Second

// Lease is one server's claim to one piece of work.
type Lease struct {
	client *ent.Client
	name   string
	holder string
	ttl    time.Duration
	always bool // SQLite: every server holds it

	mu     sync.Mutex
	until  time.Time          // by this server's clock; zero: not held
	cancel context.CancelFunc // stops the renewer, nil when none runs
	done   chan struct{}      // closed when the renewer has stopped
}

// Option changes a Lease.
type Option func(*Lease)

// WithTTL sets how long the lease outlives its holder's last renewal
// (default DefaultTTL).
func WithTTL(d time.Duration) Option { return func(l *Lease) { l.ttl = d } }

// New returns the lease named name (at most 32 bytes) over client, whose
// database is of dialectName. Every Lease is a holder of its own, so two
// in one process (tests) compete like two servers.
func New(client *ent.Client, dialectName, name string, opts ...Option) *Lease {
	l := &Lease{client: client, name: name, holder: holderID(), ttl: DefaultTTL, always: dialectName != dialect.MySQL}
	for _, o := range opts {
		o(l)
	}
	return l
}

// holderID names this holder for whoever reads the leases table: the
// host and process, and random bytes that tell two leases of one
// process apart.
func holderID() string {
	host, _ := os.Hostname()
	if len(host) > 48 {
		host = host[:48]
	}
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Holder is this lease's holder id, as the leases table names it.
func (l *Lease) Holder() string { return l.holder }

// Held reports whether this server holds the lease now, taking it when it
// is free or expired. Once taken, the lease is renewed in the background
// until Release, until ctx ends, or until a renewal finds another holder.
// A nil lease is always held.
func (l *Lease) Held(ctx context.Context) (bool, error) {
	if l == nil || l.always {
		return true, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Now().Before(l.until) {
		return true, nil
	}
	start := time.Now()
	ok, err := l.take(ctx, start)
	if err != nil || !ok {
		return false, err
	}
	l.until = start.Add(l.ttl)
	if l.cancel == nil {
		rctx, cancel := context.WithCancel(ctx)
		l.cancel, l.done = cancel, make(chan struct{})
		go l.renew(rctx, cancel, l.done)
	}
	return true, nil
}

// take makes the lease this server's, when it is free, expired or this
// server's already, and reports whether it did.
func (l *Lease) take(ctx context.Context, now time.Time) (bool, error) {
	ctx = store.Uncounted(tenancy.System(ctx))
	now = now.UTC()
	// The row exists from the first try on; a racing insert is ignored.
	err := l.client.Lease.Create().SetName(l.name).SetHolder("").SetTakenAt(now).SetExpiresAt(now).
		OnConflictColumns(entlease.FieldName).Ignore().Exec(ctx)
	if err != nil {
		if store.Retryable(err) {
			return false, nil // another server's insert won
		}
		return false, fmt.Errorf("creating lease %s: %w", l.name, err)
	}
	n, err := l.client.Lease.Update().
		Where(entlease.Name(l.name), entlease.Or(entlease.Holder(l.holder), entlease.ExpiresAtLT(now))).
		SetHolder(l.holder).SetTakenAt(now).SetExpiresAt(now.Add(l.ttl)).
		Save(ctx)
	switch {
	case store.Retryable(err):
		// On Galera: another server's take of the same row was certified
		// first. It holds the lease.
		return false, nil
	case err != nil:
		return false, fmt.Errorf("taking lease %s: %w", l.name, err)
	}
	return n == 1, nil
}

// renew moves the expiry forward every third of the time to live while
// the row still names this holder, and stops when it does not (another
// server took the lease after a lapse) or ctx ends. A failed renewal is
// tried again at the next tick; the lease lapses, here as in the table,
// when none succeeds before it expires.
func (l *Lease) renew(ctx context.Context, cancel context.CancelFunc, done chan struct{}) {
	defer func() {
		l.mu.Lock()
		if l.done == done { // not already given up by Release
			l.cancel, l.done = nil, nil
		}
		l.mu.Unlock()
		cancel()
		close(done)
	}()
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	sys := store.Uncounted(tenancy.System(ctx))
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		n, err := l.client.Lease.Update().
			Where(entlease.Name(l.name), entlease.Holder(l.holder)).
			SetExpiresAt(start.UTC().Add(l.ttl)).
			Save(sys)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				slog.WarnContext(ctx, "renewing a lease", "lease", l.name, "err", err)
			}
		case n == 1:
			l.mu.Lock()
			if l.done == done { // Release has not given it up meanwhile
				l.until = start.Add(l.ttl)
			}
			l.mu.Unlock()
		default:
			slog.WarnContext(ctx, "lease taken over by another server", "lease", l.name)
			l.mu.Lock()
			if l.done == done {
				l.until = time.Time{}
			}
			l.mu.Unlock()
			return
		}
	}
}

// Release gives the lease up, so that another server takes it at its
// next try rather than after it expires. It uses ctx's values but not its
// end: a stopping server's context has usually ended.
func (l *Lease) Release(ctx context.Context) {
	if l == nil || l.always {
		return
	}
	l.mu.Lock()
	cancel, done, held := l.cancel, l.done, !l.until.IsZero()
	l.cancel, l.done, l.until = nil, nil, time.Time{}
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if !held {
		return
	}
	ctx, stop := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer stop()
	now := time.Now().UTC()
	_, err := l.client.Lease.Update().
		Where(entlease.Name(l.name), entlease.Holder(l.holder)).
		SetExpiresAt(now.Add(-time.Millisecond)).
		Save(store.Uncounted(tenancy.System(ctx)))
	if err != nil {
		slog.WarnContext(ctx, "giving a lease up; it will expire instead", "lease", l.name, "err", err)
	}
}
