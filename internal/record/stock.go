package record

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/shipment"
	"suyuan/ent/shipmentitem"
	"suyuan/ent/stock"
	"suyuan/internal/errcode"
	"suyuan/internal/quantity"
)

// take removes m of a batch from a facility's stock at time at (a
// departure, a shelving, a transformation's production, named by
// timeField). The goods must have reached the facility by then (see
// reached). The conditional update is the whole of the mass-balance check:
// it changes the row only while enough is on hand, atomically, so two
// transactions racing for the same stock cannot both succeed and the
// balance never goes negative.
func take(ctx context.Context, tx *ent.Tx, b *ent.Batch, facilityID int, m quantity.Milli, at time.Time, field, timeField string) error {
	if err := reached(ctx, tx, b, facilityID, at, timeField); err != nil {
		return err
	}
	n, err := tx.Stock.Update().
		Where(stock.BatchID(b.ID), stock.FacilityID(facilityID), stock.OnHandMilliGTE(int64(m))).
		AddOnHandMilli(-int64(m)).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("taking stock of batch %d: %w", b.ID, err)
	}
	if n == 1 {
		return nil
	}
	have, err := onHand(ctx, tx, b.ID, facilityID)
	if err != nil {
		return err
	}
	return exceeds(b, have, m, field)
}

// reached refuses an event at a facility at time at, when the batch had
// not reached the facility by then: it is there from its production, when
// it was produced there, and from the first delivery there. (Stock that
// came otherwise, such as a bulk load, is not judged.) An event of the
// goods may not come before an earlier event of the same goods: they are
// shipped, shelved or used where they are only after they arrived.
func reached(ctx context.Context, tx *ent.Tx, b *ent.Batch, facilityID int, at time.Time, field string) error {
	if b.FacilityID == facilityID {
		// Made here: no delivery here can come before its production.
		return notBefore(at, b.ProducedAt, field, "the production of batch "+b.LotCode+" here")
	}
	var first *time.Time
	what := ""
	s, err := tx.Shipment.Query().
		Where(shipment.ToFacilityID(facilityID), shipment.StatusEQ(shipment.StatusDELIVERED),
			shipment.HasItemsWith(shipmentitem.BatchID(b.ID))).
		Order(ent.Asc(shipment.FieldArrivedAt)).First(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading deliveries of batch %d: %w", b.ID, err)
	case s.ArrivedAt != nil:
		first, what = s.ArrivedAt, "the arrival of batch "+b.LotCode+" here"
	}
	if first == nil {
		return nil
	}
	return notBefore(at, *first, field, what)
}

// available checks, without taking, that a facility holds m of a batch.
func available(ctx context.Context, tx *ent.Tx, b *ent.Batch, facilityID int, m quantity.Milli, field string) error {
	have, err := onHand(ctx, tx, b.ID, facilityID)
	if err != nil {
		return err
	}
	if have < m {
		return exceeds(b, have, m, field)
	}
	return nil
}

func onHand(ctx context.Context, tx *ent.Tx, batchID, facilityID int) (quantity.Milli, error) {
	s, err := tx.Stock.Query().Where(stock.BatchID(batchID), stock.FacilityID(facilityID)).Only(ctx)
	switch {
	case err == nil:
		return quantity.Milli(s.OnHandMilli), nil
	case ent.IsNotFound(err):
		return 0, nil
	}
	return 0, fmt.Errorf("reading stock of batch %d: %w", batchID, err)
}

func exceeds(b *ent.Batch, have, want quantity.Milli, field string) error {
	return errcode.Field(errcode.QuantityExceedsAvailable, field,
		"batch %s has %s %s available at this facility; %s %s requested",
		b.LotCode, have, b.Unit, want, b.Unit)
}

// put adds m of a batch to a facility's stock, creating the balance when
// the facility has none yet.
func put(ctx context.Context, tx *ent.Tx, b *ent.Batch, facilityID int, m quantity.Milli) error {
	err := tx.Stock.Create().
		SetBatchID(b.ID).
		SetFacilityID(facilityID).
		SetUnit(b.Unit).
		SetOnHandMilli(int64(m)).
		OnConflictColumns(stock.FieldBatchID, stock.FieldFacilityID).
		AddOnHandMilli(int64(m)).
		UpdateUpdatedAt().
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("adding stock of batch %d: %w", b.ID, err)
	}
	return nil
}

// toBatchUnit converts a requested quantity to thousandths of the batch's
// unit, naming field on error.
func toBatchUnit(b *ent.Batch, amount float64, u quantity.Unit, field string) (quantity.Milli, error) {
	if err := quantity.Check(amount, u); err != nil {
		return 0, errcode.WithField(err, field)
	}
	m, err := quantity.ToMilli(amount, u, b.Unit)
	if err != nil {
		return 0, errcode.WithField(err, field)
	}
	return m, nil
}

// usable refuses batches that may not move: held, recalled or destroyed.
func usable(b *ent.Batch, field string) error {
	switch b.Status {
	case "ACTIVE", "EXHAUSTED":
		return nil
	}
	return errcode.Field(errcode.InvalidState, field, "batch %s is %s and cannot be moved or used", b.LotCode, b.Status)
}

// listedBatches loads the batches a list of quantities names, in one
// query and in list order, and checks that each exists, is listed once and
// may move; errors name the list's field, such as items.2.batchID.
func listedBatches(ctx context.Context, tx *ent.Tx, list []BatchQuantity, field string) ([]*ent.Batch, error) {
	ids := make([]int, len(list))
	for i, q := range list {
		ids[i] = q.BatchID
	}
	found, err := tx.Batch.Query().Where(batch.IDIn(ids...)).WithProduct().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading batches: %w", err)
	}
	byID := make(map[int]*ent.Batch, len(found))
	for _, b := range found {
		byID[b.ID] = b
	}
	out := make([]*ent.Batch, len(list))
	seen := make(map[int]bool, len(list))
	for i, q := range list {
		f := field + "." + strconv.Itoa(i) + ".batchID"
		b, ok := byID[q.BatchID]
		if !ok {
			return nil, errcode.Field(errcode.NotFound, f, "batch not found")
		}
		if seen[b.ID] {
			return nil, errcode.Field(errcode.BadUserInput, f, "batch %s is listed twice", b.LotCode)
		}
		seen[b.ID] = true
		if err := usable(b, f); err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
