package record

import (
	"time"

	"suyuan/ent"
	"suyuan/internal/epcis"
	"suyuan/internal/eventlog"
	"suyuan/internal/quantity"
)

// The EPCIS events each recording writes (docs/EPCIS.md, "What each
// recording logs"). Times keep the offset the caller gave them in.

// uom is the UN/CEFACT Rec 20 code of a unit.
func uom(u quantity.Unit) string {
	code, _ := epcis.UOMFromUnit(u) // every unit of the graph has one
	return code
}

// lotOf names batch b, whose product must be loaded or given.
func lotOf(b *ent.Batch, p *ent.Product) string {
	if p == nil {
		p = b.Edges.Product
	}
	var gtin *string
	if p != nil {
		gtin = p.Gtin
	}
	return eventlog.LotClass(gtin, b.LotCode, b.ID)
}

// amount is a quantity of a lot as EPCIS writes it.
func amount(class string, q float64, u quantity.Unit) epcis.Quantity {
	return epcis.Quantity{EPCClass: class, Quantity: &q, UOM: uom(u)}
}

// newEvent starts an event of type typ at t.
func newEvent(typ epcis.Type, t time.Time, action epcis.Action, bizStep, disposition string) epcis.Event {
	at, off := eventlog.At(t)
	return epcis.Event{Type: typ, EventTime: at, EventTimeZoneOffset: off, Action: action, BizStep: bizStep, Disposition: disposition}
}

// placeOf names facility f as a place.
func placeOf(f *ent.Facility) *epcis.Location { return eventlog.Place(f.Gln, f.ID) }
