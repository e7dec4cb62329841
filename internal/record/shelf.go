package record

import (
	"context"
	"fmt"
	"time"

	"suyuan/ent"
	"suyuan/ent/facility"
	"suyuan/ent/shelfevent"
	"suyuan/internal/audit"
	"suyuan/internal/dashboard"
	"suyuan/internal/errcode"
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
	err = r.withTx(ctx, func(tx *ent.Tx) error {
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
		b, err := tx.Batch.Get(ctx, in.BatchID)
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
		return audit.Write(ctx, tx, "shelveBatch", "ShelfEvent", out.ID, []string{"facilityID", "batchID", "quantity", "unit", "shelvedAt"})
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
	err = r.withTx(ctx, func(tx *ent.Tx) error {
		ev, err := tx.ShelfEvent.Query().Where(shelfevent.ID(id)).WithFacility().Only(ctx)
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
		return audit.Write(ctx, tx, "removeFromShelf", "ShelfEvent", id, []string{"removedAt", "removalReason"})
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}
