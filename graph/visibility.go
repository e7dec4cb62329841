package graph

import (
	"context"
	"fmt"

	"suyuan/ent/batch"
	"suyuan/ent/shelfevent"
	"suyuan/ent/shipment"
	"suyuan/internal/errcode"
	"suyuan/internal/tenancy"
	"suyuan/internal/trace"
	"suyuan/internal/viewer"
)

// The traceability views are read with plain SQL, beneath Ent's privacy
// policies, so what they return is filtered here through the same
// policies: one query per kind of row for all the views of a request.

// visibleSet returns which of ids the viewer may see, by asking Ent — and
// so the tenancy rules — with a query of the given kind.
func visibleSet(ids []int, query func([]int) ([]int, error)) (map[int]bool, error) {
	out := make(map[int]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	seen, err := query(ids)
	if err != nil {
		return nil, fmt.Errorf("checking visibility: %w", err)
	}
	for _, id := range seen {
		out[id] = true
	}
	return out, nil
}

func (r *Resolver) visibleBatches(ctx context.Context, ids []int) (map[int]bool, error) {
	return visibleSet(ids, func(ids []int) ([]int, error) {
		return r.client.Batch.Query().Where(batch.IDIn(ids...)).IDs(ctx)
	})
}

func (r *Resolver) visibleShipments(ctx context.Context, ids []int) (map[int]bool, error) {
	return visibleSet(ids, func(ids []int) ([]int, error) {
		return r.client.Shipment.Query().Where(shipment.IDIn(ids...)).IDs(ctx)
	})
}

func (r *Resolver) visibleShelfEvents(ctx context.Context, ids []int) (map[int]bool, error) {
	return visibleSet(ids, func(ids []int) ([]int, error) {
		return r.client.ShelfEvent.Query().Where(shelfevent.IDIn(ids...)).IDs(ctx)
	})
}

// unrestricted reports whether the viewer sees every row.
func unrestricted(ctx context.Context) bool {
	v := viewer.FromContext(ctx)
	return v != nil && v.Role == viewer.Admin
}

// filterLineages removes from lineages the batches, edges, shipments and
// shelf events the viewer may not see, and drops lineages whose root it
// may not see. A downstream lineage is left whole for whoever answers for
// its root (tenancy.AnswersFor: its producer, the regulators who see it):
// it reaches what the root's recall impact shows them.
func (r *Resolver) filterLineages(ctx context.Context, ls map[int]*trace.Lineage) error {
	if unrestricted(ctx) || len(ls) == 0 {
		return nil
	}
	var bids, sids, eids []int
	for _, l := range ls {
		bids = append(bids, l.Root.ID)
		for _, n := range l.Nodes {
			bids = append(bids, n.Batch.ID)
		}
		for _, s := range l.Shipments {
			sids = append(sids, s.ShipmentID)
		}
		for _, e := range l.ShelfEvents {
			eids = append(eids, e.ID)
		}
	}
	vb, err := r.visibleBatches(ctx, bids)
	if err != nil {
		return err
	}
	vs, err := r.visibleShipments(ctx, sids)
	if err != nil {
		return err
	}
	ve, err := r.visibleShelfEvents(ctx, eids)
	if err != nil {
		return err
	}
	for id, l := range ls {
		if !vb[l.Root.ID] {
			delete(ls, id)
			continue
		}
		if l.Direction == trace.Downstream && tenancy.AnswersFor(ctx, l.Root.Producer.ID) {
			continue
		}
		l.Nodes = keep(l.Nodes, func(n trace.Node) bool { return vb[n.Batch.ID] })
		l.Edges = keep(l.Edges, func(e trace.Edge) bool { return vb[e.InputID] && vb[e.OutputID] })
		l.Shipments = keep(l.Shipments, func(s trace.Leg) bool { return vs[s.ShipmentID] })
		l.ShelfEvents = keep(l.ShelfEvents, func(e trace.Placement) bool { return ve[e.ID] })
	}
	return nil
}

// filterJourneys keeps the legs of shipments the viewer may see.
func (r *Resolver) filterJourneys(ctx context.Context, js map[int][]trace.Leg) error {
	if unrestricted(ctx) || len(js) == 0 {
		return nil
	}
	var sids []int
	for _, legs := range js {
		for _, l := range legs {
			sids = append(sids, l.ShipmentID)
		}
	}
	vs, err := r.visibleShipments(ctx, sids)
	if err != nil {
		return err
	}
	for id, legs := range js {
		js[id] = keep(legs, func(l trace.Leg) bool { return vs[l.ShipmentID] })
	}
	return nil
}

// mayRecall refuses, as not found, a recall impact the viewer may not see.
func (r *Resolver) mayRecall(ctx context.Context, batchID int) error {
	ok, err := tenancy.ProducerOrRegulator(ctx, r.client, batchID)
	if err != nil {
		return err
	}
	if !ok {
		return errcode.Field(errcode.NotFound, "batchID", "batch not found")
	}
	return nil
}

func keep[T any](xs []T, ok func(T) bool) []T {
	out := xs[:0]
	for _, x := range xs {
		if ok(x) {
			out = append(out, x)
		}
	}
	return out
}
