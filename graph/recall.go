package graph

import (
	"context"
	"sort"

	"github.com/graph-gophers/dataloader/v7"

	"suyuan/graph/model"
	"suyuan/internal/quantity"
	"suyuan/internal/recall"
	"suyuan/internal/trace"
)

// newProgressLoader batches the progress of the recalls on one page: the
// places and shelves of all of them, then the public facts of their
// stores and batches, in four statements.
func newProgressLoader(r *Resolver, recalls *siblings) *dataloader.Loader[int, *model.RecallProgress] {
	progress := newFetched[int, *model.RecallProgress]()
	return dataloader.NewBatchedLoader(func(ctx context.Context, ids []int) []*dataloader.Result[*model.RecallProgress] {
		return progress.load(ids,
			func(missing []int) []int {
				return recalls.with(missing, func(id int) bool { _, ok := progress.vals[id]; return ok })
			},
			func(ids []int) (map[int]*model.RecallProgress, error) { return r.recallProgress(ctx, ids) })
	}, dataloader.WithWait[int, *model.RecallProgress](loaderWait))
}

func (r *Resolver) recallProgress(ctx context.Context, ids []int) (map[int]*model.RecallProgress, error) {
	loaded, err := recall.Load(ctx, r.client, ids)
	if err != nil {
		return nil, err
	}
	var facilityIDs, batchIDs []int
	for _, p := range loaded {
		for _, pl := range p.Places {
			facilityIDs = append(facilityIDs, pl.FacilityID)
			batchIDs = append(batchIDs, pl.BatchID)
		}
	}
	facilities, err := r.reader.Facilities(ctx, facilityIDs)
	if err != nil {
		return nil, err
	}
	batches, err := r.reader.Batches(ctx, batchIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*model.RecallProgress, len(loaded))
	for id, p := range loaded {
		m := &model.RecallProgress{Stores: p.Stores, Cleared: p.Cleared, Effectiveness: p.Effectiveness()}
		start, removed, left := map[quantity.Unit]float64{}, map[quantity.Unit]float64{}, map[quantity.Unit]float64{}
		for _, pl := range p.Places {
			m.Places = append(m.Places, &model.RecallPlaceProgress{
				Facility: facilities[pl.FacilityID], Batch: batches[pl.BatchID], Unit: pl.Unit,
				OnShelfAtStart: pl.OnShelfAtStart, Removed: pl.Removed(), Outstanding: pl.Outstanding,
			})
			start[pl.Unit] += pl.OnShelfAtStart
			removed[pl.Unit] += pl.Removed()
			left[pl.Unit] += pl.Outstanding
		}
		m.OnShelfAtStart, m.Removed, m.Outstanding = amounts(start), amounts(removed), amounts(left)
		out[id] = m
	}
	return out, nil
}

// amounts lists quantities by unit, in unit order.
func amounts(by map[quantity.Unit]float64) []*trace.Amount {
	out := make([]*trace.Amount, 0, len(by))
	for u, q := range by {
		out = append(out, &trace.Amount{Quantity: q, Unit: u})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Unit < out[j].Unit })
	return out
}
