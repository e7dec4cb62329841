// Package fsma writes the electronic sortable spreadsheet that FDA's Food
// Traceability Rule (FSMA 204) asks for: one row per critical tracking
// event — shipping, receiving, transformation — with its key data elements.
//
// Dates are those of the place of the event: every facility is in China,
// so times are written in China Standard Time (UTC+08:00, Asia/Shanghai,
// which keeps no summer time), with the offset, so that a slaughter at
// 04:00 in Ya'an is dated that day and not the day before in UTC.
package fsma

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"suyuan/ent/shipment"
	"suyuan/internal/errcode"
	"suyuan/internal/trace"
)

// Event types (critical tracking events).
const (
	Shipping       = "SHIPPING"
	Receiving      = "RECEIVING"
	Transformation = "TRANSFORMATION"
)

// Zone is the time zone event dates are written in: China Standard Time.
var Zone = time.FixedZone("CST", 8*60*60)

// Row is one critical tracking event.
type Row struct {
	EventType string
	Date      time.Time
	// LotCode, Product, GTIN, Quantity and Unit are those of the lot the
	// event is about: for a transformation, the new lot made (21 CFR
	// 1.1350(a)(2)).
	LotCode  string
	Product  string
	GTIN     string
	Quantity float64
	Unit     string
	// Location is where the event happened; OtherParty the location
	// shipped to (shipping) or received from (receiving).
	Location   string
	OtherParty string
	// InputLot, InputProduct, InputQuantity and InputUnit describe, for a
	// transformation, the input lot and how much of it was used.
	InputLot      string
	InputProduct  string
	InputQuantity float64
	InputUnit     string
	// LotSource is where the lot code was assigned: the batch's place of
	// production.
	LotSource    string
	RefDocType   string
	RefDocNumber string
	// Parties are the organisations whose event this is and which must
	// keep it: the shipper and the carrier of a shipping, the receiver
	// and the carrier of a receiving, the maker of a transformation. Not
	// written.
	Parties []int
}

// Own returns the rows of the events org took part in (Parties), for a
// firm producing its own records.
func Own(rows []Row, org int) []Row {
	var out []Row
	for _, r := range rows {
		for _, p := range r.Parties {
			if p == org {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Header is the spreadsheet's first row.
var header = []string{
	"Event Type", "Event Date", "Traceability Lot Code", "Product Description", "GTIN",
	"Quantity", "Unit of Measure", "Location of Event", "Other Party Location",
	"Input Traceability Lot Code", "Traceability Lot Code Source", "Reference Document Type", "Reference Document Number",
	"Input Product Description", "Input Quantity", "Input Unit of Measure",
}

// Write writes rows as CSV, sorted by date, then lot code and event type,
// with a header.
func Write(w io.Writer, rows []Row) error {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.Before(b.Date)
		}
		if a.LotCode != b.LotCode {
			return a.LotCode < b.LotCode
		}
		return a.EventType < b.EventType
	})
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("writing header: %w", err)
	}
	for _, r := range rows {
		inQty := ""
		if r.InputQuantity != 0 {
			inQty = amount(r.InputQuantity)
		}
		rec := []string{
			r.EventType, r.Date.In(Zone).Format(time.RFC3339), r.LotCode, r.Product, r.GTIN,
			amount(r.Quantity), r.Unit, r.Location, r.OtherParty,
			r.InputLot, r.LotSource, r.RefDocType, r.RefDocNumber,
			r.InputProduct, inQty, r.InputUnit,
		}
		for i, f := range rec {
			rec[i] = defuse(f)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("writing row: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// amount writes a quantity for people: to the thousandth of its unit (as
// stock is kept), without binary noise or trailing zeros.
func amount(q float64) string {
	return strconv.FormatFloat(math.Round(q*1000)/1000, 'f', -1, 64)
}

// defuse keeps a spreadsheet from reading a field as a formula (CSV
// injection): data from partners must not run in a regulator's Excel.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

// Lot returns the events of a lot's whole trace: every batch upstream and
// downstream of it, their shipments, receipts and transformations.
func Lot(ctx context.Context, r *trace.Reader, batchID int) ([]Row, error) {
	ctx = trace.Without(ctx, trace.OmitColdChain|trace.OmitShelfEvents)
	down, err := r.Lineage(ctx, batchID, trace.Downstream, trace.MaxMaxDepth)
	if err != nil {
		return nil, err
	}
	up, err := r.Lineage(ctx, batchID, trace.Upstream, trace.MaxMaxDepth)
	if err != nil {
		return nil, err
	}
	batches := map[int]*trace.Batch{batchID: down.Root}
	for _, n := range append(append([]trace.Node{}, down.Nodes...), up.Nodes...) {
		batches[n.Batch.ID] = n.Batch
	}
	// Downstream legs come with the walk; upstream ones are read now.
	var upIDs []int
	for _, n := range up.Nodes {
		upIDs = append(upIDs, n.Batch.ID)
	}
	legs, err := r.Journeys(ctx, upIDs)
	if err != nil {
		return nil, err
	}
	all := append([]trace.Leg{}, down.Shipments...)
	for _, id := range upIDs {
		all = append(all, legs[id]...)
	}
	return rows(batches, all, append(append([]trace.Edge{}, down.Edges...), up.Edges...)), nil
}

// MaxRangeDays bounds a product export.
const MaxRangeDays = 366

// Product returns the events of the batches of a product produced in
// [from, to).
func Product(ctx context.Context, r *trace.Reader, productID int, from, to time.Time) ([]Row, error) {
	ctx = trace.Without(ctx, trace.OmitColdChain)
	if !to.After(from) {
		return nil, errcode.Field(errcode.InvalidTimeOrder, "to", "the end of the range must be after its start")
	}
	if to.Sub(from) > MaxRangeDays*24*time.Hour {
		return nil, errcode.Field(errcode.BadUserInput, "to", "a range is at most %d days", MaxRangeDays)
	}
	ids, err := r.ProductBatches(ctx, productID, from, to)
	if err != nil {
		return nil, err
	}
	batches, err := r.Batches(ctx, ids)
	if err != nil {
		return nil, err
	}
	legs, err := r.Journeys(ctx, ids)
	if err != nil {
		return nil, err
	}
	edges, err := r.Inputs(ctx, ids)
	if err != nil {
		return nil, err
	}
	inputIDs := make([]int, 0, len(edges))
	for _, e := range edges {
		inputIDs = append(inputIDs, e.InputID)
	}
	inputs, err := r.Batches(ctx, inputIDs)
	if err != nil {
		return nil, err
	}
	for id, b := range inputs {
		if batches[id] == nil {
			batches[id] = b
		}
	}
	var all []trace.Leg
	for _, id := range ids {
		all = append(all, legs[id]...)
	}
	return rows(batches, all, edges), nil
}

func rows(batches map[int]*trace.Batch, legs []trace.Leg, edges []trace.Edge) []Row {
	var out []Row
	seenLeg := map[[2]int]bool{}
	for _, l := range legs {
		b := batches[l.BatchID]
		k := [2]int{l.ShipmentID, l.BatchID}
		if b == nil || seenLeg[k] || l.DepartedAt == nil {
			continue
		}
		seenLeg[k] = true
		base := Row{
			LotCode: b.LotCode, Product: b.Product.Name, GTIN: deref(b.Product.Gtin),
			Quantity: l.Quantity, Unit: string(l.Unit), LotSource: place(&b.Facility),
			RefDocType: "Bill of lading", RefDocNumber: l.ReferenceDoc,
		}
		if base.RefDocNumber == "" {
			base.RefDocType, base.RefDocNumber = "Shipment", strconv.Itoa(l.ShipmentID)
		}
		ship := base
		ship.EventType, ship.Date = Shipping, *l.DepartedAt
		ship.Location, ship.OtherParty = place(&l.From), place(&l.To)
		ship.Parties = []int{l.From.Organization.ID, l.Carrier.ID}
		out = append(out, ship)
		if l.Status == shipment.StatusDELIVERED && l.ArrivedAt != nil {
			recv := base
			recv.EventType, recv.Date = Receiving, *l.ArrivedAt
			recv.Location, recv.OtherParty = place(&l.To), place(&l.From)
			recv.Parties = []int{l.To.Organization.ID, l.Carrier.ID}
			out = append(out, recv)
		}
	}
	seenEdge := map[[2]int]bool{}
	for _, e := range edges {
		k := [2]int{e.OutputID, e.InputID}
		outB, inB := batches[e.OutputID], batches[e.InputID]
		if outB == nil || inB == nil || seenEdge[k] {
			continue
		}
		seenEdge[k] = true
		out = append(out, Row{
			EventType: Transformation, Date: outB.ProducedAt,
			LotCode: outB.LotCode, Product: outB.Product.Name, GTIN: deref(outB.Product.Gtin),
			Quantity: outB.Quantity, Unit: string(outB.Unit),
			Location: place(&outB.Facility),
			InputLot: inB.LotCode, InputProduct: inB.Product.Name, InputQuantity: e.Quantity, InputUnit: string(e.Unit),
			LotSource: place(&outB.Facility), RefDocType: "Production record", RefDocNumber: outB.LotCode,
			Parties: []int{outB.Facility.Organization.ID},
		})
	}
	return out
}

// place describes a location as FSMA asks: business name, address and,
// when known, its GLN.
func place(f *trace.Facility) string {
	s := f.Organization.Name + " — " + f.Name
	if f.Address != "" {
		s += ", " + f.Address
	}
	if f.Gln != nil {
		s += " (GLN " + *f.Gln + ")"
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
