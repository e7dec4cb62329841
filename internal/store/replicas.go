package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"
)

// DefaultMaxReplicaLag is how far behind the primary a replica may be and
// still serve reads.
const DefaultMaxReplicaLag = 5 * time.Second

// replicaCheckInterval is how often each replica's health, lag and
// position are read: a read that must see a write waits on the primary
// at most about this long before the replicas are known to have it.
const replicaCheckInterval = time.Second

// Position is a point in the primary's history, as MariaDB's GTID
// position: one domain-server-sequence triple per replication domain,
// such as "0-1-1204". A replica whose position covers a write's has
// applied it. The empty position is covered by every other.
type Position string

// Covers reports whether p is at or past q in every replication domain of
// q. Sequence numbers are compared within a domain only, whichever server
// wrote them, as MariaDB orders them.
func (p Position) Covers(q Position) bool {
	if q == "" || p == q {
		return true
	}
	have, err := p.domains()
	if err != nil {
		return false
	}
	want, err := q.domains()
	if err != nil {
		return false
	}
	for d, seq := range want {
		if have[d] < seq {
			return false
		}
	}
	return true
}

// ParsePosition checks a position sent by a client.
func ParsePosition(s string) (Position, error) {
	p := Position(strings.TrimSpace(s))
	if _, err := p.domains(); err != nil {
		return "", err
	}
	return p, nil
}

func (p Position) domains() (map[uint64]uint64, error) {
	out := map[uint64]uint64{}
	if p == "" {
		return out, nil
	}
	for _, gtid := range strings.Split(string(p), ",") {
		parts := strings.Split(strings.TrimSpace(gtid), "-")
		if len(parts) != 3 {
			return nil, fmt.Errorf("position %q: each GTID is domain-server-sequence", string(p))
		}
		var n [3]uint64
		for i, s := range parts {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("position %q: %q is not a number", string(p), s)
			}
			n[i] = v
		}
		if n[2] > out[n[0]] {
			out[n[0]] = n[2]
		}
	}
	return out, nil
}

// ReplicaState is what the last check found of one replica.
type ReplicaState struct {
	Name     string // host:port
	Healthy  bool   // replicating, reachable and within the lag allowed
	Lag      time.Duration
	Position Position
	Problem  string // why it is not used, when it is not
	Checked  time.Time
}

// Replica is one read replica: its own pool and the state of its last
// check.
type Replica struct {
	name  string
	db    *sql.DB
	drv   dialect.Driver
	state atomic.Pointer[ReplicaState]
}

// Replicas routes the reads that may be stale by a few seconds to
// replicas that are replicating, reachable and within the allowed lag,
// round robin; everything else goes to the primary.
type Replicas struct {
	list   []*Replica
	maxLag time.Duration
	next   atomic.Uint64
}

func openReplicas(ctx context.Context, dsns []string, maxLag time.Duration, stmts, maxOpen int) (*Replicas, error) {
	if maxLag <= 0 {
		maxLag = DefaultMaxReplicaLag
	}
	rs := &Replicas{maxLag: maxLag}
	for _, dsn := range dsns {
		name, driverDSN, err := parseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("read replica: %w", err)
		}
		if name != dialect.MySQL {
			return nil, fmt.Errorf("read replica %q: replicas are MariaDB servers (mysql://…)", redact(dsn))
		}
		cfg, err := mysql.ParseDSN(driverDSN)
		if err != nil {
			return nil, fmt.Errorf("read replica %q: %w", redact(dsn), err)
		}
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, fmt.Errorf("read replica %q: %w", redact(dsn), err)
		}
		db := sql.OpenDB(cachingConnector{Connector: connector, size: stmts})
		db.SetMaxOpenConns(maxOpen)
		db.SetMaxIdleConns(maxOpen)
		db.SetConnMaxIdleTime(5 * time.Minute)
		r := &Replica{name: cfg.Addr, db: db, drv: entsql.OpenDB(dialect.MySQL, db)}
		r.state.Store(&ReplicaState{Name: r.name, Problem: "not checked yet"})
		rs.list = append(rs.list, r)
	}
	// Known at once, so that the first requests already use them.
	rs.Check(ctx)
	return rs, nil
}

// Run checks the replicas every second until ctx ends.
func (rs *Replicas) Run(ctx context.Context) {
	if rs == nil {
		return
	}
	t := time.NewTicker(replicaCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rs.Check(ctx)
		}
	}
}

// Check reads every replica's state now.
func (rs *Replicas) Check(ctx context.Context) {
	if rs == nil {
		return
	}
	var wg sync.WaitGroup
	for _, r := range rs.list {
		wg.Go(func() {
			was := r.state.Load()
			st := r.check(ctx, rs.maxLag)
			r.state.Store(st)
			if was.Healthy != st.Healthy {
				if st.Healthy {
					slog.InfoContext(ctx, "read replica in use", "replica", r.name, "lag", st.Lag)
				} else {
					slog.WarnContext(ctx, "read replica not used", "replica", r.name, "problem", st.Problem)
				}
			}
		})
	}
	wg.Wait()
}

// check reads one replica's replication status: its threads, its lag
// and the position it has applied (MariaDB's Gtid_Slave_Pos). A replica
// of several primaries is read by its first connection.
func (r *Replica) check(ctx context.Context, maxLag time.Duration) *ReplicaState {
	st := &ReplicaState{Name: r.name, Checked: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, replicaCheckInterval)
	defer cancel()
	// SHOW ALL SLAVES STATUS, unlike SHOW SLAVE STATUS, has the position
	// applied (Gtid_Slave_Pos), not only the one received.
	rows, err := r.db.QueryContext(ctx, "SHOW ALL SLAVES STATUS")
	if err != nil {
		st.Problem = "unreachable: " + err.Error()
		return st
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		st.Problem = err.Error()
		return st
	}
	if !rows.Next() {
		st.Problem = "not replicating (no replication configured)"
		return st
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		st.Problem = err.Error()
		return st
	}
	field := map[string]sql.NullString{}
	for i, c := range cols {
		field[c] = vals[i]
	}
	st.Position = Position(field["Gtid_Slave_Pos"].String)
	switch {
	case field["Slave_SQL_Running"].String != "Yes":
		st.Problem = "replication stopped: " + field["Last_SQL_Error"].String
	case field["Slave_IO_Running"].String != "Yes":
		// Its lag is unknown while it cannot hear the primary.
		st.Problem = "not connected to the primary: " + field["Last_IO_Error"].String
	case !field["Seconds_Behind_Master"].Valid:
		st.Problem = "lag unknown"
	default:
		secs, _ := strconv.Atoi(field["Seconds_Behind_Master"].String)
		st.Lag = time.Duration(secs) * time.Second
		if st.Lag > maxLag {
			st.Problem = fmt.Sprintf("%s behind the primary (allowed: %s)", st.Lag, maxLag)
		} else {
			st.Healthy = true
		}
	}
	return st
}

// States returns what the last checks found, in the order the replicas
// were given.
func (rs *Replicas) States() []ReplicaState {
	if rs == nil {
		return nil
	}
	out := make([]ReplicaState, len(rs.list))
	for i, r := range rs.list {
		out[i] = *r.state.Load()
	}
	return out
}

// down takes a replica out of use until its next check finds it well.
func (r *Replica) down(err error) {
	st := *r.state.Load()
	st.Healthy = false
	st.Problem = "failed a read: " + err.Error()
	r.state.Store(&st)
}

// choose returns a healthy replica that has applied after, round robin,
// or nil.
func (rs *Replicas) choose(after Position) (*Replica, Position) {
	n := uint64(len(rs.list))
	start := rs.next.Add(1)
	for i := range n {
		r := rs.list[(start+i)%n]
		if st := r.state.Load(); st.Healthy && st.Position.Covers(after) {
			return r, st.Position
		}
	}
	return nil, ""
}

func (rs *Replicas) close() error {
	var errs []error
	for _, r := range rs.list {
		errs = append(errs, r.db.Close())
	}
	return errors.Join(errs...)
}

// A request's reads go to a replica only when its context asks for it
// (OnReplica): GraphQL queries and consumer pages do, recordings and the
// background work do not. All the reads of one context go to the replica
// chosen at its first read, so that one answer is read from one point in
// history.
type choiceKey struct{}

type choice struct {
	primary bool
	once    sync.Once
	r       *Replica
	pos     Position
}

type afterKey struct{}

// OnReplica returns a context whose reads may be served by a replica that
// has applied the position ReadAfter put in ctx, if any.
func OnReplica(ctx context.Context) context.Context {
	return context.WithValue(ctx, choiceKey{}, &choice{})
}

// OnPrimary returns a context whose reads go to the primary.
func OnPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, choiceKey{}, &choice{primary: true})
}

// ReadAfter returns a context whose replica reads see at least position p:
// a client's own last write, or a change a cached page must show.
func ReadAfter(ctx context.Context, p Position) context.Context {
	if p == "" {
		return ctx
	}
	if q, _ := ctx.Value(afterKey{}).(Position); q != "" && q.Covers(p) {
		return ctx
	}
	return context.WithValue(ctx, afterKey{}, p)
}

// ReadFrom reports where the reads of a context OnReplica went: the
// replica's position when it was chosen and true, or false for the
// primary (or no read yet).
func ReadFrom(ctx context.Context) (Position, bool) {
	c, _ := ctx.Value(choiceKey{}).(*choice)
	if c == nil || c.r == nil {
		return "", false
	}
	return c.pos, true
}

func (rs *Replicas) pick(ctx context.Context) *Replica {
	c, _ := ctx.Value(choiceKey{}).(*choice)
	if c == nil || c.primary {
		return nil
	}
	c.once.Do(func() {
		after, _ := ctx.Value(afterKey{}).(Position)
		c.r, c.pos = rs.choose(after)
	})
	return c.r
}

// Writes collects what a request committed: whether anything (for an
// Idempotency-Key whose request failed), and the primary's position after
// its recordings, for the client to read its own writes (the
// Suyuan-Read-After header).
type Writes struct {
	mu        sync.Mutex
	pos       Position
	committed bool
}

type writesKey struct{}

// TrackWrites returns a context whose transactions and recordings are
// noted in the returned Writes; within a context that already tracks, the
// same Writes.
func TrackWrites(ctx context.Context) (context.Context, *Writes) {
	if w, _ := ctx.Value(writesKey{}).(*Writes); w != nil {
		return ctx, w
	}
	w := &Writes{}
	return context.WithValue(ctx, writesKey{}, w), w
}

// NoteWrite records that a write of ctx's request reached position p.
func NoteWrite(ctx context.Context, p Position) {
	if w, _ := ctx.Value(writesKey{}).(*Writes); w != nil && p != "" {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.pos.Covers(p) {
			w.pos = p
		}
	}
}

// noteCommit records that a transaction of ctx's request committed.
func noteCommit(ctx context.Context) {
	if w, _ := ctx.Value(writesKey{}).(*Writes); w != nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.committed = true
	}
}

// Committed reports whether a transaction of the request committed.
func (w *Writes) Committed() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.committed
}

// Position returns the position of the request's last write, or "".
func (w *Writes) Position() Position {
	if w == nil {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pos
}

// routingDriver sends reads of a context OnReplica to a replica; writes,
// transactions and every other read go to the primary. A replica that
// fails a read with the database unavailable is taken out of use and the
// read is served by the primary.
type routingDriver struct {
	dialect.Driver // the primary
	rs             *Replicas
}

func (d *routingDriver) Query(ctx context.Context, query string, args, v any) error {
	if r := d.rs.pick(ctx); r != nil && !writes(query) {
		err := r.drv.Query(ctx, query, args, v)
		if !Unavailable(err) {
			return err
		}
		r.down(err)
	}
	return d.Driver.Query(ctx, query, args, v)
}

func (d *routingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if r := d.rs.pick(ctx); r != nil && !writes(query) {
		rows, err := r.db.QueryContext(ctx, query, args...)
		if !Unavailable(err) {
			return rows, err
		}
		r.down(err)
	}
	return d.Driver.(queryExecer).QueryContext(ctx, query, args...)
}

func (d *routingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.Driver.(queryExecer).ExecContext(ctx, query, args...)
}

// Position returns the primary's position now (@@gtid_binlog_pos): a
// replica that covers it has every transaction committed before the call.
// Without replicas there is nothing to compare it with, and it is "".
func (db *DB) Position(ctx context.Context) (Position, error) {
	if db.Replicas == nil {
		return "", nil
	}
	var rows entsql.Rows
	if err := db.drv.Query(OnPrimary(ctx), "SELECT @@gtid_binlog_pos", []any{}, &rows); err != nil {
		return "", fmt.Errorf("reading the primary's position: %w", err)
	}
	defer rows.Close()
	var p sql.NullString
	if rows.Next() {
		if err := rows.Scan(&p); err != nil {
			return "", fmt.Errorf("reading the primary's position: %w", err)
		}
	}
	return Position(p.String), rows.Err()
}
