package recall

import (
	"context"
	"fmt"
	"strings"

	"suyuan/ent"
	"suyuan/ent/recall"
	"suyuan/ent/recallplace"
	"suyuan/ent/shelfevent"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/quantity"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// Place is one recalled batch on one store's shelves.
type Place struct {
	FacilityID, BatchID int
	Unit                quantity.Unit
	// OnShelfAtStart was on the shelf when the recall began.
	OnShelfAtStart float64
	// Outstanding is on the shelf still.
	Outstanding float64
}

// Removed has been taken off the shelf since the recall began.
func (p Place) Removed() float64 { return max(0, p.OnShelfAtStart-p.Outstanding) }

// Progress is how far a recall has got on the shelves.
type Progress struct {
	Places []Place
	// Stores is the number of stores that had some on a shelf; Cleared of
	// them have none left.
	Stores, Cleared int
}

// Effectiveness is the share of what stood on shelves at the start that
// has been taken off, from 0 to 1. Places hold different products in
// different units (kilograms of loin, pieces of sausage), so quantities
// are not added up: each store's shelf of each batch counts equally, by
// the share of it removed. A recall that found nothing on any shelf is
// complete.
func (p *Progress) Effectiveness() float64 {
	if len(p.Places) == 0 {
		return 1
	}
	var sum float64
	for _, pl := range p.Places {
		if pl.OnShelfAtStart > 0 {
			sum += pl.Removed() / pl.OnShelfAtStart
		} else {
			sum++
		}
	}
	return sum / float64(len(p.Places))
}

// Load reports, for each recall, what was on each store's shelves at
// its start and what is there now: of the places the viewer in ctx may
// see, all of their shelves, whoever's they are. Statements: the places,
// and the shelf events still on a shelf.
func Load(ctx context.Context, client *ent.Client, recallIDs []int) (map[int]*Progress, error) {
	out := make(map[int]*Progress, len(recallIDs))
	for _, id := range recallIDs {
		out[id] = &Progress{}
	}
	if len(recallIDs) == 0 {
		return out, nil
	}
	places, err := client.RecallPlace.Query().
		Where(recallplace.RecallIDIn(recallIDs...)).
		Order(ent.Asc(recallplace.FieldRecallID), ent.Asc(recallplace.FieldFacilityID), ent.Asc(recallplace.FieldBatchID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading recall places: %w", err)
	}
	var batchIDs []int
	for _, p := range places {
		batchIDs = append(batchIDs, p.BatchID)
	}
	onShelf := map[[2]int]float64{}
	if len(batchIDs) > 0 {
		// The place decides what the viewer may learn; the shelf events at
		// it are read whoever they belong to — a producer follows its
		// recall onto the shelves of every store.
		events, err := client.ShelfEvent.Query().
			Where(shelfevent.BatchIDIn(unique(batchIDs)...), shelfevent.RemovedAtIsNil()).
			All(tenancy.System(ctx))
		if err != nil {
			return nil, fmt.Errorf("reading shelves: %w", err)
		}
		units := map[int]quantity.Unit{}
		for _, p := range places {
			units[p.BatchID] = p.Unit
		}
		for _, e := range events {
			q, err := quantity.Convert(e.Quantity, e.Unit, units[e.BatchID])
			if err != nil {
				return nil, fmt.Errorf("shelf event %d: %w", e.ID, err)
			}
			onShelf[[2]int{e.FacilityID, e.BatchID}] += q
		}
	}
	stores := map[int]map[int]bool{} // recall → store → cleared
	for _, p := range places {
		pr := out[p.RecallID]
		pl := Place{
			FacilityID: p.FacilityID, BatchID: p.BatchID, Unit: p.Unit,
			OnShelfAtStart: float64(p.OnShelfMilli) / 1000,
			Outstanding:    onShelf[[2]int{p.FacilityID, p.BatchID}],
		}
		pr.Places = append(pr.Places, pl)
		if stores[p.RecallID] == nil {
			stores[p.RecallID] = map[int]bool{}
		}
		cleared, seen := stores[p.RecallID][p.FacilityID]
		stores[p.RecallID][p.FacilityID] = (cleared || !seen) && pl.Outstanding == 0
	}
	for id, st := range stores {
		out[id].Stores = len(st)
		for _, cleared := range st {
			if cleared {
				out[id].Cleared++
			}
		}
	}
	return out, nil
}

// Close ends a recall with a note. Whoever may start a recall of its
// batches may close it.
func (s *Service) Close(ctx context.Context, id int, note string) (*ent.Recall, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "log in to close a recall")
	}
	if v.ReadOnly {
		return nil, errcode.New(errcode.Forbidden, "this API key may only read")
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 2000 {
		return nil, errcode.Field(errcode.BadUserInput, "note", "must be at most 2000 characters")
	}
	r, err := s.client.Recall.Query().Where(recall.ID(id)).Only(ctx)
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, errcode.Field(errcode.NotFound, "id", "recall not found")
		}
		return nil, fmt.Errorf("reading recall: %w", err)
	}
	// A regulator whose region the food merely reached follows the
	// recall; the region it began in closes it.
	may := v.Role == viewer.Admin || v.OrgID == r.OrganizationID ||
		(v.Role == viewer.Regulator && strings.HasPrefix(r.RegionCode, v.RegionPrefix()))
	if !may {
		return nil, errcode.New(errcode.Forbidden, "only whoever started the recall or a regulator of its region may close it")
	}
	sys := tenancy.System(ctx)
	_, err = s.log.Record(ctx, "closeRecall", func(sys context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		n, err := tx.Recall.Update().
			Where(recall.ID(id), recall.StatusEQ(recall.StatusOPEN)).
			SetStatus(recall.StatusCLOSED).SetClosedAt(s.now().UTC()).SetClosingNote(note).
			SetNillableClosedByID(nonZero(v.UserID)).
			Save(sys)
		if err != nil {
			return fmt.Errorf("closing recall: %w", err)
		}
		if n == 0 {
			return errcode.Field(errcode.InvalidState, "id", "recall is already closed")
		}
		rec.Changed(ent.TypeRecall, id)
		rec.Audit("Recall", id, []string{"status", "note"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Read outside the transaction: its edges load lazily.
	return s.client.Recall.Get(sys, id)
}

func nonZero(id int) *int {
	if id == 0 {
		return nil
	}
	return &id
}
