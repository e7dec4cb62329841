// Package scan records consumers' views of a code's page — the scans —
// without slowing the page down: Record only puts the scan on a bounded
// queue, and a background loop (Run) writes the queue to the database in
// batches, one transaction each, together with the per-batch and per-code
// counters that dashboards read.
//
// A scan keeps no personal data. The client's address is reduced to a
// coarse region through a configurable prefix table, and address and user
// agent to a keyed hash, both in Record, so that the raw values never leave
// the request's goroutine.
package scan

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"suyuan/ent/batch"
	"suyuan/ent/scanevent"
	"suyuan/ent/tracecode"
)

// Scan is one view of a page, as the page handler knows it.
type Scan struct {
	BatchID int
	// TraceCodeID is the issued code that was scanned, when the page was
	// reached through one (an opaque code or a serialised Digital Link).
	TraceCodeID *int
	At          time.Time
	// RemoteIP is the client's address, with or without a port.
	RemoteIP  string
	UserAgent string
}

// Options configure a Recorder. Zero values take the defaults below.
type Options struct {
	// Secret keys the client hash. The same secret gives the same hash for
	// the same client across restarts; an empty one gives a random key per
	// process.
	Secret []byte
	// Regions maps client addresses to regions; nil records region "".
	Regions *Regions
	// Queue is how many scans may wait for the writer; beyond it scans are
	// dropped and counted (see Stats).
	Queue int
	// BatchSize is how many scans one transaction writes at most; a full
	// batch is written at once, without waiting for Interval.
	BatchSize int
	// Interval is how long a scan may wait before it is written.
	Interval time.Duration
	// Logger receives write failures; nil means slog.Default.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultQueue = 20000
	// DefaultBatchSize amortises the index pages a batch dirties: the
	// scans of a busy minute touch the same few hundred codes, and a
	// batch writes each of their pages once however many scans it holds.
	DefaultBatchSize = 2000
	DefaultInterval  = 500 * time.Millisecond
	// flushTimeout bounds one write, so a stuck database cannot hold the
	// loop (or a shutdown) for ever.
	flushTimeout = 15 * time.Second
	// maxRowsPerStatement keeps each INSERT and UPDATE far below the
	// placeholder limits of SQLite (32,766) and MySQL (65,535).
	maxRowsPerStatement = 500
	// hashLen is the length of the stored client hash, in hex digits.
	hashLen = 32
)

// Stats count what happened to the scans given to Record.
type Stats struct {
	// Recorded scans were written.
	Recorded int64
	// Dropped scans found the queue full.
	Dropped int64
	// Failed scans were lost to a failed write.
	Failed int64
}

// Recorder queues scans and writes them in batches. Its methods are safe
// for concurrent use; one Run at a time does the writing.
type Recorder struct {
	db        *sql.DB
	key       []byte
	regions   *Regions
	queue     chan event
	syncs     chan chan error
	batchSize int
	interval  time.Duration
	log       *slog.Logger
	running   atomic.Bool

	recorded, dropped, failed atomic.Int64
}

// event is a scan reduced to what is stored.
type event struct {
	batchID int
	codeID  *int
	at      time.Time
	region  string
	client  string
}

// New returns a Recorder writing to db, a Suyuan database (SQLite or
// MySQL) with the scan_events table. Nothing is written until Run is
// called.
func New(db *sql.DB, opts Options) *Recorder {
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	secret := opts.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		rand.Read(secret) // never fails: crypto/rand panics instead
	}
	// Derive the hash key rather than use the secret itself: the secret
	// may be shared with other uses (token signing), and a derived key
	// keeps a client hash from ever being a signature over anything.
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("suyuan scan client hash v1"))
	return &Recorder{
		db:        db,
		key:       m.Sum(nil),
		regions:   opts.Regions,
		queue:     make(chan event, opts.Queue),
		syncs:     make(chan chan error),
		batchSize: opts.BatchSize,
		interval:  opts.Interval,
		log:       opts.Logger,
	}
}

// Record queues a scan and returns at once; it reports false when the
// queue was full and the scan was dropped. A nil Recorder drops silently,
// so a page handler need not check whether scans are recorded.
func (r *Recorder) Record(s Scan) bool {
	if r == nil {
		return false
	}
	if s.At.IsZero() {
		s.At = time.Now()
	}
	addr := parseAddr(s.RemoteIP)
	e := event{
		batchID: s.BatchID,
		codeID:  s.TraceCodeID,
		at:      s.At.UTC(),
		region:  r.regions.Lookup(addr),
		client:  r.clientHash(addr, s.UserAgent),
	}
	select {
	case r.queue <- e:
		return true
	default:
		r.dropped.Add(1)
		return false
	}
}

// ClientHash returns the stored hash of a client: HMAC-SHA256 under the
// recorder's key of the canonical address, a newline and the user agent,
// in hex, cut to 32 digits. It is exported for tests and for tools that
// look for one client's scans.
func (r *Recorder) ClientHash(remoteIP, userAgent string) string {
	return r.clientHash(parseAddr(remoteIP), userAgent)
}

func (r *Recorder) clientHash(addr netip.Addr, userAgent string) string {
	ip := ""
	if addr.IsValid() {
		ip = addr.String()
	}
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(ip))
	m.Write([]byte{'\n'})
	m.Write([]byte(userAgent))
	return hex.EncodeToString(m.Sum(nil))[:hashLen]
}

// parseAddr accepts "ip", "ip:port" and "[ip]:port"; anything else gives
// the invalid Addr, which has no region.
func parseAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// Stats returns the counts so far.
func (r *Recorder) Stats() Stats {
	return Stats{Recorded: r.recorded.Load(), Dropped: r.dropped.Load(), Failed: r.failed.Load()}
}

// ErrRunning is returned by a second concurrent Run.
var ErrRunning = errors.New("scan recorder is already running")

// Run writes queued scans until ctx ends, in batches of at most BatchSize,
// at least every Interval while scans wait. When ctx ends it writes what is
// queued and returns that last write's error, or nil. A failed write is
// logged and its scans are counted as failed; Run goes on, so that a
// database outage costs scans, never pages.
func (r *Recorder) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer r.running.Store(false)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	pending := make([]event, 0, r.batchSize)
	write := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := r.write(ctx, pending)
		pending = pending[:0]
		return err
	}
	// drain moves what is queued now into pending, writing full batches.
	drain := func() error {
		var errs []error
		for {
			select {
			case e := <-r.queue:
				pending = append(pending, e)
				if len(pending) >= r.batchSize {
					errs = append(errs, write())
				}
			default:
				errs = append(errs, write())
				return errors.Join(errs...)
			}
		}
	}
	for {
		select {
		case e := <-r.queue:
			pending = append(pending, e)
			if len(pending) >= r.batchSize {
				write()
			}
		case <-tick.C:
			write()
		case reply := <-r.syncs:
			reply <- drain()
		case <-ctx.Done():
			return drain()
		}
	}
}

// Sync writes every scan queued before it was called and returns the
// writes' error. It needs Run to be running, and waits for it until ctx
// ends. Tests use it to read what pages recorded.
func (r *Recorder) Sync(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case r.syncs <- reply:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write stores events in one transaction: the scan rows, then the batch
// and code counters. It speaks SQL to the database directly rather than
// through Ent mutations, on purpose: a scan is not a change of the batch,
// so it must neither touch updated_at nor fire the hooks that invalidate
// cached pages. The statements are plain enough for SQLite and MySQL alike.
func (r *Recorder) write(ctx context.Context, events []event) (err error) {
	// The write outlives a cancelled Run context: shutdown flushes.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	defer func() {
		if err != nil {
			r.failed.Add(int64(len(events)))
			r.log.Error("writing scans", "scans", len(events), "error", err.Error())
			return
		}
		r.recorded.Add(int64(len(events)))
	}()

	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	if err := writeTx(ctx, tx, events); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing scans: %w", err)
	}
	return nil
}

// insertScans is the head of the multi-row INSERT of scan events.
var insertScans = fmt.Sprintf("INSERT INTO %s (%s, %s, %s, %s, %s) VALUES ",
	scanevent.Table, scanevent.FieldBatchID, scanevent.FieldTraceCodeID,
	scanevent.FieldScannedAt, scanevent.FieldRegionCode, scanevent.FieldClientHash)

func writeTx(ctx context.Context, tx *sql.Tx, events []event) error {
	batches := map[int]int64{}
	codes := map[int]int64{}
	for start := 0; start < len(events); start += maxRowsPerStatement {
		chunk := events[start:min(start+maxRowsPerStatement, len(events))]
		var q strings.Builder
		q.WriteString(insertScans)
		args := make([]any, 0, 5*len(chunk))
		for i, e := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?)")
			var code any // NULL unless a code was scanned
			if e.codeID != nil {
				code = *e.codeID
				codes[*e.codeID]++
			}
			args = append(args, e.batchID, code, e.at, e.region, e.client)
			batches[e.batchID]++
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("inserting scan events: %w", err)
		}
	}
	if err := addCounts(ctx, tx, batch.Table, batch.FieldID, batch.FieldScanCount, batches); err != nil {
		return err
	}
	return addCounts(ctx, tx, tracecode.Table, tracecode.FieldID, tracecode.FieldScanCount, codes)
}

// addCounts adds n[id] to the counter column of each row, in one UPDATE
// per maxRowsPerStatement ids:
//
//	UPDATE t SET c = c + CASE id WHEN ? THEN ? … END WHERE id IN (?, …)
//
// Ids go in ascending order, so that the writers of several servers lock
// shared rows in the same order and cannot deadlock one another.
func addCounts(ctx context.Context, tx *sql.Tx, table, idCol, countCol string, n map[int]int64) error {
	ids := make([]int, 0, len(n))
	for id := range n {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for start := 0; start < len(ids); start += maxRowsPerStatement {
		chunk := ids[start:min(start+maxRowsPerStatement, len(ids))]
		var q strings.Builder
		args := make([]any, 0, 3*len(chunk))
		fmt.Fprintf(&q, "UPDATE %s SET %s = %s + CASE %s", table, countCol, countCol, idCol)
		for _, id := range chunk {
			q.WriteString(" WHEN ? THEN ?")
			args = append(args, id, n[id])
		}
		fmt.Fprintf(&q, " ELSE 0 END WHERE %s IN (", idCol)
		for i, id := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('?')
			args = append(args, id)
		}
		q.WriteByte(')')
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("adding to %s.%s: %w", table, countCol, err)
		}
	}
	return nil
}
