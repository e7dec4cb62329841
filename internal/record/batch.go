package record

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"suyuan/ent"
	"suyuan/ent/facility"
	"suyuan/ent/organization"
	"suyuan/internal/dashboard"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/gs1"
	"suyuan/internal/quantity"
)

// BatchQuantity is a quantity of a batch used, shipped or shelved.
type BatchQuantity struct {
	BatchID  int           `json:"batchID"`
	Quantity float64       `json:"quantity"`
	Unit     quantity.Unit `json:"unit"`
}

// CreateBatchInput describes a new batch.
type CreateBatchInput struct {
	ProductID  int             `json:"productID"`
	FacilityID int             `json:"facilityID"`
	LotCode    string          `json:"lotCode"`
	ProducedAt time.Time       `json:"producedAt"`
	Quantity   float64         `json:"quantity"`
	Unit       quantity.Unit   `json:"unit"`
	ExpiresAt  *time.Time      `json:"expiresAt"`
	Inputs     []BatchQuantity `json:"inputs"`
}

// maxInputs bounds how many input batches one batch may list.
const maxInputs = 100

// CreateBatch records a batch made at a facility by the facility's
// organisation, consuming the quantities of its input batches held there.
func (r *Recorder) CreateBatch(ctx context.Context, in CreateBatchInput) (*ent.Batch, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := gs1.LotCode(in.LotCode); err != nil {
		return nil, errcode.WithField(err, "lotCode")
	}
	if err := quantity.Check(in.Quantity, in.Unit); err != nil {
		return nil, errcode.WithField(err, "quantity")
	}
	if err := r.checkTime(in.ProducedAt, "producedAt"); err != nil {
		return nil, err
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(in.ProducedAt) {
		return nil, errcode.Field(errcode.InvalidTimeOrder, "expiresAt", "expiry must be after production")
	}
	if len(in.Inputs) > maxInputs {
		return nil, errcode.Field(errcode.BadUserInput, "inputs", "at most %d input batches", maxInputs)
	}
	var out *ent.Batch
	_, err = r.log.Record(ctx, "createBatch", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		fac, err := tx.Facility.Query().WithOrganization().
			Where(facility.ID(in.FacilityID)).Only(ctx)
		if err != nil {
			return notFound(err, "facilityID", "facility")
		}
		org := fac.Edges.Organization
		if org.Kind != organization.KindPRODUCER && org.Kind != organization.KindPROCESSOR {
			return errcode.Field(errcode.BadUserInput, "facilityID", "batches are produced by producers and processors; this facility belongs to a %s", org.Kind)
		}
		if err := mayWrite(v, "facilityID", org.ID); err != nil {
			return err
		}
		if err := active(org, "facilityID"); err != nil {
			return err
		}
		prod, err := tx.Product.Get(ctx, in.ProductID)
		if err != nil {
			return notFound(err, "productID", "product")
		}
		if prod.OrganizationID != org.ID {
			return errcode.Field(errcode.BadUserInput, "productID", "the product belongs to another organisation than the facility")
		}
		if _, err := quantity.Convert(in.Quantity, in.Unit, prod.Unit); err != nil {
			return errcode.WithField(err, "unit")
		}
		expires := in.ExpiresAt
		if expires == nil && prod.ShelfLifeDays != nil {
			t := in.ProducedAt.AddDate(0, 0, *prod.ShelfLifeDays)
			expires = &t
		}
		create := tx.Batch.Create().
			SetProductID(prod.ID).
			SetOrganizationID(org.ID).
			SetFacilityID(fac.ID).
			SetLotCode(in.LotCode).
			SetProducedAt(in.ProducedAt.UTC()).
			SetQuantity(in.Quantity).
			SetUnit(in.Unit).
			SetNillableExpiresAt(utcPtr(expires))
		out, err = create.Save(ctx)
		if err != nil {
			if ent.IsConstraintError(err) {
				return errcode.Field(errcode.Conflict, "lotCode", "lot code %s already exists for this product", in.LotCode)
			}
			return fmt.Errorf("creating batch: %w", err)
		}
		whole, err := quantity.ToMilli(in.Quantity, in.Unit, in.Unit)
		if err != nil {
			return errcode.WithField(err, "quantity")
		}
		if err := put(ctx, tx, out, fac.ID, whole); err != nil {
			return err
		}
		inputs, err := r.consumeInputs(ctx, tx, out, in.Inputs)
		if err != nil {
			return err
		}
		fields := []string{"productID", "facilityID", "lotCode", "producedAt", "quantity", "unit"}
		if in.ExpiresAt != nil {
			fields = append(fields, "expiresAt")
		}
		if len(in.Inputs) > 0 {
			fields = append(fields, "inputs")
		}
		if err := dashboard.Add(ctx, tx, fac.RegionCode, out.ProducedAt, dashboard.Batches, "", 1); err != nil {
			return err
		}
		e := made(out, prod, fac, in, inputs)
		parties := []int{org.ID}
		for _, b := range inputs {
			parties = append(parties, b.OrganizationID)
			rec.Changed(ent.TypeBatch, b.ID)
		}
		rec.Event(e, parties, fac.RegionCode)
		rec.Changed(ent.TypeBatch, out.ID)
		rec.Audit("Batch", out.ID, fields)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unwrapped, it loads its edges outside the finished transaction.
	return out.Unwrap(), nil
}

// consumeInputs takes each input's quantity from the stock the output's
// facility holds, and records the lineage edge.
func (r *Recorder) consumeInputs(ctx context.Context, tx *ent.Tx, out *ent.Batch, inputs []BatchQuantity) ([]*ent.Batch, error) {
	if len(inputs) == 0 {
		return nil, nil
	}
	batches, err := listedBatches(ctx, tx, inputs, "inputs")
	if err != nil {
		return nil, err
	}
	edges := make([]*ent.BatchInputCreate, 0, len(inputs))
	for i, u := range inputs {
		field := "inputs." + strconv.Itoa(i)
		b := batches[i]
		if b.ID == out.ID {
			return nil, errcode.Field(errcode.BadUserInput, field+".batchID", "a batch cannot be made from itself")
		}
		if err := notBefore(out.ProducedAt, b.ProducedAt, "producedAt", "the production of input "+b.LotCode); err != nil {
			return nil, err
		}
		m, err := toBatchUnit(b, u.Quantity, u.Unit, field+".quantity")
		if err != nil {
			return nil, err
		}
		if err := take(ctx, tx, b, out.FacilityID, m, out.ProducedAt, field+".quantity", "producedAt"); err != nil {
			return nil, err
		}
		edges = append(edges, tx.BatchInput.Create().
			SetOutputID(out.ID).SetInputID(b.ID).
			SetQuantity(u.Quantity).SetUnit(u.Unit))
	}
	if err := tx.BatchInput.CreateBulk(edges...).Exec(ctx); err != nil {
		return nil, fmt.Errorf("recording batch inputs: %w", err)
	}
	return batches, nil
}

func active(org *ent.Organization, field string) error {
	if org.Status != organization.StatusACTIVE {
		return errcode.Field(errcode.InvalidState, field, "organisation %s is %s", org.Name, org.Status)
	}
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// made is the event of a new lot: commissioned at its facility, or, made
// from input lots, the transformation of those inputs into it (its id the
// lot's own name, so events of one transformation can be found together).
// The lot number and expiry are its ILMD.
func made(out *ent.Batch, p *ent.Product, fac *ent.Facility, in CreateBatchInput, inputs []*ent.Batch) epcis.Event {
	lot := amount(lotOf(out, p), in.Quantity, in.Unit)
	var e epcis.Event
	if len(inputs) == 0 {
		e = newEvent(epcis.ObjectEvent, in.ProducedAt, epcis.Add, "commissioning", "active")
		e.QuantityList = []epcis.Quantity{lot}
	} else {
		e = newEvent(epcis.TransformationEvent, in.ProducedAt, "", "commissioning", "active")
		for i, b := range inputs {
			e.InputQuantityList = append(e.InputQuantityList, amount(lotOf(b, nil), in.Inputs[i].Quantity, in.Inputs[i].Unit))
		}
		e.OutputQuantityList = []epcis.Quantity{lot}
		e.TransformationID = eventlog.Thing("batch", out.ID)
	}
	e.ReadPoint, e.BizLocation = placeOf(fac), placeOf(fac)
	e.ILMD = map[string]json.RawMessage{"cbvmda:lotNumber": jsonString(out.LotCode)}
	if out.ExpiresAt != nil {
		e.ILMD["cbvmda:itemExpirationDate"] = jsonString(out.ExpiresAt.Format(time.DateOnly))
	}
	return e
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}
