package recall

import (
	"context"
	"fmt"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/facility"
	"suyuan/internal/epcis"
	"suyuan/internal/eventlog"
)

// logRecall logs a recall: every lot it marks recalled observed with the
// disposition recalled, under the recall as its business transaction, at
// the place the recall began. The parties told of it may read it, and the
// regulators of every region it reached.
func (s *Service) logRecall(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording, r *ent.Recall, roots []*ent.Batch, sc *scope) error {
	ids := append([]int(nil), sc.batches...)
	for _, b := range roots {
		ids = append(ids, b.ID)
	}
	lots, err := tx.Batch.Query().Where(batch.IDIn(ids...)).WithProduct().
		Order(ent.Asc(batch.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("reading recalled lots: %w", err)
	}
	at, off := eventlog.At(r.InitiatedAt)
	e := epcis.Event{Type: epcis.ObjectEvent, EventTime: at, EventTimeZoneOffset: off,
		Action: epcis.Observe, BizStep: "holding", Disposition: "recalled",
		BizLocation:        eventlog.Place(roots[0].Edges.Facility.Gln, roots[0].FacilityID),
		BizTransactionList: []epcis.BizTransaction{{Type: "urn:suyuan:recall", BizTransaction: eventlog.Thing("recall", r.ID)}}}
	parties := []int{r.OrganizationID}
	for _, b := range lots {
		var gtin *string
		if b.Edges.Product != nil {
			gtin = b.Edges.Product.Gtin
		}
		e.QuantityList = append(e.QuantityList, epcis.Quantity{EPCClass: eventlog.LotClass(gtin, b.LotCode, b.ID)})
		parties = append(parties, b.OrganizationID)
		rec.Changed(ent.TypeBatch, b.ID)
	}
	facs := make([]int, 0, len(sc.notify))
	for _, n := range sc.notify {
		parties = append(parties, n.org)
		facs = append(facs, n.facility)
	}
	regions := []string{r.RegionCode}
	if len(facs) > 0 {
		rs, err := tx.Facility.Query().Where(facility.IDIn(facs...)).Unique(true).
			Select(facility.FieldRegionCode).Strings(ctx)
		if err != nil {
			return fmt.Errorf("reading the regions a recall reached: %w", err)
		}
		regions = append(regions, rs...)
	}
	rec.Event(e, parties, regions...)
	rec.Changed(ent.TypeRecall, r.ID)
	return nil
}
