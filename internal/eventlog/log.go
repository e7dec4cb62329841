// Package eventlog is the one path every recording takes, and the
// append-only log it writes: who acts, the transaction, the EPCIS events
// that say what happened, the audit entry, and the change — the outbox
// entry that whatever reacts to recordings follows (page caches, other
// servers, deliverers). The tables that answer trace, lineage, stock and
// dashboards are projections the recording's own code writes in the same
// transaction; the log is what happened, in order, never rewritten.
//
// Adding a kind of recording means: an operation calling Log.Record, the
// events its rows map to (Recording.Event), the rows it changed
// (Recording.Changed), and its entry in Operations. docs/EPCIS.md says
// where each goes.
package eventlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"suyuan/ent"
	"suyuan/internal/audit"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/idempotency"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// Log records through the one recording path and tells its subscribers of
// every change, its own at once and other servers' as it follows them.
type Log struct {
	client    *ent.Client
	now       func() time.Time
	origin    string
	bus       *Bus
	positions func(context.Context) (store.Position, error)
}

// New returns the log over client. now tells the time (nil: time.Now).
func New(client *ent.Client, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	var b [8]byte
	rand.Read(b[:])
	return &Log{client: client, now: now, origin: hex.EncodeToString(b[:]), bus: &Bus{}}
}

// TrackPositions makes the log read the primary's position after each
// change it records or follows (store.DB.Position), for read replicas:
// the recording's client reads its own write (store.NoteWrite), and a
// cached page is not reloaded from a replica behind the change
// (Change.After). Call it before the log is used.
func (l *Log) TrackPositions(position func(context.Context) (store.Position, error)) {
	l.positions = position
}

// position reads the primary's position for a committed change; on
// failure the change's position stays unknown, which those who compare
// with it take as not yet applied anywhere.
func (l *Log) position(ctx context.Context) store.Position {
	if l.positions == nil {
		return ""
	}
	p, err := l.positions(ctx)
	if err != nil {
		slog.WarnContext(ctx, "reading the primary's position after a change", "err", err)
	}
	return p
}

// Bus is where the log's changes are told.
func (l *Log) Bus() *Bus { return l.bus }

// Origin names this process among the servers writing the log.
func (l *Log) Origin() string { return l.origin }

// Now tells the log's time.
func (l *Log) Now() time.Time { return l.now() }

// Recording collects, while a recording runs, what the path writes after
// it: the events, the rows changed and the audit entry.
type Recording struct {
	op      string
	events  []pending
	refs    []string
	seen    map[string]bool
	audited bool
	entity  string
	id      int
	fields  []string
}

// pending is an event with what indexes it beyond its own fields.
type pending struct {
	e       epcis.Event
	parties []int
	regions []string
}

// Event adds an event to the recording; parties are the organisations
// party to it and regions the region codes where it happened — who may
// read it beside administrators (docs/SECURITY.md).
func (r *Recording) Event(e epcis.Event, parties []int, regions ...string) {
	r.events = append(r.events, pending{e: e, parties: parties, regions: regions})
}

// Changed names projection rows the recording created or changed, so that
// what shows them (a consumer page) is refreshed.
func (r *Recording) Changed(typ string, ids ...int) {
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	for _, id := range ids {
		ref := Ref(typ, id)
		if !r.seen[ref] {
			r.seen[ref] = true
			r.refs = append(r.refs, ref)
		}
	}
}

// raisedAlert names, among a change's refs, an alert the recording raised
// or reopened: whoever follows the log tells its subscribers of it
// (alert.Broker), on this server and on the others.
const raisedAlert = "RaisedAlert"

// Raised names the alerts the recording raised or reopened.
func (r *Recording) Raised(ids ...int) { r.Changed(raisedAlert, ids...) }

// RaisedAlerts returns the ids of the alerts the change raised.
func (c *Change) RaisedAlerts() []int {
	var ids []int
	for _, ref := range c.Refs {
		if rest, ok := strings.CutPrefix(ref, raisedAlert+":"); ok {
			if id, err := strconv.Atoi(rest); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Audit names the entity the audit entry is about and its changed fields.
func (r *Recording) Audit(entity string, id int, fields []string) {
	r.audited, r.entity, r.id, r.fields = true, entity, id, fields
}

// Events returns how many events the recording holds so far.
func (r *Recording) Events() int { return len(r.events) }

// Ref is how a change names a projection row.
func Ref(typ string, id int) string { return fmt.Sprintf("%s:%d", typ, id) }

// Record runs the recording op: in one transaction, fn writes its rows
// and adds its events, then the path appends the events and the change
// and writes the audit entry. Once committed, the change is told to the
// bus. ctx must carry who acts; fn runs with the system's privileges
// (operations see the rows they refer to across tenants and decide
// themselves whether the actor may make the change). A transaction the
// database aborted as a deadlock or certification conflict runs again.
func (l *Log) Record(ctx context.Context, op string, fn func(ctx context.Context, tx *ent.Tx, rec *Recording) error) (*Change, error) {
	logs, ok := OperationLogs(op)
	if !ok {
		return nil, fmt.Errorf("recording %q: not a recording operation", op)
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "log in to record data")
	}
	sys := tenancy.System(ctx)
	var ch *Change
	err := store.InTx(sys, l.client, func(tx *ent.Tx) error {
		rec := &Recording{op: op}
		if err := fn(sys, tx, rec); err != nil {
			return err
		}
		if logs == Events && len(rec.events) == 0 {
			return fmt.Errorf("recording %q: it logged no event", op)
		}
		var err error
		ch, err = l.append(sys, tx, v, rec)
		if err != nil {
			return err
		}
		if err := idempotency.Recorded(sys, tx); err != nil {
			return err
		}
		if rec.audited {
			return audit.Write(sys, tx, op, rec.entity, rec.id, rec.fields)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if ch.After = l.position(ctx); ch.After != "" {
		store.NoteWrite(ctx, ch.After)
	}
	l.bus.tell(ch)
	return ch, nil
}
