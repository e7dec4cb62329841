package record

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/batchinput"
	"suyuan/ent/event"
	"suyuan/ent/eventkey"
	"suyuan/ent/facility"
	"suyuan/ent/inspection"
	"suyuan/ent/organization"
	"suyuan/ent/pallet"
	"suyuan/ent/palletitem"
	"suyuan/ent/product"
	"suyuan/ent/shelfevent"
	"suyuan/ent/shipment"
	"suyuan/ent/shipmentitem"
	"suyuan/ent/stock"
	"suyuan/internal/anomaly"
	"suyuan/internal/dashboard"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/quantity"
	"suyuan/internal/store"
	"suyuan/internal/viewer"
)

// CaptureResult is what a capture stored.
type CaptureResult struct {
	// Captured counts the events appended to the log; Duplicates those it
	// already held (the same eventID), which were neither stored nor
	// projected again.
	Captured, Duplicates int
	// Change is the outbox entry of the capture (0 when nothing was new).
	Change int
	// Notes say what was stored but not projected onto the graph, and
	// which holes raised alerts, by event index.
	Notes []string
}

// Capture records a partner's EPCIS events as one recording: all of them
// or, on a refusal, none. Each event is appended to the log and projected
// onto the graph as far as it consistently goes (docs/EPCIS.md, "How
// events map onto the graph"): a commissioning makes a lot, a
// transformation lots with their lineage, an aggregation packs a pallet,
// shipping and receiving move stock on a shipment, sensor reports become
// readings, stocking shelves goods, inspecting records an inspection. A
// true event with a hole before it — goods used, received or shelved where
// they never arrived, or more of them than arrived — is stored and
// projected, and the hole raised as an alert; what the graph has no place
// for is stored and noted. Refused are only events that are not the
// caller's to say: at a facility of another organisation, about a product
// or lot it has no part in.
func (r *Recorder) Capture(ctx context.Context, events []*epcis.Event) (*CaptureResult, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if v.ReadOnly {
		return nil, errcode.New(errcode.Forbidden, "this API key may only read")
	}
	for _, e := range events {
		if e.EventID == "" {
			if e.EventID, err = epcis.Hash(e); err != nil {
				return nil, err
			}
		}
	}
	var res *CaptureResult
	ch, err := r.log.Record(ctx, "capture", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		p := &projector{r: r, tx: tx, v: v, rec: rec, res: &CaptureResult{},
			places: map[string]*ent.Facility{}, lots: map[string]*ent.Batch{}, products: map[string]*ent.Product{},
			transformations: map[string]transformation{}, departures: map[departure]departureCount{}, made: map[string]int{},
			stockOf: map[stockKey]quantity.Milli{}, stockRead: map[int]bool{}, taken: map[stockKey]quantity.Milli{},
			takenUnit: map[int]quantity.Unit{}}
		held, err := p.held(ctx, events)
		if err != nil {
			return err
		}
		if err := p.callerOrg(ctx); err != nil {
			return err
		}
		if err := p.prefetchLots(ctx, events); err != nil {
			return err
		}
		if err := p.commissionAll(ctx, events, held); err != nil {
			return err
		}
		if err := p.prefetchStock(ctx); err != nil {
			return err
		}
		for i, e := range events {
			if held[e.EventID] {
				// Neither projected nor stored again: the log counts it
				// among the change's duplicates.
				p.res.Duplicates++
				rec.Event(*e, nil)
				continue
			}
			held[e.EventID] = true // twice in one document: once
			p.i, p.e = i, e
			p.parties, p.regions = []int{v.OrgID}, nil
			if err := p.project(ctx); err != nil {
				return err
			}
			rec.Event(*e, p.parties, p.regions...)
			p.res.Captured++
		}
		if err := p.flushShips(ctx); err != nil {
			return err
		}
		if err := p.flushTaken(ctx); err != nil {
			return err
		}
		if err := p.countDepartures(ctx); err != nil {
			return err
		}
		res = p.res
		return r.raise(ctx, tx, rec, p.findings)
	})
	if err != nil {
		return nil, err
	}
	res.Change = ch.ID
	return res, nil
}

// projector projects the events of one capture inside its transaction,
// remembering what it resolved.
type projector struct {
	r   *Recorder
	tx  *ent.Tx
	v   *viewer.Viewer
	org *ent.Organization // the caller's; nil for an administrator
	rec *eventlog.Recording
	res *CaptureResult

	i        int
	e        *epcis.Event
	parties  []int
	regions  []string
	findings []anomaly.Finding

	places   map[string]*ent.Facility
	lots     map[string]*ent.Batch
	products map[string]*ent.Product
	// transformations holds the parts of transformations seen in this
	// capture, by transformationID (the log holds those of earlier ones).
	transformations map[string]transformation
	// departures counts the capture's shipments for the dashboard, added
	// once at its end rather than a statement or two per shipment.
	departures map[departure]departureCount
	// made holds the lots commissionAll made, by class: the index of the
	// event that made each, plus one.
	made map[string]int
	// ships are the shipments departed and not yet written (flushShips);
	// lastShip the last written.
	ships    []pendingShip
	lastShip *ent.Shipment
	// stockOf is the stock read or written by the capture; stockRead the
	// lots whose every stock row it holds (a missing one is none).
	stockOf   map[stockKey]quantity.Milli
	stockRead map[int]bool
	// taken is what the capture took from stock, written at its end
	// (flushTaken).
	taken     map[stockKey]quantity.Milli
	takenUnit map[int]quantity.Unit
}

// departure is a dashboard counter of shipments leaving a region on a day.
type departure struct {
	carrier     int
	region, day string
}

// departureCount is how many shipments a departure counter adds, and a
// time in its day.
type departureCount struct {
	at time.Time
	n  int64
}

// countDepartures adds the capture's shipments to the dashboard's counters.
func (p *projector) countDepartures(ctx context.Context) error {
	for d, c := range p.departures {
		if err := dashboard.Add(ctx, p.tx, d.region, c.at, dashboard.Shipments, "", c.n); err != nil {
			return err
		}
		if err := dashboard.Add(ctx, p.tx, d.region, c.at, dashboard.CarrierTrips, strconv.Itoa(d.carrier), c.n); err != nil {
			return err
		}
	}
	return nil
}

// prefetchLots resolves, in a few statements, the lots the events name
// by GTIN and lot, so that projecting them reads none one by one; a class
// that names no lot yet is remembered as none until a commissioning makes
// it.
func (p *projector) prefetchLots(ctx context.Context, events []*epcis.Event) error {
	refs := map[string]lotRef{}
	for _, e := range events {
		for _, list := range [][]epcis.Quantity{e.QuantityList, e.ChildQuantityList, e.InputQuantityList, e.OutputQuantityList} {
			for _, q := range list {
				if ref, ok := parseLot(q.EPCClass); ok && ref.gtin != "" {
					refs[epcis.Canonical(q.EPCClass)] = ref
				}
			}
		}
	}
	byKey := map[lotRef]*ent.Batch{}
	var lots []string
	for _, ref := range refs {
		lots = append(lots, ref.lot)
	}
	for start := 0; start < len(lots); start += keyChunk {
		found, err := p.tx.Batch.Query().Where(batch.LotCodeIn(lots[start:min(start+keyChunk, len(lots))]...)).
			WithProduct().All(ctx)
		if err != nil {
			return fmt.Errorf("resolving the document's lots: %w", err)
		}
		for _, b := range found {
			if b.Edges.Product != nil && b.Edges.Product.Gtin != nil {
				byKey[lotRef{gtin: *b.Edges.Product.Gtin, lot: b.LotCode}] = b
			}
		}
	}
	for class, ref := range refs {
		p.lots[class] = byKey[ref]
	}
	return nil
}

// held returns which of the events the log holds already, by eventID.
func (p *projector) held(ctx context.Context, events []*epcis.Event) (map[string]bool, error) {
	held := map[string]bool{}
	ids := make([]string, 0, len(events))
	for _, e := range events {
		ids = append(ids, e.EventID)
	}
	for start := 0; start < len(ids); start += keyChunk {
		q := p.tx.Event.Query().Where(event.EventIDIn(ids[start:min(start+keyChunk, len(ids))]...))
		if p.v.Role != viewer.Admin {
			// Only an event the caller is party to is its duplicate:
			// another's is not, so that capturing it tells nothing of it
			// — it is projected as any event, refused where it is not the
			// caller's to say, and its eventID refused where it is.
			q.Where(event.HasKeysWith(eventkey.Kind(eventlog.KindParty), eventkey.Value(strconv.Itoa(p.v.OrgID))))
		}
		old, err := q.Select(event.FieldEventID).Strings(ctx)
		if err != nil {
			return nil, fmt.Errorf("finding events already captured: %w", err)
		}
		for _, id := range old {
			held[id] = true
		}
	}
	return held, nil
}

// keyChunk bounds the values of one IN list.
const keyChunk = 500

func (p *projector) callerOrg(ctx context.Context) error {
	if p.v.OrgID == 0 {
		return nil
	}
	o, err := p.tx.Organization.Get(ctx, p.v.OrgID)
	if err != nil {
		return fmt.Errorf("reading the caller's organisation: %w", err)
	}
	p.org = o
	return active(o, "organization")
}

// field names a field of the current event for a refusal.
func (p *projector) field(name string) string {
	return "epcisBody.eventList." + strconv.Itoa(p.i) + "." + name
}

func (p *projector) note(format string, args ...any) {
	p.res.Notes = append(p.res.Notes, fmt.Sprintf("event %d: ", p.i)+fmt.Sprintf(format, args...))
}

// project maps the current event onto the graph.
func (p *projector) project(ctx context.Context) error {
	e := p.e
	// A fact from the future is a clock's mistake, as for GraphQL.
	if err := p.r.checkTime(e.EventTime, p.field("eventTime")); err != nil {
		return err
	}
	where, err := p.location(ctx)
	if err != nil {
		return err
	}
	step := e.BizStep
	switch {
	case e.Type == epcis.TransformationEvent:
		err = p.transform(ctx, where)
	case e.Type == epcis.AggregationEvent:
		err = p.aggregate(ctx, where)
	case e.Type == epcis.ObjectEvent && e.Action == epcis.Add && len(e.QuantityList) > 0:
		err = p.commission(ctx, where)
	case step == "shipping" || step == "departing":
		err = p.ship(ctx, where)
	case step == "receiving" || step == "arriving" || step == "accepting":
		err = p.receive(ctx, where)
	case step == "stocking":
		err = p.stock(ctx, where)
	case step == "retail_selling":
		err = p.sell(ctx, where, shelfevent.RemovalReasonSOLD_OUT)
	case step == "inspecting":
		err = p.inspect(ctx, where)
	case e.Disposition == "destroyed" || step == "destroying":
		err = p.destroy(ctx, where)
	case e.Disposition == "expired":
		err = p.sell(ctx, where, shelfevent.RemovalReasonEXPIRED)
	case e.Disposition == "recalled":
		err = p.recall(ctx)
	case len(e.SensorElementList) == 0:
		p.note("stored; the graph has no place for a %s %s", e.Type, step)
	}
	if err != nil {
		return err
	}
	if len(e.SensorElementList) > 0 && step != "shipping" && step != "departing" {
		return p.sensed(ctx, where, nil)
	}
	return nil
}

// location resolves where the event happened — its business location, or
// its read point — and checks that it is the caller's to speak of. A
// location the service does not know is no facility of anyone's: the
// event is stored for the caller alone.
func (p *projector) location(ctx context.Context) (*ent.Facility, error) {
	name, field := "", ""
	switch {
	case p.e.BizLocation != nil && p.e.BizLocation.ID != "":
		name, field = p.e.BizLocation.ID, "bizLocation.id"
	case p.e.ReadPoint != nil && p.e.ReadPoint.ID != "":
		name, field = p.e.ReadPoint.ID, "readPoint.id"
	default:
		return nil, nil
	}
	f, err := p.place(ctx, name)
	if err != nil || f == nil {
		return nil, err
	}
	if !p.mayAt(f) {
		return nil, errcode.Field(errcode.Forbidden, p.field(field), "this facility is another organisation's: only it records what happens there")
	}
	p.parties = append(p.parties, f.OrganizationID)
	p.regions = append(p.regions, f.RegionCode)
	return f, nil
}

// mayAt tells whether the caller speaks for what happens at f: its own
// facility; a laboratory or regulator inspecting anywhere; an
// administrator anywhere.
func (p *projector) mayAt(f *ent.Facility) bool {
	switch {
	case p.v.Role == viewer.Admin:
		return true
	case f.OrganizationID == p.v.OrgID:
		return true
	case p.e.BizStep == "inspecting" && p.org != nil &&
		(p.org.Kind == organization.KindLAB || p.org.Kind == organization.KindREGULATOR):
		return true
	}
	return false
}

// place resolves a location name to a facility, or nil when no facility
// has it.
func (p *projector) place(ctx context.Context, name string) (*ent.Facility, error) {
	name = epcis.Canonical(name)
	if f, ok := p.places[name]; ok {
		return f, nil
	}
	gln, id, ok := parsePlace(name)
	var f *ent.Facility
	var err error
	switch {
	case !ok:
	case id != 0:
		f, err = p.tx.Facility.Get(ctx, id)
	default:
		f, err = p.tx.Facility.Query().Where(facility.Gln(gln)).Only(ctx)
	}
	if ent.IsNotFound(err) {
		f, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolving location %s: %w", name, err)
	}
	if f == nil {
		p.note("location %s is no registered facility", name)
	}
	p.places[name] = f
	return f, nil
}

// lot resolves an EPC class to a batch, or nil when there is none.
func (p *projector) lot(ctx context.Context, class string) (*ent.Batch, error) {
	class = epcis.Canonical(class)
	if b, ok := p.lots[class]; ok {
		if b != nil {
			p.parties = append(p.parties, b.OrganizationID)
		}
		return b, nil
	}
	ref, ok := parseLot(class)
	var b *ent.Batch
	var err error
	switch {
	case !ok:
	case ref.batchID != 0:
		b, err = p.tx.Batch.Query().Where(batch.ID(ref.batchID)).WithProduct().Only(ctx)
	default:
		b, err = p.tx.Batch.Query().
			Where(batch.LotCode(ref.lot), batch.HasProductWith(product.Gtin(ref.gtin))).
			WithProduct().Only(ctx)
	}
	if ent.IsNotFound(err) {
		b, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolving lot %s: %w", class, err)
	}
	if b != nil {
		p.lots[class] = b
		p.parties = append(p.parties, b.OrganizationID)
	}
	return b, nil
}

// amount converts a quantity element to the graph's amount and unit. An
// element without a quantity, or in a unit the graph has not, is noted.
func (p *projector) amount(q epcis.Quantity) (float64, quantity.Unit, bool) {
	if q.Quantity == nil {
		p.note("%s: no quantity", q.EPCClass)
		return 0, "", false
	}
	u, ok := unitOf(q.UOM)
	if !ok {
		p.note("%s: unit %q has no counterpart in the graph", q.EPCClass, q.UOM)
		return 0, "", false
	}
	return *q.Quantity, u, true
}

// unitOf is the graph's unit of a UN/CEFACT code; no code is a count.
func unitOf(code string) (quantity.Unit, bool) {
	if code == "" {
		return quantity.Piece, true
	}
	return epcis.UnitFromUOM(code)
}

// commission makes a lot for every class of an ADD event: its product is
// the one registered with the GTIN, which must be the caller's; it is made
// where the event happened, when it happened, with the expiry of its ILMD.
func (p *projector) commission(ctx context.Context, where *ent.Facility) error {
	if where == nil {
		p.note("commissioning stored without a lot: no registered facility")
		return nil
	}
	for j, q := range p.e.QuantityList {
		if p.made[epcis.Canonical(q.EPCClass)] == p.i+1 {
			continue // made with the document's other lots (commissionAll)
		}
		if _, err := p.makeLot(ctx, where, q, "quantityList."+strconv.Itoa(j)); err != nil {
			return err
		}
	}
	return nil
}

// commissionAll makes, in a few bulk statements, the lots the document's
// commissioning events make in the plain case — a new lot of the place's
// own registered product, in a unit that measures it — before the events
// are projected in order; commission then passes over them. Anything else
// (a lot that exists, an unknown product, another's product, an odd
// quantity) is left to commission, which notes or refuses it as it comes.
// A lot commissioned later in a document than an event that names it is
// therefore known to that event.
func (p *projector) commissionAll(ctx context.Context, events []*epcis.Event, held map[string]bool) error {
	type made struct {
		class string
		event int
		where *ent.Facility
		prod  *ent.Product
		whole quantity.Milli
	}
	var lots []made
	var creates []*ent.BatchCreate
	seen := map[string]bool{}
	for i, e := range events {
		if e.Type != epcis.ObjectEvent || e.Action != epcis.Add || len(e.QuantityList) == 0 || held[e.EventID] || seen[e.EventID] {
			continue
		}
		seen[e.EventID] = true
		p.i, p.e = i, e
		where, err := p.location(ctx)
		if err != nil {
			return err
		}
		if where == nil {
			continue
		}
		for _, q := range e.QuantityList {
			ref, ok := parseLot(q.EPCClass)
			if !ok || ref.gtin == "" || p.made[epcis.Canonical(q.EPCClass)] != 0 || q.Quantity == nil {
				continue
			}
			if b, err := p.lot(ctx, q.EPCClass); err != nil || b != nil {
				if err != nil {
					return err
				}
				continue
			}
			prod, err := p.product(ctx, ref.gtin)
			if err != nil {
				return err
			}
			unit, ok := unitOf(q.UOM)
			amount := *q.Quantity
			if prod == nil || !ok || prod.OrganizationID != where.OrganizationID || amount <= 0 || quantity.Check(amount, unit) != nil {
				continue
			}
			if _, err := quantity.Convert(amount, unit, prod.Unit); err != nil {
				continue
			}
			whole, err := quantity.ToMilli(amount, unit, unit)
			if err != nil {
				continue
			}
			creates = append(creates, p.newLot(where, prod, ref.lot, amount, unit))
			lots = append(lots, made{epcis.Canonical(q.EPCClass), i, where, prod, whole})
			p.made[epcis.Canonical(q.EPCClass)] = i + 1
		}
	}
	var stock []*ent.StockCreate
	for start := 0; start < len(creates); start += lotRows {
		saved, err := p.tx.Batch.CreateBulk(creates[start:min(start+lotRows, len(creates))]...).Save(ctx)
		if err != nil {
			return fmt.Errorf("making the document's lots: %w", err)
		}
		store.BulkIDs(p.tx.IDStep, saved, func(b *ent.Batch) *int { return &b.ID })
		for k, b := range saved {
			m := lots[start+k]
			b.Edges.Product = m.prod
			p.lots[m.class] = b
			p.rec.Changed(ent.TypeBatch, b.ID)
			stock = append(stock, p.tx.Stock.Create().SetBatchID(b.ID).SetFacilityID(m.where.ID).
				SetUnit(b.Unit).SetOnHandMilli(int64(m.whole)))
			p.stockOf[stockKey{b.ID, m.where.ID}] = m.whole
			p.stockRead[b.ID] = true // a new lot has no other stock
		}
	}
	for start := 0; start < len(stock); start += lotRows {
		if err := p.tx.Stock.CreateBulk(stock[start:min(start+lotRows, len(stock))]...).Exec(ctx); err != nil {
			return fmt.Errorf("stocking the document's lots: %w", err)
		}
	}
	return nil
}

// stockKey names a lot's stock at a facility.
type stockKey struct{ batch, facility int }

// onHand is how much of a lot a facility holds, read once per capture:
// the capture's own changes are kept in step (take, put).
func (p *projector) onHand(ctx context.Context, batchID, facilityID int) (quantity.Milli, error) {
	k := stockKey{batchID, facilityID}
	if m, ok := p.stockOf[k]; ok || p.stockRead[batchID] {
		return m, nil
	}
	m, err := onHand(ctx, p.tx, batchID, facilityID)
	if err != nil {
		return 0, err
	}
	p.stockOf[k] = m
	return m, nil
}

// put adds to a lot's stock at a facility, keeping onHand in step.
func (p *projector) put(ctx context.Context, b *ent.Batch, facilityID int, m quantity.Milli) error {
	if err := put(ctx, p.tx, b, facilityID, m); err != nil {
		return err
	}
	k := stockKey{b.ID, facilityID}
	if have, ok := p.stockOf[k]; ok || p.stockRead[b.ID] {
		p.stockOf[k] = have + m
	}
	return nil
}

// flushTaken writes what the capture took from stock, in bulk: each
// balance lowered by what was taken, relative to what it holds now, as an
// UPDATE … SET on_hand = on_hand - taken would, one upsert for many rows.
func (p *projector) flushTaken(ctx context.Context) error {
	if len(p.taken) == 0 {
		return nil
	}
	rows := make([]*ent.StockCreate, 0, len(p.taken))
	for k, m := range p.taken {
		rows = append(rows, p.tx.Stock.Create().SetBatchID(k.batch).SetFacilityID(k.facility).
			SetUnit(p.takenUnit[k.batch]).SetOnHandMilli(int64(m)))
	}
	clear(p.taken)
	for start := 0; start < len(rows); start += lotRows {
		err := p.tx.Stock.CreateBulk(rows[start:min(start+lotRows, len(rows))]...).
			OnConflict(
				entsql.ConflictColumns(stock.FieldBatchID, stock.FieldFacilityID),
				entsql.ResolveWith(func(u *entsql.UpdateSet) {
					// on_hand_milli less the new row's amount, what was
					// taken: the row exists, since only what was there is
					// taken, so it is never inserted.
					u.Set(stock.FieldOnHandMilli, entsql.ExprFunc(func(b *entsql.Builder) {
						b.Ident(stock.FieldOnHandMilli).WriteString(" - ")
						if b.Dialect() == dialect.MySQL {
							b.WriteString("VALUES(").Ident(stock.FieldOnHandMilli).WriteByte(')')
						} else {
							b.WriteString("excluded.").Ident(stock.FieldOnHandMilli)
						}
					}))
					u.SetExcluded(stock.FieldUpdatedAt)
				}),
			).Exec(ctx)
		if err != nil {
			return fmt.Errorf("taking the document's goods from stock: %w", err)
		}
	}
	return nil
}

// prefetchStock reads the stock of the lots the document names, in a few
// statements, so that taking from it reads none one by one.
func (p *projector) prefetchStock(ctx context.Context) error {
	var ids []int
	for _, b := range p.lots {
		if b != nil && !p.stockRead[b.ID] {
			ids = append(ids, b.ID)
		}
	}
	for start := 0; start < len(ids); start += keyChunk {
		chunk := ids[start:min(start+keyChunk, len(ids))]
		rows, err := p.tx.Stock.Query().Where(stock.BatchIDIn(chunk...)).All(ctx)
		if err != nil {
			return fmt.Errorf("reading the stock of the document's lots: %w", err)
		}
		for _, r := range rows {
			p.stockOf[stockKey{r.BatchID, r.FacilityID}] = quantity.Milli(r.OnHandMilli)
		}
		for _, id := range chunk {
			p.stockRead[id] = true
		}
	}
	return nil
}

// lotRows bounds the rows of one bulk insert of lots or stock.
const lotRows = 500

// makeLot makes the lot a quantity element names at where, unless it
// exists; it returns the lot, or nil when it was not made.
func (p *projector) makeLot(ctx context.Context, where *ent.Facility, q epcis.Quantity, field string) (*ent.Batch, error) {
	if b, err := p.lot(ctx, q.EPCClass); err != nil || b != nil {
		if b != nil {
			p.note("%s: lot exists already; not made again", q.EPCClass)
		}
		return nil, err
	}
	ref, ok := parseLot(q.EPCClass)
	if !ok || ref.gtin == "" {
		p.note("%s: not a lot of a GTIN; stored without a lot", q.EPCClass)
		return nil, nil
	}
	prod, err := p.product(ctx, ref.gtin)
	if err != nil || prod == nil {
		return nil, err
	}
	if prod.OrganizationID != where.OrganizationID {
		return nil, errcode.Field(errcode.Forbidden, p.field(field+".epcClass"), "the product of GTIN %s is another organisation's", ref.gtin)
	}
	amount, unit, ok := p.amount(q)
	if !ok {
		return nil, nil
	}
	if _, err := quantity.Convert(amount, unit, prod.Unit); err != nil {
		return nil, errcode.WithField(err, p.field(field+".uom"))
	}
	if err := quantity.Check(amount, unit); err != nil || amount == 0 {
		p.note("%s: quantity %g cannot make a lot", q.EPCClass, amount)
		return nil, nil
	}
	b, err := p.newLot(where, prod, ref.lot, amount, unit).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("making lot %s: %w", q.EPCClass, err)
	}
	b.Edges.Product = prod
	whole, err := quantity.ToMilli(amount, unit, unit)
	if err != nil {
		return nil, errcode.WithField(err, p.field(field+".quantity"))
	}
	if err := p.put(ctx, b, where.ID, whole); err != nil {
		return nil, err
	}
	p.lots[epcis.Canonical(q.EPCClass)] = b
	p.rec.Changed(ent.TypeBatch, b.ID)
	return b, nil
}

// newLot is the creation of a lot the current event makes at where: made
// when the event happened, expiring as its ILMD says or else after the
// product's shelf life.
func (p *projector) newLot(where *ent.Facility, prod *ent.Product, lot string, amount float64, unit quantity.Unit) *ent.BatchCreate {
	produced := p.e.EventTime.UTC()
	c := p.tx.Batch.Create().SetProductID(prod.ID).SetOrganizationID(where.OrganizationID).
		SetFacilityID(where.ID).SetLotCode(lot).SetProducedAt(produced).
		SetQuantity(amount).SetUnit(unit)
	if exp := p.expiry(); exp != nil {
		c.SetExpiresAt(*exp)
	} else if prod.ShelfLifeDays != nil {
		c.SetExpiresAt(produced.AddDate(0, 0, *prod.ShelfLifeDays))
	}
	return c
}

// product resolves a GTIN to its registered product, noting an unknown one.
func (p *projector) product(ctx context.Context, gtin string) (*ent.Product, error) {
	if pr, ok := p.products[gtin]; ok {
		return pr, nil
	}
	pr, err := p.tx.Product.Query().Where(product.Gtin(gtin)).Only(ctx)
	if ent.IsNotFound(err) {
		p.note("GTIN %s is no registered product; stored without a lot", gtin)
		pr, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolving GTIN %s: %w", gtin, err)
	}
	p.products[gtin] = pr
	return pr, nil
}

// expiry reads the ILMD's expiry or best-before date: a date alone is a
// day, kept as its midnight UTC.
func (p *projector) expiry() *time.Time {
	for _, k := range []string{"cbvmda:itemExpirationDate", "cbvmda:bestBeforeDate", "itemExpirationDate", "bestBeforeDate"} {
		raw, ok := p.e.ILMD[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		for _, layout := range []string{time.DateOnly, time.RFC3339Nano} {
			if t, err := time.Parse(layout, s); err == nil {
				t = t.UTC()
				return &t
			}
		}
	}
	return nil
}

// take takes a quantity of a lot from a facility's stock for the event. A
// lot that never reached the facility, or less of it than the event uses,
// is a hole before the event: as much as there is is taken, and the hole
// raised.
func (p *projector) take(ctx context.Context, b *ent.Batch, where *ent.Facility, amount float64, unit quantity.Unit, field string) error {
	m, err := toBatchUnit(b, amount, unit, p.field(field))
	if err != nil {
		return err
	}
	have, err := p.onHand(ctx, b.ID, where.ID)
	if err != nil {
		return err
	}
	got := min(have, m)
	if got > 0 {
		k := stockKey{b.ID, where.ID}
		p.stockOf[k] = have - got
		p.taken[k] += got
		p.takenUnit[b.ID] = b.Unit
	}
	if got == m {
		return nil
	}
	kind, what := anomaly.MassBalance, fmt.Sprintf("uses %s %s of lot %s at %s, which held %s", m, b.Unit, b.LotCode, where.Name, have)
	if have == 0 && b.FacilityID != where.ID {
		kind, what = anomaly.MissingCustody, fmt.Sprintf("uses lot %s at %s, where it was never recorded as arriving", b.LotCode, where.Name)
	}
	p.hole(kind, b, where, what)
	return nil
}

// hole raises an alert on a captured event with a hole before it.
func (p *projector) hole(kind anomaly.Kind, b *ent.Batch, where *ent.Facility, what string) {
	p.note("%s: %s", kind, what)
	p.findings = append(p.findings, anomaly.Finding{
		Kind: kind, Severity: kind.DefaultSeverity(),
		Subject:    anomaly.Subject{Type: anomaly.SubjectBatch, ID: b.ID},
		FacilityID: where.ID,
		At:         p.e.EventTime.UTC(),
		Evidence: anomaly.Evidence{
			Summary: fmt.Sprintf("A captured %s %s event %s", p.e.Type, p.e.BizStep, what),
			Values:  []anomaly.Value{{Name: "event", Value: float64(p.i)}},
		},
	})
}

// transform makes the outputs of a transformation from its inputs: each
// input's quantity is taken where it happened, each output made there with
// every input as its ingredient, the input's quantity shared among the
// outputs in proportion to theirs. A transformation may come in parts —
// several events sharing its transformationID, inputs in one and outputs
// in another — and each part is linked to what the earlier parts brought,
// in this capture or in the log.
func (p *projector) transform(ctx context.Context, where *ent.Facility) error {
	if where == nil {
		p.note("transformation stored without lots: no registered facility")
		return nil
	}
	var this transformation
	for j, q := range p.e.InputQuantityList {
		b, err := p.lot(ctx, q.EPCClass)
		if err != nil {
			return err
		}
		if b == nil {
			p.note("input %s is no lot the service knows", q.EPCClass)
			continue
		}
		amount, unit, ok := p.amount(q)
		if !ok {
			continue
		}
		if err := p.take(ctx, b, where, amount, unit, "inputQuantityList."+strconv.Itoa(j)+".quantity"); err != nil {
			return err
		}
		this.ins = append(this.ins, transformInput{b, amount, unit})
		p.rec.Changed(ent.TypeBatch, b.ID)
	}
	for j, q := range p.e.OutputQuantityList {
		b, err := p.makeLot(ctx, where, q, "outputQuantityList."+strconv.Itoa(j))
		if err != nil {
			return err
		}
		if b != nil {
			this.outs = append(this.outs, b)
		}
	}
	var before transformation
	if id := p.e.TransformationID; id != "" {
		var err error
		if before, err = p.earlierParts(ctx, id); err != nil {
			return err
		}
		part := p.transformations[id]
		part.ins = append(part.ins, this.ins...)
		part.outs = append(part.outs, this.outs...)
		p.transformations[id] = part
	}
	var total float64
	for _, out := range append(before.outs[:len(before.outs):len(before.outs)], this.outs...) {
		total += out.Quantity
	}
	share := func(out *ent.Batch, n int) float64 {
		if total > 0 {
			return out.Quantity / total
		}
		return 1 / float64(n)
	}
	n := len(before.outs) + len(this.outs)
	var edges []*ent.BatchInputCreate
	link := func(out *ent.Batch, ins []transformInput) {
		for _, in := range ins {
			amount := math.Round(in.amount*share(out, n)*1000) / 1000
			if amount <= 0 || out.ID == in.b.ID {
				continue
			}
			edges = append(edges, p.tx.BatchInput.Create().SetOutputID(out.ID).SetInputID(in.b.ID).
				SetQuantity(amount).SetUnit(in.unit))
		}
	}
	for _, out := range this.outs {
		link(out, append(before.ins[:len(before.ins):len(before.ins)], this.ins...))
	}
	for _, out := range before.outs {
		link(out, this.ins)
	}
	if len(edges) > 0 {
		// A lot given twice as an input of one transformation is one
		// ingredient: the first share stands.
		if err := p.tx.BatchInput.CreateBulk(edges...).
			OnConflictColumns(batchinput.FieldOutputID, batchinput.FieldInputID).Ignore().Exec(ctx); err != nil {
			return fmt.Errorf("recording the transformation's lineage: %w", err)
		}
	}
	return nil
}

// transformation is what the parts of a transformation brought.
type transformation struct {
	ins  []transformInput
	outs []*ent.Batch
}

type transformInput struct {
	b      *ent.Batch
	amount float64
	unit   quantity.Unit
}

// earlierParts returns what the earlier parts of transformation id
// brought: those of this capture, and those the log holds. Lots are
// resolved again, quietly: they were checked when their part came.
func (p *projector) earlierParts(ctx context.Context, id string) (transformation, error) {
	out := p.transformations[id]
	bodies, err := p.tx.Event.Query().
		Where(event.HasKeysWith(eventkey.Kind(eventlog.KindTransformation), eventkey.Value(eventlog.Indexed(id, eventlog.ValueMaxLen)))).
		Order(ent.Asc(event.FieldID)).Select(event.FieldBody).Strings(ctx)
	if err != nil {
		return out, fmt.Errorf("reading the earlier parts of transformation %s: %w", id, err)
	}
	for _, body := range bodies {
		var e epcis.Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return out, fmt.Errorf("reading a logged part of transformation %s: %w", id, err)
		}
		for _, q := range e.InputQuantityList {
			b, err := p.lot(ctx, q.EPCClass)
			if err != nil {
				return out, err
			}
			u, ok := unitOf(q.UOM)
			if b == nil || q.Quantity == nil || !ok {
				continue
			}
			out.ins = append(out.ins, transformInput{b, *q.Quantity, u})
		}
		for _, q := range e.OutputQuantityList {
			b, err := p.lot(ctx, q.EPCClass)
			if err != nil {
				return out, err
			}
			if b != nil {
				out.outs = append(out.outs, b)
			}
		}
	}
	return out, nil
}

// aggregate packs lots on a pallet (ADD) or takes them off (DELETE; all of
// them when the event names no children).
func (p *projector) aggregate(ctx context.Context, where *ent.Facility) error {
	sscc, ok := parseSSCC(p.e.ParentID)
	if !ok {
		p.note("parent %s is no SSCC; stored without a pallet", p.e.ParentID)
		return nil
	}
	pl, err := p.tx.Pallet.Query().Where(pallet.Sscc(sscc)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return fmt.Errorf("reading pallet %s: %w", sscc, err)
	}
	at := p.e.EventTime.UTC()
	switch p.e.Action {
	case epcis.Add:
		if where == nil {
			p.note("packing stored without a pallet: no registered facility")
			return nil
		}
		if pl == nil {
			if pl, err = p.tx.Pallet.Create().SetSscc(sscc).SetOrganizationID(where.OrganizationID).
				SetFacilityID(where.ID).SetPackedAt(at).Save(ctx); err != nil {
				return fmt.Errorf("making pallet %s: %w", sscc, err)
			}
		} else if !p.mayPallet(pl) {
			return errcode.Field(errcode.Forbidden, p.field("parentID"), "this pallet is another organisation's")
		}
		for _, q := range p.e.ChildQuantityList {
			b, err := p.lot(ctx, q.EPCClass)
			if err != nil {
				return err
			}
			amount, unit, ok := p.amount(q)
			if b == nil || !ok {
				if b == nil {
					p.note("child %s is no lot the service knows", q.EPCClass)
				}
				continue
			}
			if err := p.tx.PalletItem.Create().SetPalletID(pl.ID).SetBatchID(b.ID).
				SetQuantity(amount).SetUnit(unit).SetAddedAt(at).Exec(ctx); err != nil {
				return fmt.Errorf("packing pallet %s: %w", sscc, err)
			}
		}
	case epcis.Delete:
		if pl == nil {
			p.note("unpacking of pallet %s, which was never packed", sscc)
			return nil
		}
		if !p.mayPallet(pl) {
			return errcode.Field(errcode.Forbidden, p.field("parentID"), "this pallet is another organisation's")
		}
		q := p.tx.PalletItem.Update().Where(palletitem.PalletID(pl.ID), palletitem.RemovedAtIsNil())
		if len(p.e.ChildQuantityList) > 0 {
			var ids []int
			for _, c := range p.e.ChildQuantityList {
				if b, err := p.lot(ctx, c.EPCClass); err != nil {
					return err
				} else if b != nil {
					ids = append(ids, b.ID)
				}
			}
			q.Where(palletitem.BatchIDIn(ids...))
		}
		if err := q.SetRemovedAt(at).Exec(ctx); err != nil {
			return fmt.Errorf("unpacking pallet %s: %w", sscc, err)
		}
	}
	return nil
}

// mayPallet tells whether the caller may change what is on a pallet: its
// packer, whoever holds it now (where its goods are), or an administrator.
func (p *projector) mayPallet(pl *ent.Pallet) bool {
	return p.v.Role == viewer.Admin || pl.OrganizationID == p.v.OrgID
}

// goods lists the lots and quantities the event moves: its quantity
// elements, and the contents of the pallets it names.
func (p *projector) goods(ctx context.Context) ([]goodsLine, error) {
	var out []goodsLine
	for j, q := range p.e.QuantityList {
		b, err := p.lot(ctx, q.EPCClass)
		if err != nil {
			return nil, err
		}
		amount, unit, ok := p.amount(q)
		if b == nil || !ok {
			if b == nil {
				p.note("%s is no lot the service knows", q.EPCClass)
			}
			continue
		}
		out = append(out, goodsLine{b, amount, unit, "quantityList." + strconv.Itoa(j) + ".quantity"})
	}
	for _, epc := range p.e.EPCList {
		sscc, ok := parseSSCC(epc)
		if !ok {
			continue
		}
		items, err := p.tx.PalletItem.Query().
			Where(palletitem.HasPalletWith(pallet.Sscc(sscc)), palletitem.RemovedAtIsNil()).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading pallet %s: %w", sscc, err)
		}
		if len(items) == 0 {
			p.note("pallet %s holds nothing the service knows", sscc)
		}
		for _, it := range items {
			b, err := p.tx.Batch.Query().Where(batch.ID(it.BatchID)).WithProduct().Only(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading a lot on pallet %s: %w", sscc, err)
			}
			p.parties = append(p.parties, b.OrganizationID)
			out = append(out, goodsLine{b, it.Quantity, it.Unit, "epcList"})
		}
	}
	return out, nil
}

type goodsLine struct {
	b      *ent.Batch
	amount float64
	unit   quantity.Unit
	field  string
}

// destination reads where a shipping event sends the goods.
func (p *projector) destination(ctx context.Context) (*ent.Facility, error) {
	for _, d := range p.e.DestinationList {
		if d.Type != "location" {
			continue
		}
		f, err := p.place(ctx, d.Destination)
		if err != nil || f != nil {
			if f != nil {
				p.parties = append(p.parties, f.OrganizationID)
				p.regions = append(p.regions, f.RegionCode)
			}
			return f, err
		}
	}
	return nil, nil
}

// carrier reads who carries a shipment: a carrier organisation the
// shipping event names as the party taking possession (a destination of
// type possessing_party), or nil.
func (p *projector) carrier(ctx context.Context) (*ent.Organization, error) {
	for _, d := range p.e.DestinationList {
		if d.Type != "possessing_party" {
			continue
		}
		gln, id, ok := parseParty(d.Destination)
		if !ok {
			continue
		}
		q := p.tx.Organization.Query().Where(organization.KindEQ(organization.KindCARRIER))
		if id != 0 {
			q.Where(organization.ID(id))
		} else {
			q.Where(organization.Gln(gln))
		}
		o, err := q.Only(ctx)
		switch {
		case ent.IsNotFound(err):
			p.note("possessing party %s is no registered carrier", d.Destination)
			continue
		case err != nil:
			return nil, fmt.Errorf("resolving carrier %s: %w", d.Destination, err)
		}
		if err := active(o, p.field("destinationList")); err != nil {
			return nil, err
		}
		return o, nil
	}
	return nil, nil
}

// despatch is the business transaction a shipment is known by: a despatch
// advice, or else a purchase order, or else the first given.
func (p *projector) despatch() string {
	for _, want := range []string{"desadv", "po", ""} {
		for _, bt := range p.e.BizTransactionList {
			if want == "" || bt.Type == want {
				return bt.BizTransaction
			}
		}
	}
	return ""
}

// ship departs a shipment from where the event happened to its
// destination location, carried by the caller (a carrier), or by the
// shipper itself: its goods leave the origin's stock.
func (p *projector) ship(ctx context.Context, from *ent.Facility) error {
	if from == nil {
		p.note("shipping stored without a shipment: no registered origin")
		return nil
	}
	to, err := p.destination(ctx)
	if err != nil {
		return err
	}
	if to == nil || to.ID == from.ID {
		p.note("shipping stored without a shipment: no registered destination location")
		return p.sensed(ctx, from, nil)
	}
	goods, err := p.goods(ctx)
	if err != nil {
		return err
	}
	if len(goods) == 0 {
		p.note("shipping stored without a shipment: nothing on it the service knows")
		return nil
	}
	carrier := from.OrganizationID
	switch c, err := p.carrier(ctx); {
	case err != nil:
		return err
	case c != nil:
		carrier = c.ID
	case p.org != nil && p.org.Kind == organization.KindCARRIER:
		carrier = p.org.ID
	}
	doc := p.despatch()
	if len(doc) > 64 {
		doc = doc[:64]
	}
	at := p.e.EventTime.UTC()
	for _, g := range goods {
		if err := p.take(ctx, g.b, from, g.amount, g.unit, g.field); err != nil {
			return err
		}
		p.rec.Changed(ent.TypeBatch, g.b.ID)
	}
	d := departure{carrier, from.RegionCode, dashboard.Bucket(dashboard.Shipments, at)}
	c := p.departures[d]
	p.departures[d] = departureCount{at: at, n: c.n + 1}
	p.parties = append(p.parties, carrier)
	p.ships = append(p.ships, pendingShip{
		create: p.tx.Shipment.Create().SetCarrierID(carrier).SetFromFacilityID(from.ID).SetToFacilityID(to.ID).
			SetReferenceDoc(doc).SetDepartedAt(at).SetStatus(shipment.StatusIN_TRANSIT),
		goods: goods,
	})
	if len(p.e.SensorElementList) == 0 {
		return nil
	}
	// The readings need the shipment's id now.
	if err := p.flushShips(ctx); err != nil {
		return err
	}
	return p.sensed(ctx, from, p.lastShip)
}

// pendingShip is a shipment a shipping event departs, written with the
// others of the capture when something reads shipments, or at its end.
type pendingShip struct {
	create *ent.ShipmentCreate
	goods  []goodsLine
}

// flushShips writes the pending shipments and their items in bulk.
func (p *projector) flushShips(ctx context.Context) error {
	for len(p.ships) > 0 {
		chunk := p.ships[:min(lotRows, len(p.ships))]
		p.ships = p.ships[len(chunk):]
		creates := make([]*ent.ShipmentCreate, len(chunk))
		for i, ps := range chunk {
			creates[i] = ps.create
		}
		saved, err := p.tx.Shipment.CreateBulk(creates...).Save(ctx)
		if err != nil {
			return fmt.Errorf("recording shipments: %w", err)
		}
		store.BulkIDs(p.tx.IDStep, saved, func(s *ent.Shipment) *int { return &s.ID })
		var items []*ent.ShipmentItemCreate
		for i, s := range saved {
			for _, g := range chunk[i].goods {
				items = append(items, p.tx.ShipmentItem.Create().SetShipmentID(s.ID).SetBatchID(g.b.ID).
					SetQuantity(g.amount).SetUnit(g.unit))
			}
			p.rec.Changed(ent.TypeShipment, s.ID)
			p.lastShip = s
		}
		for start := 0; start < len(items); start += lotRows {
			if err := p.tx.ShipmentItem.CreateBulk(items[start:min(start+lotRows, len(items))]...).Exec(ctx); err != nil {
				return fmt.Errorf("recording shipment items: %w", err)
			}
		}
	}
	return nil
}

// receive delivers the shipment in transit to where the event happened
// that carries its goods (its despatch advice, or else the latest one
// with them). Goods received that no shipment brought are a hole: they
// join the stock all the same, and the missing custody link is raised.
func (p *projector) receive(ctx context.Context, to *ent.Facility) error {
	if to == nil {
		p.note("receiving stored: no registered facility")
		return nil
	}
	if err := p.flushShips(ctx); err != nil {
		return err
	}
	goods, err := p.goods(ctx)
	if err != nil {
		return err
	}
	q := p.tx.Shipment.Query().Where(shipment.ToFacilityID(to.ID), shipment.StatusEQ(shipment.StatusIN_TRANSIT)).
		WithItems(withLot)
	if doc := p.despatch(); doc != "" {
		if id, ok := ownID(doc, "urn:suyuan:shipment:"); ok {
			q.Where(shipment.ID(id))
		} else {
			q.Where(shipment.ReferenceDoc(doc))
		}
	} else if len(goods) > 0 {
		ids := make([]int, len(goods))
		for i, g := range goods {
			ids[i] = g.b.ID
		}
		q.Where(shipment.HasItemsWith(shipmentitem.BatchIDIn(ids...)))
	}
	s, err := q.Order(ent.Desc(shipment.FieldDepartedAt)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return fmt.Errorf("finding the shipment received: %w", err)
	}
	at := p.e.EventTime.UTC()
	if s != nil && s.DepartedAt != nil && at.After(*s.DepartedAt) {
		accepted := p.e.Disposition != "non_conformant" && p.e.Disposition != "returned"
		status, dest := shipment.StatusDELIVERED, to.ID
		if !accepted {
			status, dest = shipment.StatusREJECTED, s.FromFacilityID
		}
		if err := p.tx.Shipment.UpdateOne(s).SetStatus(status).SetArrivedAt(at).Exec(ctx); err != nil {
			return fmt.Errorf("recording arrival: %w", err)
		}
		for i, it := range s.Edges.Items {
			m, err := toBatchUnit(it.Edges.Batch, it.Quantity, it.Unit, p.field("items."+strconv.Itoa(i)))
			if err != nil {
				return err
			}
			if err := p.put(ctx, it.Edges.Batch, dest, m); err != nil {
				return err
			}
			p.rec.Changed(ent.TypeBatch, it.BatchID)
		}
		p.parties = append(p.parties, s.CarrierID)
		p.rec.Changed(ent.TypeShipment, s.ID)
		return nil
	}
	for _, g := range goods {
		m, err := toBatchUnit(g.b, g.amount, g.unit, p.field(g.field))
		if err != nil {
			return err
		}
		if err := p.put(ctx, g.b, to.ID, m); err != nil {
			return err
		}
		p.hole(anomaly.MissingCustody, g.b, to, fmt.Sprintf("receives lot %s at %s, where no shipment was recorded bringing it", g.b.LotCode, to.Name))
		p.rec.Changed(ent.TypeBatch, g.b.ID)
	}
	return nil
}

// stock shelves the goods at a store or market: taken from its stock (a
// shortfall is a hole, raised), put on its shelf.
func (p *projector) stock(ctx context.Context, store *ent.Facility) error {
	if store == nil || (store.Kind != facility.KindSTORE && store.Kind != facility.KindMARKET) {
		p.note("stocking stored: not at a registered store or market")
		return nil
	}
	goods, err := p.goods(ctx)
	if err != nil {
		return err
	}
	for _, g := range goods {
		if err := p.take(ctx, g.b, store, g.amount, g.unit, g.field); err != nil {
			return err
		}
		se, err := p.tx.ShelfEvent.Create().SetFacilityID(store.ID).SetBatchID(g.b.ID).
			SetQuantity(g.amount).SetUnit(g.unit).SetShelvedAt(p.e.EventTime.UTC()).Save(ctx)
		if err != nil {
			return fmt.Errorf("recording shelf event: %w", err)
		}
		p.rec.Changed(ent.TypeBatch, g.b.ID)
		p.rec.Changed(ent.TypeShelfEvent, se.ID)
	}
	return nil
}

// sell takes the lots off the shelves of where the event happened: sold,
// or expired.
func (p *projector) sell(ctx context.Context, store *ent.Facility, why shelfevent.RemovalReason) error {
	if store == nil {
		p.note("stored: no registered facility")
		return nil
	}
	goods, err := p.goods(ctx)
	if err != nil {
		return err
	}
	for _, g := range goods {
		shelved, err := p.tx.ShelfEvent.Query().Where(shelfevent.FacilityID(store.ID), shelfevent.BatchID(g.b.ID),
			shelfevent.RemovedAtIsNil(), shelfevent.ShelvedAtLTE(p.e.EventTime.UTC())).All(ctx)
		if err != nil {
			return fmt.Errorf("reading shelves: %w", err)
		}
		if len(shelved) == 0 {
			p.note("lot %s is on no shelf at %s", g.b.LotCode, store.Name)
			continue
		}
		// A sale of part of what is on the shelf leaves the shelving
		// there: what a recall must reach is then counted high, never
		// low. The event keeps what was sold.
		var on float64
		ids := make([]int, len(shelved))
		for i, se := range shelved {
			ids[i] = se.ID
			if v, err := quantity.Convert(se.Quantity, se.Unit, g.unit); err == nil {
				on += v
			}
		}
		if g.amount < on {
			p.note("lot %s: %g %s of %g on the shelf at %s %s; the shelving stays until the rest goes", g.b.LotCode, g.amount, g.unit, on, store.Name, removedHow(why))
			continue
		}
		if err := p.tx.ShelfEvent.Update().Where(shelfevent.IDIn(ids...)).
			SetRemovedAt(p.e.EventTime.UTC()).SetRemovalReason(why).Exec(ctx); err != nil {
			return fmt.Errorf("taking lot %s off the shelf: %w", g.b.LotCode, err)
		}
		p.rec.Changed(ent.TypeBatch, g.b.ID)
		p.rec.Changed(ent.TypeShelfEvent, ids...)
	}
	return nil
}

// removedHow says how goods left a shelf, for a note.
func removedHow(why shelfevent.RemovalReason) string {
	if why == shelfevent.RemovalReasonEXPIRED {
		return "expired"
	}
	return "sold"
}

// inspect records the inspection of each lot by the caller's laboratory:
// failed when the disposition is non_conformant, with the sensor reports
// and the suyuan:measurements extension as its measurements.
func (p *projector) inspect(ctx context.Context, _ *ent.Facility) error {
	if p.org == nil || (p.org.Kind != organization.KindLAB && p.org.Kind != organization.KindREGULATOR) {
		p.note("inspecting stored: inspections are recorded by laboratories and regulators")
		return nil
	}
	result := inspection.ResultPASS
	if p.e.Disposition == "non_conformant" {
		result = inspection.ResultFAIL
	}
	ms := p.measurements()
	for j, q := range p.e.QuantityList {
		b, err := p.lot(ctx, q.EPCClass)
		if err != nil {
			return err
		}
		if b == nil {
			p.note("quantityList.%d: %s is no lot the service knows", j, q.EPCClass)
			continue
		}
		in, err := p.tx.Inspection.Create().SetBatchID(b.ID).SetLabID(p.org.ID).
			SetInspectedAt(p.e.EventTime.UTC()).SetResult(result).Save(ctx)
		if err != nil {
			return fmt.Errorf("recording inspection: %w", err)
		}
		if len(ms) > 0 {
			bulk := make([]*ent.MeasurementCreate, len(ms))
			for k, m := range ms {
				bulk[k] = p.tx.Measurement.Create().SetInspectionID(in.ID).SetName(m.Name).SetValue(m.Value).
					SetUnit(m.Unit).SetNillableLimitMin(m.LimitMin).SetNillableLimitMax(m.LimitMax)
			}
			if err := p.tx.Measurement.CreateBulk(bulk...).Exec(ctx); err != nil {
				return fmt.Errorf("recording measurements: %w", err)
			}
		}
		subject := anomaly.Subject{Type: anomaly.SubjectBatch, ID: b.ID}
		judged := anomaly.Inspection{ID: in.ID, At: in.InspectedAt, Failed: result == inspection.ResultFAIL}
		for _, m := range ms {
			judged.Measurements = append(judged.Measurements, anomaly.Measurement{Name: m.Name, Value: m.Value, Unit: m.Unit, LimitMin: m.LimitMin, LimitMax: m.LimitMax})
		}
		p.findings = append(p.findings, anomaly.FailedInspection(subject, judged)...)
		p.findings = append(p.findings, anomaly.OverLimit(subject, judged, p.r.rules.LegalLimits)...)
		p.rec.Changed(ent.TypeBatch, b.ID)
		p.rec.Changed(ent.TypeInspection, in.ID)
	}
	return nil
}

// measurements reads an inspection's results: the suyuan:measurements
// extension as the service writes it, and sensor reports with a value.
func (p *projector) measurements() []measurementJSON {
	var ms []measurementJSON
	if raw, ok := p.e.Extensions["suyuan:measurements"]; ok {
		json.Unmarshal(raw, &ms) // a malformed extension is kept in the event, not projected
	}
	for _, el := range p.e.SensorElementList {
		for _, r := range el.SensorReport {
			if r.Value == nil {
				continue
			}
			name := r.Type
			if i := strings.LastIndexAny(name, ":/-"); i >= 0 {
				name = name[i+1:]
			}
			if len(name) > 64 || name == "" {
				continue
			}
			ms = append(ms, measurementJSON{Name: name, Value: *r.Value, Unit: r.UOM})
		}
	}
	return ms
}

// destroy marks the lots destroyed and empties their stock where it
// happened.
func (p *projector) destroy(ctx context.Context, where *ent.Facility) error {
	goods, err := p.goods(ctx)
	if err != nil {
		return err
	}
	for _, g := range goods {
		if where != nil {
			if err := p.take(ctx, g.b, where, g.amount, g.unit, g.field); err != nil {
				return err
			}
		}
		if g.b.OrganizationID == p.v.OrgID || p.v.Role == viewer.Admin {
			if err := p.tx.Batch.UpdateOne(g.b).SetStatus(batch.StatusDESTROYED).Exec(ctx); err != nil {
				return fmt.Errorf("marking lot %s destroyed: %w", g.b.LotCode, err)
			}
		}
		p.rec.Changed(ent.TypeBatch, g.b.ID)
	}
	return nil
}

// recall marks the caller's own lots recalled. A recall of others' lots is
// a regulator's or their producer's to start, through initiateRecall: the
// event is stored and noted.
func (p *projector) recall(ctx context.Context) error {
	goods, err := p.goods(ctx)
	if err != nil {
		return err
	}
	for _, g := range goods {
		if g.b.OrganizationID != p.v.OrgID && p.v.Role != viewer.Admin {
			p.note("lot %s is another organisation's to recall", g.b.LotCode)
			continue
		}
		if err := p.tx.Batch.UpdateOne(g.b).SetStatus(batch.StatusRECALLED).Exec(ctx); err != nil {
			return fmt.Errorf("marking lot %s recalled: %w", g.b.LotCode, err)
		}
		p.rec.Changed(ent.TypeBatch, g.b.ID)
	}
	return nil
}

// sensed stores an event's temperature reports as readings: of the
// shipment it departs, or the one its despatch advice names, or else of
// where it happened.
func (p *projector) sensed(ctx context.Context, where *ent.Facility, s *ent.Shipment) error {
	if len(p.e.SensorElementList) == 0 {
		return nil
	}
	if s == nil {
		if doc := p.despatch(); doc != "" {
			if err := p.flushShips(ctx); err != nil {
				return err
			}
			q := p.tx.Shipment.Query()
			if id, ok := ownID(doc, "urn:suyuan:shipment:"); ok {
				q.Where(shipment.ID(id))
			} else {
				q.Where(shipment.ReferenceDoc(doc))
			}
			found, err := q.WithFromFacility().WithToFacility().Order(ent.Desc(shipment.FieldID)).First(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return fmt.Errorf("finding the shipment sensed: %w", err)
			}
			if found != nil {
				if p.v.Role != viewer.Admin && found.CarrierID != p.v.OrgID && (where == nil || where.OrganizationID != p.v.OrgID) {
					return errcode.Field(errcode.Forbidden, p.field("bizTransactionList"), "only the shipment's carrier or shipper records its readings")
				}
				// Readings on a trip concern its carrier, its shipper and
				// its receiver, and the regions it runs between.
				s = found
				p.parties = append(p.parties, found.CarrierID)
				for _, f := range []*ent.Facility{found.Edges.FromFacility, found.Edges.ToFacility} {
					p.parties = append(p.parties, f.OrganizationID)
					p.regions = append(p.regions, f.RegionCode)
				}
			}
		}
	}
	if s == nil && where == nil {
		p.note("sensor reports stored: no shipment or registered facility to attach them to")
		return nil
	}
	var bulk []*ent.SensorReadingCreate
	for _, el := range p.e.SensorElementList {
		for _, r := range el.SensorReport {
			c, ok := celsius(r)
			if !ok {
				continue
			}
			at := p.e.EventTime
			switch {
			case r.Time != nil:
				at = *r.Time
			case el.SensorMetadata != nil && el.SensorMetadata.Time != nil:
				at = *el.SensorMetadata.Time
			}
			rd := p.tx.SensorReading.Create().SetRecordedAt(at.UTC()).SetTemperatureC(c)
			if s != nil {
				rd.SetShipmentID(s.ID)
			} else {
				rd.SetFacilityID(where.ID)
			}
			bulk = append(bulk, rd)
		}
	}
	for start := 0; start < len(bulk); start += readingChunk {
		if err := p.tx.SensorReading.CreateBulk(bulk[start:min(start+readingChunk, len(bulk))]...).Exec(ctx); err != nil {
			return fmt.Errorf("storing readings: %w", err)
		}
	}
	if s != nil {
		p.rec.Changed(ent.TypeShipment, s.ID)
	}
	return nil
}

// celsius reads a temperature report in °C.
func celsius(r epcis.SensorReport) (float64, bool) {
	typ := r.Type
	if i := strings.LastIndexAny(typ, ":-/"); i >= 0 {
		typ = typ[i+1:]
	}
	if typ != "Temperature" || r.Value == nil {
		return 0, false
	}
	v := *r.Value
	switch r.UOM {
	case "CEL", "":
	case "FAH":
		v = (v - 32) * 5 / 9
	case "KEL":
		v -= 273.15
	default:
		return 0, false
	}
	if math.IsNaN(v) || v < -100 || v > 100 {
		return 0, false
	}
	return v, true
}
