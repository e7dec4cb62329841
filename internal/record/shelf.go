package record

import (
	"context"
	"fmt"
	"time"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/facility"
	"suyuan/ent/shelfevent"
	"suyuan/internal/dashboard"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/quantity"
)

// ShelveBatchInput puts a quantity of a batch on a store's shelf.
type ShelveBatchInput struct {
	FacilityID int           `json:"facilityID"`
	BatchID    int           `json:"batchID"`
	Quantity   float64       `json:"quantity"`
	Unit       quantity.Unit `json:"unit"`
	ShelvedAt  time.Time     `json:"shelvedAt"`
}

// ShelveBatch moves a quantity of a batch from a store's stock onto its
// shelf.
func (r *Recorder) ShelveBatch(ctx context.Context, in ShelveBatchInput) (*ent.ShelfEvent, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := quantity.Check(in.Quantity, in.Unit); err != nil {
		return nil, errcode.WithField(err, "quantity")
	}
	if err := r.checkTime(in.ShelvedAt, "shelvedAt"); err != nil {
		return nil, err
	}
	var out *ent.ShelfEvent
	_, err = r.log.Record(ctx, "shelveBatch", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		fac, err := tx.Facility.Query().Where(facility.ID(in.FacilityID)).WithOrganization().Only(ctx)
		if err != nil {
			return notFound(err, "facilityID", "facility")
		}
		if fac.Kind != facility.KindSTORE && fac.Kind != facility.KindMARKET {
			return errcode.Field(errcode.BadUserInput, "facilityID", "shelves are in stores and markets; this facility is a %s", fac.Kind)
		}
		if err := mayWrite(v, "facilityID", fac.OrganizationID); err != nil {
			return err
		}
		if err := active(fac.Edges.Organization, "facilityID"); err != nil {
			return err
		}
		b, err := tx.Batch.Query().Where(batch.ID(in.BatchID)).WithProduct().Only(ctx)
		if err != nil {
			return notFound(err, "batchID", "batch")
		}
		if err := usable(b, "batchID"); err != nil {
			return err
		}
		if err := notBefore(in.ShelvedAt, b.ProducedAt, "shelvedAt", "the batch's production"); err != nil {
			return err
		}
		m, err := toBatchUnit(b, in.Quantity, in.Unit, "quantity")
		if err != nil {
			return err
		}
		if err := take(ctx, tx, b, fac.ID, m, in.ShelvedAt, "quantity", "shelvedAt"); err != nil {
			return err
		}
		out, err = tx.ShelfEvent.Create().
			SetFacilityID(fac.ID).SetBatchID(b.ID).
			SetQuantity(in.Quantity).SetUnit(in.Unit).
			SetShelvedAt(in.ShelvedAt.UTC()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("recording shelf event: %w", err)
		}
		if err := dashboard.Add(ctx, tx, fac.RegionCode, out.ShelvedAt, dashboard.ShelfEvents, "", 1); err != nil {
			return err
		}
		e := newEvent(epcis.ObjectEvent, in.ShelvedAt, epcis.Observe, "stocking", "sellable_accessible")
		e.QuantityList = []epcis.Quantity{amount(lotOf(b, nil), in.Quantity, in.Unit)}
		e.ReadPoint, e.BizLocation = placeOf(fac), placeOf(fac)
		rec.Event(e, []int{fac.OrganizationID, b.OrganizationID}, fac.RegionCode)
		rec.Changed(ent.TypeBatch, b.ID)
		rec.Changed(ent.TypeShelfEvent, out.ID)
		rec.Audit("ShelfEvent", out.ID, []string{"facilityID", "batchID", "quantity", "unit", "shelvedAt"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// RemoveFromShelf records that what a shelf event put on the shelf is gone.
func (r *Recorder) RemoveFromShelf(ctx context.Context, id int, at time.Time, reason shelfevent.RemovalReason) (*ent.ShelfEvent, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.checkTime(at, "removedAt"); err != nil {
		return nil, err
	}
	if err := shelfevent.RemovalReasonValidator(reason); err != nil {
		return nil, errcode.Field(errcode.BadUserInput, "reason", "unknown removal reason %q", string(reason))
	}
	var out *ent.ShelfEvent
	_, err = r.log.Record(ctx, "removeFromShelf", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		ev, err := tx.ShelfEvent.Query().Where(shelfevent.ID(id)).WithFacility().
			WithBatch(func(q *ent.BatchQuery) { q.WithProduct() }).Only(ctx)
		if err != nil {
			return notFound(err, "id", "shelf event")
		}
		if err := mayWrite(v, "id", ev.Edges.Facility.OrganizationID); err != nil {
			return err
		}
		if ev.RemovedAt != nil {
			return errcode.Field(errcode.InvalidState, "id", "already removed from the shelf at %s", ev.RemovedAt.UTC().Format(time.RFC3339))
		}
		if err := notBefore(at, ev.ShelvedAt, "removedAt", "the shelving"); err != nil {
			return err
		}
		n, err := tx.ShelfEvent.Update().
			Where(shelfevent.ID(id), shelfevent.RemovedAtIsNil()).
			SetRemovedAt(at.UTC()).SetRemovalReason(reason).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("removing from shelf: %w", err)
		}
		if n == 0 {
			return errcode.Field(errcode.InvalidState, "id", "already removed from the shelf")
		}
		if out, err = tx.ShelfEvent.Get(ctx, id); err != nil {
			return err
		}
		fac, b := ev.Edges.Facility, ev.Edges.Batch
		step, disp := removal(reason)
		e := newEvent(epcis.ObjectEvent, at, epcis.Observe, step, disp)
		e.QuantityList = []epcis.Quantity{amount(lotOf(b, nil), ev.Quantity, ev.Unit)}
		e.ReadPoint, e.BizLocation = placeOf(fac), placeOf(fac)
		rec.Event(e, []int{fac.OrganizationID, b.OrganizationID}, fac.RegionCode)
		rec.Changed(ent.TypeBatch, b.ID)
		rec.Changed(ent.TypeShelfEvent, id)
		rec.Audit("ShelfEvent", id, []string{"removedAt", "removalReason"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// removal is how a removal from the shelf is logged, by its reason.
func removal(reason shelfevent.RemovalReason) (bizStep, disposition string) {
	switch reason {
	case shelfevent.RemovalReasonSOLD_OUT:
		return "retail_selling", "retail_sold"
	case shelfevent.RemovalReasonEXPIRED:
		return "removing", "expired"
	case shelfevent.RemovalReasonRECALLED:
		return "removing", "recalled"
	}
	return "removing", "damaged"
}
