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

// maxGaps bounds the ids the follower looks for at once.
const maxGaps = 1000

// Follower reads the changes other servers append to the outbox and tells
// them to the log's bus, in the order it reads them.
type Follower struct {
	log    *Log
	last   int
	gaps   map[int]time.Time
	primed bool
}

// Follower returns a follower of the outbox that starts after the changes
// committed when it first polls: a server starting afresh has nothing
// cached that older changes could make stale.
func (l *Log) Follower() *Follower {
	return &Follower{log: l, gaps: map[int]time.Time{}}
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
	if !f.primed {
		last, err := f.log.client.Change.Query().Order(ent.Desc(change.FieldID)).FirstID(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return 0, fmt.Errorf("reading the outbox's end: %w", err)
		}
		f.last, f.primed = last, true
		return 0, nil
	}
	now := time.Now()
	gaps := make([]int, 0, len(f.gaps))
	for id, since := range f.gaps {
		if now.Sub(since) > gapWait {
			delete(f.gaps, id)
			continue
		}
		gaps = append(gaps, id)
	}
	p := change.IDGT(f.last)
	if len(gaps) > 0 {
		p = change.Or(p, change.IDIn(gaps...))
	}
	rows, err := f.log.client.Change.Query().Where(p).Order(ent.Asc(change.FieldID)).Limit(500).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the outbox: %w", err)
	}
	told := 0
	for _, r := range rows {
		delete(f.gaps, r.ID)
		if r.ID > f.last {
			// An outbox empty when the follower started has its first id
			// far above zero (ids are ranged per table), and a jump wider
			// than the gaps kept is no slow transaction.
			if f.last != 0 && r.ID-f.last <= maxGaps {
				for id := f.last + 1; id < r.ID && len(f.gaps) < maxGaps; id++ {
					f.gaps[id] = now
				}
			}
			f.last = r.ID
		}
		if r.Origin == f.log.origin {
			continue
		}
		ch := &Change{ID: r.ID, Operation: r.Operation, Origin: r.Origin, Refs: r.Refs}
		if r.OrganizationID != nil {
			ch.OrgID = *r.OrganizationID
		}
		f.log.bus.tell(ch)
		told++
	}
	return told, nil
}

// Gaps returns the change ids the follower is still looking for, in order.
func (f *Follower) Gaps() []int {
	ids := make([]int, 0, len(f.gaps))
	for id := range f.gaps {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}
