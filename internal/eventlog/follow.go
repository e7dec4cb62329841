package eventlog

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"suyuan/ent"
	"suyuan/ent/change"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// gapWait is how long the follower keeps looking for a change id below
// the highest it has read. Ids are taken when a transaction inserts its
// change and become visible when it commits, so a slower transaction can
// show a lower id after a faster one's higher; ids never seen are those
// of rolled-back transactions (or, in a Galera cluster, the other nodes'
// auto-increment offsets) and are given up after this long.
const gapWait = 30 * time.Second

// maxGaps bounds the ids the follower looks for at once, per step of the
// database's ids. On a Galera node ids go in steps of the cluster's size
// and each node skips the ids the others' counters are at, so most ids
// below the highest read are never used by anyone; the bound grows with
// the step so that those do not crowd out the ids of slow transactions.
const maxGaps = 1000

// Cursor reads the outbox in the order of its ids without missing a
// change that commits after one with a higher id: ids it skipped are
// looked for again until gapWait has passed.
type Cursor struct {
	client *ent.Client
	last   int
	gaps   map[int]time.Time
}

// CursorAfter returns a cursor that reads the changes after position.
func (l *Log) CursorAfter(position int) *Cursor {
	return &Cursor{client: l.client, last: position, gaps: map[int]time.Time{}}
}

// Next reads up to limit changes committed since the last read, in the
// order of their ids.
func (c *Cursor) Next(ctx context.Context, limit int) ([]*ent.Change, error) {
	now := time.Now()
	gaps := make([]int, 0, len(c.gaps))
	for id, since := range c.gaps {
		if now.Sub(since) > gapWait {
			delete(c.gaps, id)
			continue
		}
		gaps = append(gaps, id)
	}
	p := change.IDGT(c.last)
	if len(gaps) > 0 {
		p = change.Or(p, change.IDIn(gaps...))
	}
	rows, err := c.client.Change.Query().Where(p).Order(ent.Asc(change.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	kept := maxGaps * max(c.client.IDStep, 1)
	for _, r := range rows {
		delete(c.gaps, r.ID)
		if r.ID > c.last {
			// An outbox empty when the cursor started has its first id
			// far above zero (ids are ranged per table), and a jump wider
			// than the gaps kept is no slow transaction.
			if c.last != 0 && r.ID-c.last <= kept {
				for id := c.last + 1; id < r.ID && len(c.gaps) < kept; id++ {
					c.gaps[id] = now
				}
			}
			c.last = r.ID
		}
	}
	return rows, nil
}

// Position is the id up to which every change has been read or given
// up: where a cursor restarting afresh would start without missing one.
func (c *Cursor) Position() int {
	pos := c.last
	for id := range c.gaps {
		if id-1 < pos {
			pos = id - 1
		}
	}
	return pos
}

// Gaps returns the change ids the cursor is still looking for, in order.
func (c *Cursor) Gaps() []int {
	ids := make([]int, 0, len(c.gaps))
	for id := range c.gaps {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// Follower reads the changes other servers append to the outbox and tells
// them to the log's bus, in the order it reads them.
type Follower struct {
	log *Log
	cur *Cursor
}

// Follower returns a follower of the outbox that starts after the changes
// committed when it first polls: a server starting afresh has nothing
// cached that older changes could make stale.
func (l *Log) Follower() *Follower {
	return &Follower{log: l}
}

// Run polls every interval until ctx ends, logging (not stopping on)
// failures: the database may be away for a while.
func (f *Follower) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := f.Poll(ctx); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "following the outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll reads the changes committed since the last poll and tells the bus
// those of other servers; it returns how many it told.
func (f *Follower) Poll(ctx context.Context) (int, error) {
	ctx = store.Uncounted(tenancy.System(ctx))
	if f.cur == nil {
		last, err := f.log.client.Change.Query().Order(ent.Desc(change.FieldID)).FirstID(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return 0, fmt.Errorf("reading the outbox's end: %w", err)
		}
		f.cur = f.log.CursorAfter(last)
		return 0, nil
	}
	rows, err := f.cur.Next(ctx, 500)
	if err != nil {
		return 0, err
	}
	// Read after the rows: every change among them had committed.
	var after store.Position
	if len(rows) > 0 {
		after = f.log.position(ctx)
	}
	told := 0
	for _, r := range rows {
		if r.Origin == f.log.origin {
			continue
		}
		ch := AsChange(r)
		ch.After = after
		f.log.bus.tell(ch)
		told++
	}
	return told, nil
}

// AsChange is the change an outbox row records.
func AsChange(r *ent.Change) *Change {
	ch := &Change{ID: r.ID, Operation: r.Operation, Origin: r.Origin, Refs: r.Refs}
	if r.OrganizationID != nil {
		ch.OrgID = *r.OrganizationID
	}
	return ch
}

// Gaps returns the change ids the follower is still looking for, in order.
func (f *Follower) Gaps() []int {
	if f.cur == nil {
		return nil
	}
	return f.cur.Gaps()
}
