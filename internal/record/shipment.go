package record

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"suyuan/ent"
	"suyuan/ent/organization"
	"suyuan/ent/shipment"
	"suyuan/internal/alert"
	"suyuan/internal/dashboard"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
)

// RecordShipmentInput describes a trip and what is on it.
type RecordShipmentInput struct {
	CarrierID      int             `json:"carrierID"`
	FromFacilityID int             `json:"fromFacilityID"`
	ToFacilityID   int             `json:"toFacilityID"`
	VehiclePlate   *string         `json:"vehiclePlate"`
	ReferenceDoc   *string         `json:"referenceDoc"`
	DepartedAt     *time.Time      `json:"departedAt"`
	Items          []BatchQuantity `json:"items"`
}

// maxItems bounds the items of one shipment.
const maxItems = 500

// RecordShipment records a shipment. With DepartedAt it departs at once and
// its items leave the origin's stock; without, it is PLANNED and the stock
// is only checked, not taken, until DepartShipment.
func (r *Recorder) RecordShipment(ctx context.Context, in RecordShipmentInput) (*ent.Shipment, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if len(in.Items) == 0 {
		return nil, errcode.Field(errcode.BadUserInput, "items", "a shipment carries at least one item")
	}
	if len(in.Items) > maxItems {
		return nil, errcode.Field(errcode.BadUserInput, "items", "at most %d items per shipment", maxItems)
	}
	if in.FromFacilityID == in.ToFacilityID {
		return nil, errcode.Field(errcode.BadUserInput, "toFacilityID", "origin and destination must differ")
	}
	if in.DepartedAt != nil {
		if err := r.checkTime(*in.DepartedAt, "departedAt"); err != nil {
			return nil, err
		}
	}
	plate, doc := deref(in.VehiclePlate), deref(in.ReferenceDoc)
	if err := checkText(plate, "vehiclePlate", 16); err != nil {
		return nil, err
	}
	if err := checkText(doc, "referenceDoc", 64); err != nil {
		return nil, err
	}
	var out *ent.Shipment
	_, err = r.log.Record(ctx, "recordShipment", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		carrier, err := tx.Organization.Get(ctx, in.CarrierID)
		if err != nil {
			return notFound(err, "carrierID", "carrier")
		}
		if carrier.Kind == organization.KindLAB || carrier.Kind == organization.KindREGULATOR {
			return errcode.Field(errcode.BadUserInput, "carrierID", "a %s does not carry goods", carrier.Kind)
		}
		if err := active(carrier, "carrierID"); err != nil {
			return err
		}
		from, err := tx.Facility.Get(ctx, in.FromFacilityID)
		if err != nil {
			return notFound(err, "fromFacilityID", "origin facility")
		}
		if err := mayWrite(v, "carrierID", carrier.ID, from.OrganizationID); err != nil {
			return err
		}
		to, err := tx.Facility.Get(ctx, in.ToFacilityID)
		if err != nil {
			return notFound(err, "toFacilityID", "destination facility")
		}
		batches, err := listedBatches(ctx, tx, in.Items, "items")
		if err != nil {
			return err
		}
		create := tx.Shipment.Create().
			SetCarrierID(carrier.ID).
			SetFromFacilityID(in.FromFacilityID).
			SetToFacilityID(in.ToFacilityID).
			SetVehiclePlate(plate).
			SetReferenceDoc(doc)
		if in.DepartedAt != nil {
			create.SetDepartedAt(in.DepartedAt.UTC()).SetStatus(shipment.StatusIN_TRANSIT)
		}
		out, err = create.Save(ctx)
		if err != nil {
			return fmt.Errorf("creating shipment: %w", err)
		}
		items := make([]*ent.ShipmentItemCreate, len(in.Items))
		for i, it := range in.Items {
			field := "items." + strconv.Itoa(i)
			b := batches[i]
			if in.DepartedAt != nil {
				if err := notBefore(*in.DepartedAt, b.ProducedAt, "departedAt", "the production of batch "+b.LotCode); err != nil {
					return err
				}
			}
			m, err := toBatchUnit(b, it.Quantity, it.Unit, field+".quantity")
			if err != nil {
				return err
			}
			if in.DepartedAt != nil {
				err = take(ctx, tx, b, in.FromFacilityID, m, *in.DepartedAt, field+".quantity", "departedAt")
			} else {
				err = available(ctx, tx, b, in.FromFacilityID, m, field+".quantity")
			}
			if err != nil {
				return err
			}
			items[i] = tx.ShipmentItem.Create().
				SetShipmentID(out.ID).SetBatchID(b.ID).
				SetQuantity(it.Quantity).SetUnit(it.Unit)
		}
		if err := tx.ShipmentItem.CreateBulk(items...).Exec(ctx); err != nil {
			return fmt.Errorf("recording shipment items: %w", err)
		}
		fields := []string{"carrierID", "fromFacilityID", "toFacilityID", "vehiclePlate", "referenceDoc", "items"}
		if in.DepartedAt != nil {
			fields = append(fields, "departedAt")
			if err := countDeparture(ctx, tx, out.CarrierID, from.RegionCode, *out.DepartedAt); err != nil {
				return err
			}
		}
		trip := trip{id: out.ID, carrier: carrier.ID, from: from, to: to}
		for i, it := range in.Items {
			trip.items = append(trip.items, amount(lotOf(batches[i], nil), it.Quantity, it.Unit))
			rec.Changed(ent.TypeBatch, batches[i].ID)
		}
		if in.DepartedAt != nil {
			trip.logShipping(rec, *in.DepartedAt)
		} else {
			trip.logPlan(rec, r.now())
		}
		rec.Changed(ent.TypeShipment, out.ID)
		rec.Audit("Shipment", out.ID, fields)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// DepartShipment marks a planned shipment as departed; its items leave the
// origin's stock.
func (r *Recorder) DepartShipment(ctx context.Context, id int, at time.Time) (*ent.Shipment, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.checkTime(at, "departedAt"); err != nil {
		return nil, err
	}
	var out *ent.Shipment
	_, err = r.log.Record(ctx, "departShipment", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		s, err := tx.Shipment.Query().Where(shipment.ID(id)).WithFromFacility().WithToFacility().
			WithItems(withLot).Only(ctx)
		if err != nil {
			return notFound(err, "id", "shipment")
		}
		if err := mayWrite(v, "id", s.CarrierID, s.Edges.FromFacility.OrganizationID); err != nil {
			return err
		}
		// Moving the status with a conditional update makes a second,
		// concurrent departure of the same shipment fail instead of taking
		// its stock twice.
		n, err := tx.Shipment.Update().
			Where(shipment.ID(id), shipment.StatusEQ(shipment.StatusPLANNED)).
			SetStatus(shipment.StatusIN_TRANSIT).SetDepartedAt(at.UTC()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("departing shipment: %w", err)
		}
		if n == 0 {
			return errcode.Field(errcode.InvalidState, "id", "shipment is %s, not PLANNED", s.Status)
		}
		for i, it := range s.Edges.Items {
			b := it.Edges.Batch
			field := "items." + strconv.Itoa(i)
			if err := usable(b, field+".batchID"); err != nil {
				return err
			}
			if err := notBefore(at, b.ProducedAt, "departedAt", "the production of batch "+b.LotCode); err != nil {
				return err
			}
			m, err := toBatchUnit(b, it.Quantity, it.Unit, field+".quantity")
			if err != nil {
				return err
			}
			if err := take(ctx, tx, b, s.FromFacilityID, m, at, field+".quantity", "departedAt"); err != nil {
				return err
			}
		}
		if out, err = tx.Shipment.Get(ctx, id); err != nil {
			return err
		}
		if err := countDeparture(ctx, tx, s.CarrierID, s.Edges.FromFacility.RegionCode, at); err != nil {
			return err
		}
		if err := alert.CountBreach(ctx, tx, s.ID, s.CarrierID, s.Edges.FromFacility.RegionCode, at); err != nil {
			return err
		}
		tripOf(s).logShipping(rec, at)
		rec.Audit("Shipment", id, []string{"status", "departedAt"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// RecordArrival marks a shipment in transit as arrived. Accepted goods join
// the destination's stock; rejected goods return to the origin's.
func (r *Recorder) RecordArrival(ctx context.Context, id int, at time.Time, accepted bool) (*ent.Shipment, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.checkTime(at, "arrivedAt"); err != nil {
		return nil, err
	}
	var out *ent.Shipment
	_, err = r.log.Record(ctx, "recordArrival", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		s, err := tx.Shipment.Query().Where(shipment.ID(id)).WithFromFacility().WithToFacility().
			WithItems(withLot).Only(ctx)
		if err != nil {
			return notFound(err, "id", "shipment")
		}
		if err := mayWrite(v, "id", s.Edges.ToFacility.OrganizationID, s.CarrierID); err != nil {
			return err
		}
		if s.Status != shipment.StatusIN_TRANSIT {
			return errcode.Field(errcode.InvalidState, "id", "shipment is %s, not IN_TRANSIT", s.Status)
		}
		if !at.After(*s.DepartedAt) {
			return errcode.Field(errcode.InvalidTimeOrder, "arrivedAt", "arrival must be after departure (%s)", s.DepartedAt.UTC().Format(time.RFC3339))
		}
		status, dest := shipment.StatusDELIVERED, s.ToFacilityID
		if !accepted {
			status, dest = shipment.StatusREJECTED, s.FromFacilityID
		}
		n, err := tx.Shipment.Update().
			Where(shipment.ID(id), shipment.StatusEQ(shipment.StatusIN_TRANSIT)).
			SetStatus(status).SetArrivedAt(at.UTC()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("recording arrival: %w", err)
		}
		if n == 0 {
			return errcode.Field(errcode.InvalidState, "id", "shipment is no longer IN_TRANSIT")
		}
		for i, it := range s.Edges.Items {
			m, err := toBatchUnit(it.Edges.Batch, it.Quantity, it.Unit, "items."+strconv.Itoa(i)+".quantity")
			if err != nil {
				return err
			}
			if err := put(ctx, tx, it.Edges.Batch, dest, m); err != nil {
				return err
			}
		}
		if out, err = tx.Shipment.Get(ctx, id); err != nil {
			return err
		}
		tripOf(s).logArrival(rec, at, accepted)
		rec.Audit("Shipment", id, []string{"status", "arrivedAt"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// countDeparture counts a departed shipment for the dashboard, in the
// origin's region.
func countDeparture(ctx context.Context, tx *ent.Tx, carrierID int, region string, at time.Time) error {
	if err := dashboard.Add(ctx, tx, region, at, dashboard.Shipments, "", 1); err != nil {
		return err
	}
	return dashboard.Add(ctx, tx, region, at, dashboard.CarrierTrips, strconv.Itoa(carrierID), 1)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// withLot loads a shipment's items with their batches and the batches'
// products, which name the lots in its events.
func withLot(q *ent.ShipmentItemQuery) {
	q.WithBatch(func(q *ent.BatchQuery) { q.WithProduct() })
}

// trip is a shipment as its events tell it.
type trip struct {
	id, carrier int
	from, to    *ent.Facility
	items       []epcis.Quantity
}

// tripOf reads a shipment loaded with its facilities and withLot.
func tripOf(s *ent.Shipment) trip {
	t := trip{id: s.ID, carrier: s.CarrierID, from: s.Edges.FromFacility, to: s.Edges.ToFacility}
	for _, it := range s.Edges.Items {
		t.items = append(t.items, amount(lotOf(it.Edges.Batch, nil), it.Quantity, it.Unit))
	}
	return t
}

func (t trip) parties() []int {
	return []int{t.carrier, t.from.OrganizationID, t.to.OrganizationID}
}

func (t trip) despatch() []epcis.BizTransaction {
	return []epcis.BizTransaction{{Type: "desadv", BizTransaction: eventlog.Thing("shipment", t.id)}}
}

// logPlan logs a planned trip: its goods are bound to the despatch advice
// before they move.
func (t trip) logPlan(rec *eventlog.Recording, now time.Time) {
	e := newEvent(epcis.TransactionEvent, now, epcis.Add, "staging_outbound", "")
	e.QuantityList = t.items
	e.BizLocation = placeOf(t.from)
	e.BizTransactionList = t.despatch()
	rec.Event(e, t.parties(), t.from.RegionCode, t.to.RegionCode)
}

// logShipping logs the goods leaving the origin for the destination.
func (t trip) logShipping(rec *eventlog.Recording, when time.Time) {
	e := newEvent(epcis.ObjectEvent, when, epcis.Observe, "shipping", "in_transit")
	e.QuantityList = t.items
	e.ReadPoint = placeOf(t.from)
	e.BizTransactionList = t.despatch()
	e.SourceList = []epcis.Source{
		{Type: "owning_party", Source: eventlog.Party(t.from.OrganizationID)},
		{Type: "location", Source: placeOf(t.from).ID},
	}
	e.DestinationList = []epcis.Destination{
		{Type: "owning_party", Destination: eventlog.Party(t.to.OrganizationID)},
		{Type: "location", Destination: placeOf(t.to).ID},
	}
	rec.Event(e, t.parties(), t.from.RegionCode, t.to.RegionCode)
	rec.Changed(ent.TypeShipment, t.id)
}

// logArrival logs the goods received at the destination, or refused there
// and gone back.
func (t trip) logArrival(rec *eventlog.Recording, when time.Time, accepted bool) {
	disp := "in_progress"
	if !accepted {
		disp = "non_conformant"
	}
	e := newEvent(epcis.ObjectEvent, when, epcis.Observe, "receiving", disp)
	e.QuantityList = t.items
	e.ReadPoint = placeOf(t.to)
	e.BizLocation = placeOf(t.to)
	e.BizTransactionList = t.despatch()
	rec.Event(e, t.parties(), t.from.RegionCode, t.to.RegionCode)
	rec.Changed(ent.TypeShipment, t.id)
}
