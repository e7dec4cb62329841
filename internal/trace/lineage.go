package trace

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"suyuan/internal/errcode"
)

// walkQuery is one bounded recursive query over batch_inputs that walks
// from every root at once and reads, with each edge, the batch at its far
// end; the roots themselves come first, as rows of depth 0. UNION (not
// UNION ALL) drops repeated rows of the walk, and the depth bound stops
// cycles in bad data. MySQL 8, MariaDB 10.2+ and SQLite all run it. Its
// arguments are the roots, the depth bound and the roots again.
func walkQuery(dir Direction, list string, omit Omit) string {
	from, to := "output_id", "input_id" // upstream: from a batch to its inputs
	if dir == Downstream {
		from, to = to, from
	}
	return fmt.Sprintf(`WITH RECURSIVE walk(root, parent, child, quantity, unit, depth) AS (
  SELECT %[1]s, %[1]s, %[2]s, quantity, unit, 1 FROM batch_inputs WHERE %[1]s IN %[3]s
  UNION
  SELECT w.root, bi.%[1]s, bi.%[2]s, bi.quantity, bi.unit, w.depth + 1
  FROM batch_inputs bi JOIN walk w ON bi.%[1]s = w.child
  WHERE w.depth < ?
),
reached(root, parent, child, quantity, unit, depth) AS (
  SELECT id, id, id, 0, '', 0 FROM batches WHERE id IN %[3]s
  UNION ALL
  SELECT root, parent, child, quantity, unit, MIN(depth) FROM walk
  GROUP BY root, parent, child, quantity, unit
)
SELECT r.root, r.parent, r.depth, r.quantity, r.unit, %[4]s
FROM reached r
JOIN batches b ON b.id = r.child%[5]s`, from, to, list, batchColumns(omit), batchJoins(omit))
}

// CheckDepth validates a requested maximum depth, applying the default.
func CheckDepth(maxDepth *int) (int, error) {
	if maxDepth == nil {
		return DefaultMaxDepth, nil
	}
	if *maxDepth < 1 || *maxDepth > MaxMaxDepth {
		return 0, errcode.Field(errcode.BadUserInput, "maxDepth", "maxDepth must be between 1 and %d", MaxMaxDepth)
	}
	return *maxDepth, nil
}

// Lineages walks from each root in one direction, at most maxDepth levels,
// and returns each root's lineage keyed by root id; roots that do not exist
// are absent. It issues a fixed number of statements whatever the number
// of roots and the size of their graphs: the walk with its batches, and
// downstream the shipments and the shelf events.
func (r *Reader) Lineages(ctx context.Context, roots []int, dir Direction, maxDepth int) (map[int]*Lineage, error) {
	roots = unique(roots)
	out := make(map[int]*Lineage, len(roots))
	if len(roots) == 0 {
		return out, nil
	}
	list, rootArgs := in(roots)
	// Walk one level further than asked, to learn whether the graph goes on.
	args := make([]any, 0, 2*len(rootArgs)+1)
	args = append(append(append(args, rootArgs...), maxDepth+1), rootArgs...)
	type row struct {
		root int
		e    Edge
	}
	var (
		rows    []row
		batches = map[int]*Batch{}
		o       = omitted(ctx)
	)
	err := r.query(ctx, walkQuery(dir, list, o), args, func(rs *sql.Rows) error {
		var (
			w      row
			parent int
		)
		b, err := r.scanBatch(rs, o, &w.root, &parent, &w.e.Depth, &w.e.Quantity, &w.e.Unit)
		if err != nil {
			return err
		}
		batches[b.ID] = b // a batch reached twice is read the same each time
		if w.e.Depth == 0 {
			return nil // a root
		}
		w.e.OutputID, w.e.InputID = parent, b.ID
		if dir == Downstream {
			w.e.OutputID, w.e.InputID = b.ID, parent
		}
		rows = append(rows, w)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking lineage: %w", err)
	}
	for _, id := range roots {
		if b, ok := batches[id]; ok {
			out[id] = &Lineage{Root: b, Direction: dir, MaxDepth: maxDepth}
		}
	}

	depth := make(map[[2]int]int) // (root, batch) → shortest depth
	for _, w := range rows {
		l, ok := out[w.root]
		if !ok {
			continue
		}
		if w.e.Depth > maxDepth {
			l.Truncated = true
			continue
		}
		l.Edges = append(l.Edges, w.e)
		far := w.e.InputID
		if dir == Downstream {
			far = w.e.OutputID
		}
		k := [2]int{w.root, far}
		if d, seen := depth[k]; !seen || w.e.Depth < d {
			depth[k] = w.e.Depth
		}
	}
	for k, d := range depth {
		l := out[k[0]]
		if k[1] == k[0] {
			continue // a cycle back to the root
		}
		if b, ok := batches[k[1]]; ok {
			l.Nodes = append(l.Nodes, Node{Depth: d, Batch: b})
		}
	}
	for _, l := range out {
		sort.Slice(l.Nodes, func(i, j int) bool {
			a, b := l.Nodes[i], l.Nodes[j]
			if a.Depth != b.Depth {
				return a.Depth < b.Depth
			}
			return a.Batch.ID < b.Batch.ID
		})
		sort.Slice(l.Edges, func(i, j int) bool {
			a, b := l.Edges[i], l.Edges[j]
			if a.Depth != b.Depth {
				return a.Depth < b.Depth
			}
			if a.OutputID != b.OutputID {
				return a.OutputID < b.OutputID
			}
			return a.InputID < b.InputID
		})
	}
	if dir == Downstream {
		if err := r.addMovements(ctx, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// addMovements fills the shipments and shelf events of every batch of
// every downstream lineage, with one query for each (none for what the
// context omits: OmitShipments, OmitShelfEvents).
func (r *Reader) addMovements(ctx context.Context, ls map[int]*Lineage) error {
	var ids []int
	for _, l := range ls {
		ids = append(ids, l.Root.ID)
		for _, n := range l.Nodes {
			ids = append(ids, n.Batch.ID)
		}
	}
	var (
		legs    map[int][]Leg
		shelves map[int][]Placement
		err     error
	)
	if !omitted(ctx).has(OmitShipments) {
		if legs, err = r.Journeys(ctx, ids); err != nil {
			return err
		}
	}
	if !omitted(ctx).has(OmitShelfEvents) {
		if shelves, err = r.Placements(ctx, ids); err != nil {
			return err
		}
	}
	for _, l := range ls {
		l.Shipments = append(l.Shipments, legs[l.Root.ID]...)
		l.ShelfEvents = append(l.ShelfEvents, shelves[l.Root.ID]...)
		for _, n := range l.Nodes {
			l.Shipments = append(l.Shipments, legs[n.Batch.ID]...)
			l.ShelfEvents = append(l.ShelfEvents, shelves[n.Batch.ID]...)
		}
	}
	return nil
}

// Lineage walks from one batch; a batch that does not exist is NOT_FOUND.
func (r *Reader) Lineage(ctx context.Context, batchID int, dir Direction, maxDepth int) (*Lineage, error) {
	ls, err := r.Lineages(ctx, []int{batchID}, dir, maxDepth)
	if err != nil {
		return nil, err
	}
	l, ok := ls[batchID]
	if !ok {
		return nil, errcode.Field(errcode.NotFound, "batchID", "batch not found")
	}
	return l, nil
}
