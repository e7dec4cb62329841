package alert

import (
	"context"
	"fmt"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/shipment"
	"suyuan/ent/tracecode"
	"suyuan/internal/anomaly"
)

// target works out whom a finding concerns and where: for a shipment its
// carrier, in the origin's region; for a batch at a facility (over-shelved
// at a store, expired on its shelf) that facility's organisation and
// region; for any other batch finding its producer, in the region of the
// facility that made it; for a code the batch's producer.
func target(ctx context.Context, tx *ent.Tx, f anomaly.Finding) (Target, error) {
	id := f.Subject.ID
	var t Target
	if f.FacilityID != 0 {
		fac, err := tx.Facility.Get(ctx, f.FacilityID)
		if err != nil {
			return t, fmt.Errorf("reading facility of finding: %w", err)
		}
		t.OrganizationID, t.Region, t.FacilityID = fac.OrganizationID, fac.RegionCode, &fac.ID
	}
	switch f.Subject.Type {
	case anomaly.SubjectShipment:
		s, err := tx.Shipment.Query().Where(shipment.ID(id)).WithFromFacility().Only(ctx)
		if err != nil {
			return t, fmt.Errorf("reading shipment of finding: %w", err)
		}
		t.ShipmentID = &s.ID
		if t.OrganizationID == 0 {
			t.OrganizationID, t.Region = s.CarrierID, s.Edges.FromFacility.RegionCode
		}
	case anomaly.SubjectBatch:
		b, err := tx.Batch.Query().Where(batch.ID(id)).WithFacility().Only(ctx)
		if err != nil {
			return t, fmt.Errorf("reading batch of finding: %w", err)
		}
		t.BatchID = &b.ID
		if t.OrganizationID == 0 {
			t.OrganizationID, t.Region = b.OrganizationID, b.Edges.Facility.RegionCode
		}
	case anomaly.SubjectTraceCode:
		c, err := tx.TraceCode.Query().Where(tracecode.ID(id)).
			WithBatch(func(q *ent.BatchQuery) { q.WithFacility() }).Only(ctx)
		if err != nil {
			return t, fmt.Errorf("reading code of finding: %w", err)
		}
		b := c.Edges.Batch
		t.TraceCodeID, t.BatchID = &c.ID, &b.ID
		if t.OrganizationID == 0 {
			t.OrganizationID, t.Region = b.OrganizationID, b.Edges.Facility.RegionCode
		}
	case anomaly.SubjectFacility:
		if t.FacilityID == nil {
			fac, err := tx.Facility.Get(ctx, id)
			if err != nil {
				return t, fmt.Errorf("reading facility of finding: %w", err)
			}
			t.OrganizationID, t.Region, t.FacilityID = fac.OrganizationID, fac.RegionCode, &fac.ID
		}
	case anomaly.SubjectRecall:
		r, err := tx.Recall.Get(ctx, id)
		if err != nil {
			return t, fmt.Errorf("reading recall of finding: %w", err)
		}
		t.RecallID = &r.ID
		if t.OrganizationID == 0 {
			t.OrganizationID, t.Region = r.OrganizationID, r.RegionCode
		}
	default:
		return t, fmt.Errorf("finding about an unknown subject type %q", f.Subject.Type)
	}
	return t, nil
}
