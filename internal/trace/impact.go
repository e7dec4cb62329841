package trace

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"suyuan/ent/facility"
	"suyuan/ent/shipment"
	"suyuan/internal/quantity"
)

// Place is what a recall must know about one batch at one facility, in the
// batch's unit.
type Place struct {
	Facility *Facility
	Batch    *Batch
	Unit     quantity.Unit
	// ShippedOut left the facility on shipments that departed.
	ShippedOut float64
	// Received arrived on delivered shipments.
	Received float64
	// InTransit is on its way here.
	InTransit float64
	// InStock is held here, off the shelf.
	InStock float64
	// OnShelf is on a shelf here now.
	OnShelf float64
	// Removed was taken off a shelf here (sold, expired, recalled…).
	Removed float64
}

// Outstanding is what a recall must still reach at this place.
func (p *Place) Outstanding() float64 { return p.InTransit + p.InStock + p.OnShelf }

// Amount is a quantity with its unit.
type Amount struct {
	Quantity float64
	Unit     quantity.Unit
}

// Impact is everything a recall of a batch must reach.
type Impact struct {
	Root      *Batch
	Batches   []Node
	Truncated bool
	Places    []*Place
	// Totals
	Facilities  int
	Stores      int
	Outstanding []Amount
	OnShelf     []Amount
}

// RecallImpact walks downstream from a batch as far as MaxMaxDepth and
// accounts, per facility and batch, for what was shipped, received, is held,
// is on a shelf and was removed. Statements: the walk with its batches,
// shipments, shelf events, stock, and facilities.
func (r *Reader) RecallImpact(ctx context.Context, batchID int) (*Impact, error) {
	// The places need where each leg went and came from, not how or in what cold.
	l, err := r.Lineage(Without(ctx, OmitColdChain|OmitCarriers), batchID, Downstream, MaxMaxDepth)
	if err != nil {
		return nil, err
	}
	im := &Impact{Root: l.Root, Batches: l.Nodes, Truncated: l.Truncated}
	batches := map[int]*Batch{l.Root.ID: l.Root}
	for _, n := range l.Nodes {
		batches[n.Batch.ID] = n.Batch
	}
	places := map[[2]int]*Place{}
	facilities := map[int]*Facility{}
	place := func(f *Facility, b *Batch) *Place {
		k := [2]int{f.ID, b.ID}
		p := places[k]
		if p == nil {
			p = &Place{Facility: f, Batch: b, Unit: b.Unit}
			places[k] = p
			facilities[f.ID] = f
		}
		return p
	}
	amount := func(b *Batch, q float64, u quantity.Unit) float64 {
		v, err := quantity.Convert(q, u, b.Unit)
		if err != nil {
			return 0 // recorded quantities were converted when written
		}
		return v
	}
	for _, leg := range l.Shipments {
		b := batches[leg.BatchID]
		q := amount(b, leg.Quantity, leg.Unit)
		switch leg.Status {
		case shipment.StatusIN_TRANSIT:
			place(&leg.From, b).ShippedOut += q
			place(&leg.To, b).InTransit += q
		case shipment.StatusDELIVERED:
			place(&leg.From, b).ShippedOut += q
			place(&leg.To, b).Received += q
		}
	}
	for _, s := range l.ShelfEvents {
		b := batches[s.BatchID]
		q := amount(b, s.Quantity, s.Unit)
		p := place(&s.Store, b)
		if s.RemovedAt == nil {
			p.OnShelf += q
		} else {
			p.Removed += q
		}
	}

	ids := make([]int, 0, len(batches))
	for id := range batches {
		ids = append(ids, id)
	}
	list, args := in(ids)
	type held struct {
		batch, facility int
		milli           int64
	}
	var stock []held
	err = r.query(ctx, `SELECT batch_id, facility_id, on_hand_milli FROM stocks WHERE on_hand_milli > 0 AND batch_id IN `+list, args,
		func(rows *sql.Rows) error {
			var h held
			if err := rows.Scan(&h.batch, &h.facility, &h.milli); err != nil {
				return err
			}
			stock = append(stock, h)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("loading stock: %w", err)
	}
	var missing []int
	for _, h := range stock {
		if facilities[h.facility] == nil {
			missing = append(missing, h.facility)
		}
	}
	more, err := r.Facilities(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, h := range stock {
		f := facilities[h.facility]
		if f == nil {
			f = more[h.facility]
		}
		if f == nil {
			continue
		}
		place(f, batches[h.batch]).InStock += quantity.Milli(h.milli).Float()
	}

	outstanding, onShelf := map[quantity.Unit]float64{}, map[quantity.Unit]float64{}
	for _, p := range places {
		im.Places = append(im.Places, p)
		outstanding[p.Unit] += p.Outstanding()
		onShelf[p.Unit] += p.OnShelf
	}
	for _, f := range facilities {
		im.Facilities++
		if f.Kind == facility.KindSTORE || f.Kind == facility.KindMARKET {
			im.Stores++
		}
	}
	im.Outstanding, im.OnShelf = amounts(outstanding), amounts(onShelf)
	sort.Slice(im.Places, func(i, j int) bool {
		a, b := im.Places[i], im.Places[j]
		if a.Facility.ID != b.Facility.ID {
			return a.Facility.ID < b.Facility.ID
		}
		return a.Batch.ID < b.Batch.ID
	})
	return im, nil
}

func amounts(m map[quantity.Unit]float64) []Amount {
	out := make([]Amount, 0, len(m))
	for u, q := range m {
		if q > 0 {
			out = append(out, Amount{Quantity: q, Unit: u})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Unit < out[j].Unit })
	return out
}
