package consumer

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"suyuan/internal/store"
)

// dep is a row a page shows: when the row changes, the page must go.
type dep struct {
	kind depKind
	id   int
}

type depKind uint8

const (
	depBatch depKind = iota + 1
	depShipment
	depFacility
	depOrganization
	depProduct
	depInspection
	depShelfEvent
)

// body is one rendered representation, with its strong ETag and, made on
// first demand, its gzip encoding.
type body struct {
	data  []byte
	etag  string // of data; the gzip encoding's is derived from it
	ctype string

	gzOnce sync.Once
	gz     []byte
}

const gzipMin = 1024 // smaller bodies gain too little from compression

func newBody(data []byte, ctype string) *body {
	sum := sha256.Sum256(data)
	return &body{data: data, ctype: ctype, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
}

// gzipped returns the gzip encoding, or nil when the body is too small to
// be worth it. Writers come from pool, as each holds several hundred KB of
// compressor state.
func (b *body) gzipped(pool *sync.Pool) []byte {
	b.gzOnce.Do(func() {
		if len(b.data) < gzipMin {
			return
		}
		zw := pool.Get().(*gzip.Writer)
		defer pool.Put(zw)
		var buf bytes.Buffer
		zw.Reset(&buf)
		zw.Write(b.data) // writes to a bytes.Buffer do not fail
		zw.Close()
		b.gz = buf.Bytes()
	})
	return b.gz
}

// gzipETag is the ETag of the gzip encoding: a strong validator must tell
// encodings apart (RFC 9110 §8.8.1).
func (b *body) gzipETag() string { return b.etag[:len(b.etag)-1] + `-gz"` }

// newGzipPool returns a pool of gzip writers at the default level, which
// for pages of a few KB compresses within a few per cent of the best.
func newGzipPool() *sync.Pool {
	return &sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}
}

// page is a loaded trace and its representations, rendered on first use.
type page struct {
	*loaded
	mu       sync.Mutex
	variants map[string]*body
}

// variant returns the representation named key, rendering it once.
func (p *page) variant(key string, render func() (*body, error)) (*body, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := p.variants[key]; b != nil {
		return b, nil
	}
	b, err := render()
	if err != nil {
		return nil, err
	}
	if p.variants == nil {
		p.variants = map[string]*body{}
	}
	p.variants[key] = b
	return b, nil
}

// pageCache keeps pages for a short time and drops them at once when a
// row they show changes.
//
// Invalidation must win every race with a load: a load that read the
// database before a change committed must not store its stale page after
// the change's invalidation ran. So every invalidation takes a sequence
// number and stamps the rows it names; a load remembers the sequence when
// it began and stores its page only if none of the page's rows was stamped
// since. Loads of one key are shared (singleflight), but only among
// requests that arrived since the last invalidation, so a request that
// comes after a change never waits for a load that began before it.
type pageCache struct {
	ttl     time.Duration
	max     int
	now     func() time.Time
	flights singleflight.Group

	mu      sync.Mutex
	entries map[string]*entry
	byDep   map[dep]map[string]struct{}
	seq     uint64
	stamps  map[dep]stamp
	purged  uint64 // seq of the last Purge
}

type entry struct {
	page    *page
	deps    []dep
	expires time.Time
}

type stamp struct {
	seq uint64
	at  time.Time
	// floor is the primary's position once the change had committed
	// (eventlog.Change.After): a page read from a replica that has not
	// applied it would show the row as it was before.
	floor store.Position
}

// loadTimeout bounds one load; loadHorizon is how long an invalidation
// stamp is kept, so it must exceed loadTimeout: a load that takes longer
// than the horizon is served but not stored, as its stamps may be gone.
const (
	loadTimeout = 10 * time.Second
	loadHorizon = time.Minute
)

func newPageCache(ttl time.Duration, max int, now func() time.Time) *pageCache {
	return &pageCache{ttl: ttl, max: max, now: now,
		entries: map[string]*entry{}, byDep: map[dep]map[string]struct{}{}, stamps: map[dep]stamp{}}
}

// get returns the page for key, from the cache or by load. load returns the
// loaded data, the rows it shows and when at the latest it goes stale (an
// expiry date, say; zero for none). The boolean tells a cache hit.
func (c *pageCache) get(ctx context.Context, key string, load func(context.Context) (*loaded, []dep, time.Time, error)) (*page, bool, error) {
	if c.ttl <= 0 {
		l, _, _, err := load(store.OnReplica(ctx))
		if err != nil {
			return nil, false, err
		}
		return &page{loaded: l}, false, nil
	}
	c.mu.Lock()
	now := c.now()
	if e := c.entries[key]; e != nil {
		if now.Before(e.expires) {
			c.mu.Unlock()
			return e.page, true, nil
		}
		c.remove(key, e)
	}
	seq := c.seq
	c.mu.Unlock()

	v, err, _ := c.flights.Do(key+"\x00"+strconv.FormatUint(seq, 10), func() (any, error) {
		// The load serves every request that joined it, so one client
		// going away must not cancel it for the others; it gets its own
		// deadline instead.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		rctx := store.OnReplica(lctx)
		l, deps, staleAt, err := load(rctx)
		if pos, ok := store.ReadFrom(rctx); err == nil && ok && c.behind(deps, pos) {
			// The replica read has not yet applied a change the page
			// shows, which this server already knows of: the page must
			// not show the row as it was, so it is read from the primary.
			l, deps, staleAt, err = load(store.OnPrimary(lctx))
		}
		if err != nil {
			return nil, err
		}
		p := &page{loaded: l}
		c.store(key, p, deps, seq, now, staleAt)
		return p, nil
	})
	if err != nil {
		return nil, false, err
	}
	return v.(*page), false, nil
}

func (c *pageCache) store(key string, p *page, deps []dep, began uint64, start, staleAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if began < c.purged || now.Sub(start) > loadHorizon {
		return
	}
	for _, d := range deps {
		if s, ok := c.stamps[d]; ok && s.seq > began {
			return // a row of the page changed while it loaded
		}
	}
	expires := now.Add(c.ttl)
	if !staleAt.IsZero() && staleAt.After(now) && staleAt.Before(expires) {
		expires = staleAt
	}
	if old := c.entries[key]; old != nil {
		c.remove(key, old)
	}
	if len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[key] = &entry{page: p, deps: deps, expires: expires}
	for _, d := range deps {
		keys := c.byDep[d]
		if keys == nil {
			keys = map[string]struct{}{}
			c.byDep[d] = keys
		}
		keys[key] = struct{}{}
	}
}

// evict makes room: expired entries first, then arbitrary ones (Go's map
// order is random enough for a cache this short-lived) down to 90%.
func (c *pageCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			c.remove(k, e)
		}
	}
	for k, e := range c.entries {
		if len(c.entries) < c.max*9/10 {
			break
		}
		c.remove(k, e)
	}
}

// remove drops an entry and its reverse index; c.mu is held.
func (c *pageCache) remove(key string, e *entry) {
	delete(c.entries, key)
	for _, d := range e.deps {
		if keys := c.byDep[d]; keys != nil {
			delete(keys, key)
			if len(keys) == 0 {
				delete(c.byDep, d)
			}
		}
	}
}

// behind reports whether a page read from a replica at position pos may
// miss a recent change to one of its rows: the replica had not applied
// the change's floor, or the floor is unknown.
func (c *pageCache) behind(deps []dep, pos store.Position) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for _, d := range deps {
		s, ok := c.stamps[d]
		if !ok || now.Sub(s.at) > loadHorizon && s.floor == "" {
			continue
		}
		if s.floor == "" || !pos.Covers(s.floor) {
			return true
		}
	}
	return false
}

// invalidate drops every page that shows one of deps, and stops loads in
// flight from storing pages that show them; floor is the primary's
// position once the change committed ("" when unknown).
func (c *pageCache) invalidate(floor store.Position, deps ...dep) {
	if len(deps) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	now := c.now()
	for _, d := range deps {
		c.stamps[d] = stamp{seq: c.seq, at: now, floor: floor}
		for key := range c.byDep[d] {
			c.remove(key, c.entries[key])
		}
	}
	// Stamps only matter to loads in flight; forget the old ones so the
	// map stays small under a steady stream of writes.
	if len(c.stamps) > 4096 {
		for d, s := range c.stamps {
			if now.Sub(s.at) > loadHorizon {
				delete(c.stamps, d)
			}
		}
	}
}

// purge drops every page, for changes whose reach is not worth working out.
func (c *pageCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.purged = c.seq
	clear(c.entries)
	clear(c.byDep)
}

// len returns the number of cached pages.
func (c *pageCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
