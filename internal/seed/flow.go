package seed

import (
	"fmt"
	"math"
	"slices"
	"time"

	"suyuan/internal/quantity"
)

// This file moves food: it creates lots, ships, shelves and inspects them
// while keeping each lot's holdings, so that nothing is ever shipped,
// consumed or shelved that is not at the facility, and the Stock rows
// written at the end of a supply chain are exactly its balance.

// lot is a batch being generated.
type lot struct {
	id       int64
	code     string
	prod     *prod
	org      *org
	fac      *fac // where it was produced
	at       time.Time
	created  time.Time
	qty      int64 // thousandths of the unit
	expires  time.Time
	recallAt time.Time // when a failed inspection recalled it; zero if never
	holdings []holding
	transit  int64 // on shipments that have departed and not arrived
	last     time.Time
	codes    []issued // trace codes, written with the lot

	// With Options.Faults only, see faults.go.
	fault     string        // the lot fault injected into it, if any
	excursion time.Duration // total duration of the excursions of its trips
	excBy     string        // the fault that added more than door openings to it
	repeat    bool          // it is to get repeated short excursions
	shelves   []shelving    // where and when it was put on shelves
	scans     int           // scan events of its codes
}

// holding is how much of a lot one facility has, and when that last
// changed.
type holding struct {
	fac   *fac
	milli int64
	at    time.Time
	// What produced or delivered, shipped out and shelved there: the
	// quantities the mass-balance rules compare. phantom names the fault
	// that added stock from nowhere.
	in, out, shelved int64
	phantom          string
}

// issued is a trace code of a lot.
type issued struct {
	id     int64
	code   string
	serial string // "" for the lot's opaque code
	scans  int
}

// use is a quantity of an input lot consumed by a transformation.
type use struct {
	lot   *lot
	milli int64
}

// shipItem is a quantity of a lot on a shipment.
type shipItem struct {
	lot   *lot
	milli int64
}

func (l *lot) unit() quantity.Unit { return l.prod.spec.unit }

func (l *lot) avail(f *fac) int64 {
	for _, h := range l.holdings {
		if h.fac == f {
			return h.milli
		}
	}
	return 0
}

// change adds delta to what f has of the lot and returns the holding,
// valid until the next change.
func (l *lot) change(f *fac, delta int64, at time.Time) *holding {
	if at.After(l.last) {
		l.last = at
	}
	for i := range l.holdings {
		if h := &l.holdings[i]; h.fac == f {
			h.milli += delta
			if at.After(h.at) {
				h.at = at
			}
			if h.milli < 0 {
				panic(fmt.Sprintf("seed: lot %d overdrawn at facility %d", l.id, f.id)) // callers clamp to avail
			}
			return h
		}
	}
	if delta < 0 {
		panic(fmt.Sprintf("seed: lot %d taken from facility %d that never had it", l.id, f.id))
	}
	l.holdings = append(l.holdings, holding{fac: f, milli: delta, at: at})
	return &l.holdings[len(l.holdings)-1]
}

// grain is the smallest quantity the generator records of a unit:
// 100 g or 100 mL for weights and volumes, one whole piece, box or head.
func grain(u quantity.Unit) int64 {
	switch u {
	case quantity.Kilogram, quantity.Litre:
		return 100
	}
	return 1000
}

func floorTo(v, g int64) int64 { return v / g * g }

// scale multiplies a quantity by f and rounds down to the unit's grain.
func scale(v int64, f float64, u quantity.Unit) int64 {
	return floorTo(int64(float64(v)*f), grain(u))
}

func milliFloat(m int64) float64 { return float64(m) / 1000 }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// split divides total into at most n random parts, each a multiple of
// the grain gr except that the last takes any remainder.
func (g *gen) split(total int64, n int, gr int64) []int64 {
	units := total / gr
	if units <= 0 || n <= 0 {
		if total > 0 && n > 0 {
			return []int64{total}
		}
		return nil
	}
	n = int(min(int64(n), units))
	w := make([]float64, n)
	sum := 0.0
	for i := range w {
		w[i] = g.uniform(0.5, 1.5)
		sum += w[i]
	}
	parts := make([]int64, n)
	left := units - int64(n) // every part gets one grain first
	given := int64(0)
	for i := range parts {
		extra := int64(math.Floor(float64(left) * w[i] / sum))
		parts[i] = (1 + extra) * gr
		given += 1 + extra
	}
	parts[n-1] += (units-given)*gr + total%gr
	return parts
}

// newLot records a lot of p produced at f by o, made from inputs held at
// f. It returns nil when the lot would be produced after the anchor (it
// has not happened yet) or has nothing to be made of.
func (g *gen) newLot(o *org, p *prod, f *fac, at time.Time, milli int64, inputs []use) *lot {
	milli = floorTo(milli, grain(p.spec.unit))
	if at.After(g.anchor) || milli <= 0 {
		return nil
	}
	var used []use
	for _, in := range inputs {
		if in.lot == nil {
			continue
		}
		if q := min(in.milli, in.lot.avail(f)); q > 0 {
			used = append(used, use{in.lot, q})
		}
	}
	if len(inputs) > 0 && len(used) == 0 {
		return nil
	}
	p.lotSeq++
	l := &lot{
		id:      g.id(tBatches),
		code:    fmt.Sprintf("%s%s-%03d", p.spec.lotCode, at.In(cst).Format("060102"), p.lotSeq),
		prod:    p,
		org:     o,
		fac:     f,
		at:      at,
		created: at.Add(g.hours(0.1, 1)),
		qty:     milli,
	}
	if p.spec.shelfDays > 0 {
		l.expires = at.AddDate(0, 0, p.spec.shelfDays)
	}
	l.change(f, milli, at).in += milli
	for _, u := range used {
		u.lot.change(f, -u.milli, at)
		g.emit(tBatchInputs, g.id(tBatchInputs), milliFloat(u.milli), string(u.lot.unit()), utc(l.created), l.id, u.lot.id)
	}
	g.lots = append(g.lots, l)
	g.inspect(l)
	if p.spec.packaged {
		g.traceCodes(l)
	}
	return l
}

// endChain writes the lots of the finished supply chain with their final
// status, and their stock.
func (g *gen) endChain() {
	for _, l := range g.lots {
		if g.inj != nil {
			g.scan(l)
			g.settle(l)
		}
		status, updated := "ACTIVE", l.created
		var onHand int64
		for _, h := range l.holdings {
			onHand += h.milli
		}
		switch {
		case !l.recallAt.IsZero():
			status, updated = "RECALLED", l.recallAt
		case onHand == 0 && l.transit == 0:
			status, updated = "EXHAUSTED", later(l.created, l.last)
		}
		var expires any
		if !l.expires.IsZero() {
			expires = utc(l.expires)
		}
		g.emit(tBatches, l.id, utc(l.created), utc(updated), l.code, utc(l.at), milliFloat(l.qty),
			string(l.unit()), expires, status, l.fac.id, l.org.id, l.prod.id, l.scans)
		for _, h := range l.holdings {
			g.emit(tStocks, g.id(tStocks), h.milli, string(l.unit()), utc(h.at), l.id, h.fac.id)
		}
		for _, c := range l.codes {
			var serial any
			if c.serial != "" {
				serial = c.serial
			}
			g.emit(tTraceCodes, c.id, c.code, serial, c.scans, utc(l.created), l.id)
		}
	}
	clear(g.lots)
	g.lots = g.lots[:0]
}

// inspect has a laboratory test about one lot in five. Market
// surveillance samples consumer packs, and a few of those fail: the lot is
// recalled hours after the report. With faults, every carcass is tested
// too, and only the spoiled pork injected fails.
func (g *gen) inspect(l *lot) {
	if !g.chance(0.2) && !(g.inj != nil && l.prod.spec.carcass()) {
		return
	}
	final := l.prod.spec.packaged
	at := l.at.Add(g.hours(1, 8))
	if final {
		at = l.at.Add(g.hours(12, 48))
	}
	reported := at.Add(g.hours(2, 30))
	if reported.After(g.anchor) {
		return
	}
	defs := g.profiles[l.prod.spec.profile]
	failing := -1
	switch {
	case g.inj != nil:
		failing = g.spoil(l, defs, at)
	case final && !g.safe && g.chance(0.02):
		failing = g.intn(len(defs))
	}
	result, notes := "PASS", ""
	if failing >= 0 {
		result = "FAIL"
		notes = defs[failing].name + " 超出限量 (exceeds the legal limit)"
		if recall := reported.Add(g.hours(1, 6)); !recall.After(g.anchor) {
			l.recallAt = recall
		}
	}
	id := g.id(tInspections)
	cert := fmt.Sprintf("YAJC%s%07d", at.In(cst).Format("200601"), g.count[tInspections]+1)
	lab := pick(g, g.labs)
	g.emit(tInspections, id, utc(reported), utc(reported), utc(at), result, cert, "", notes, l.id, lab.id)
	for i, d := range defs {
		var lo, hi any
		if d.hasMin {
			lo = d.min
		}
		if d.hasMax {
			hi = d.max
		}
		var v float64
		if g.inj != nil {
			v = g.steadyMeasure(l, i, d, at, i == failing)
		} else {
			v = g.measure(d, i == failing)
		}
		g.emit(tMeasurements, g.id(tMeasurements), d.name, v, d.unit, lo, hi, id)
	}
}

// measure draws a measured value: within the limits unless failing.
func (g *gen) measure(d measureDef, fail bool) float64 {
	if fail {
		return round(g.uniform(d.failLo, d.failHi), d.decimals)
	}
	if d.mean == 0 && d.sd == 0 {
		return 0 // not detected
	}
	lo, hi := 0.0, math.Inf(1)
	if d.hasMin {
		lo = d.min * 1.01
	}
	if d.hasMax {
		hi = d.max * 0.97
	}
	v := round(min(max(g.normal(d.mean, d.sd), lo), hi), d.decimals)
	if d.hasMax && v > d.max {
		v = d.max
	}
	if d.hasMin && v < d.min {
		v = d.min
	}
	return v
}

// codeAlphabet is Crockford's base 32: no I, L, O or U to misread.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// traceCodes gives a consumer lot its QR code: an opaque 16-character
// code of 80 random bits, and for a few lots serialised codes as well.
// They are written with the lot, when its scans are known: without
// Options.Faults there are none.
func (g *gen) traceCodes(l *lot) {
	l.codes = append(l.codes, issued{id: g.id(tTraceCodes), code: g.code()})
	if g.chance(0.05) {
		for s := range int(min(3, l.qty/1000)) {
			l.codes = append(l.codes, issued{id: g.id(tTraceCodes), code: g.code(), serial: fmt.Sprintf("%06d", s+1)})
		}
	}
}

func (g *gen) code() string {
	var b [16]byte
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	for i := range 8 {
		b[i] = codeAlphabet[hi&31]
		hi >>= 5
		b[8+i] = codeAlphabet[lo&31]
		lo >>= 5
	}
	return string(b[:])
}

// storage is the range a shipment must keep. Items of one shipment share
// their range: callers group lots with byStorage.
func storage(items []shipItem) tempRange {
	return items[0].lot.prod.spec.temp
}

// distanceKm is the road distance between two facilities, roughly.
func distanceKm(a, b *fac) float64 {
	dy := (b.lat - a.lat) * 111
	dx := (b.lon - a.lon) * 111 * math.Cos(a.lat*math.Pi/180)
	return math.Hypot(dx, dy) * 1.3
}

// ship moves items from one facility to another, leaving at dep. It
// returns the arrival time and whether the goods were delivered: a
// shipment that is planned (departing after the anchor), still in transit
// or rejected delivers nothing.
func (g *gen) ship(from, to *fac, dep time.Time, items []shipItem) (time.Time, bool) {
	var load []shipItem
	for _, it := range items {
		l := it.lot
		if l == nil || (!l.recallAt.IsZero() && !dep.Before(l.recallAt)) {
			continue
		}
		if q := min(it.milli, l.avail(from)); q > 0 {
			load = append(load, shipItem{l, q})
		}
	}
	if len(load) == 0 {
		return time.Time{}, false
	}
	tr := storage(load)
	cold := tr.hasMax && tr.max <= 12
	pool := g.carriers
	if cold && len(g.cold) > 0 {
		pool = g.cold
	}
	c := pick(g, pool)
	drive := time.Duration(distanceKm(from, to) / 35 * float64(time.Hour)).Round(time.Second)
	var arr time.Time
	delayed := false
	if g.inj != nil {
		arr = dep.Add(g.inj.jitter(g, from, to) + drive)
		arr, delayed = g.delay(from, to, dep, arr)
	} else {
		arr = dep.Add(g.hours(0.3, 0.7) + drive)
	}

	status := "DELIVERED"
	switch {
	case dep.After(g.anchor):
		status = "PLANNED"
	case arr.After(g.anchor):
		status = "IN_TRANSIT"
	case cold && !g.safe && g.inj == nil && g.chance(0.003):
		// The receiver refused a broken cold chain. Not with faults: the
		// rules would judge its readings, and whether goods that came
		// back left at all is for the mass-balance rules to decide.
		status = "REJECTED"
	}
	if g.inj != nil && (status == "IN_TRANSIT" || status == "DELIVERED") {
		g.overShip(from, dep, load)
	}
	id := g.id(tShipments)
	created := dep.Add(-g.hours(2, 20))
	if created.After(g.anchor) {
		created = g.anchor.Add(-g.hours(0, 2))
	}
	updated := created
	var departed, arrived any
	switch status {
	case "IN_TRANSIT":
		departed, updated = utc(dep), dep
	case "DELIVERED", "REJECTED":
		departed, arrived, updated = utc(dep), utc(arr), arr
	}
	ref := fmt.Sprintf("YD%s%07d", dep.In(cst).Format("20060102"), g.count[tShipments]+1)
	g.emit(tShipments, id, utc(created), utc(updated), pick(g, c.plates), departed, arrived, status, ref, from.id, to.id, c.org.id)
	for _, it := range load {
		g.emit(tShipmentItems, g.id(tShipmentItems), milliFloat(it.milli), string(it.lot.unit()), it.lot.id, id)
		switch status {
		case "IN_TRANSIT":
			it.lot.change(from, -it.milli, dep).out += it.milli
			it.lot.transit += it.milli
		case "DELIVERED":
			it.lot.change(from, -it.milli, dep).out += it.milli
			it.lot.change(to, it.milli, arr).in += it.milli
		}
	}
	switch {
	case status == "PLANNED":
	case g.inj != nil:
		g.logTrip(id, from, to, dep, arr, tr, load, status == "DELIVERED", delayed)
	default:
		g.readings(id, from, to, dep, arr, tr, status == "REJECTED")
	}
	return arr, status == "DELIVERED"
}

// readings logs four to six temperatures along a trip, up to the anchor.
// A rejected trip warmed up at the end; one trip in fifty has a brief
// excursion (a door left open) that cold-chain rules should tolerate or
// flag depending on its length.
func (g *gen) readings(shipment int64, from, to *fac, dep, arr time.Time, tr tempRange, rejected bool) {
	n := g.rangeInt(4, 6)
	var set, spread float64
	switch {
	case tr.hasMin && tr.hasMax:
		set, spread = (tr.min+tr.max)/2, (tr.max-tr.min)/4
	case tr.hasMax:
		set, spread = tr.max-8, 3
	default:
		set, spread = 16, 5
	}
	blip := -1
	if tr.hasMax && g.chance(0.02) {
		blip = g.intn(n)
	}
	for i := range n {
		frac := (float64(i) + 0.5) / float64(n)
		at := dep.Add(time.Duration(frac * float64(arr.Sub(dep))))
		if at.After(g.anchor) {
			break
		}
		t := set + g.uniform(-spread, spread)
		switch {
		case rejected && i >= n-2:
			t = tr.max + g.uniform(4, 9)
		case i == blip:
			t = tr.max + g.uniform(1, 3)
		}
		lat := from.lat + (to.lat-from.lat)*frac + g.uniform(-0.005, 0.005)
		lon := from.lon + (to.lon-from.lon)*frac + g.uniform(-0.005, 0.005)
		g.emit(tSensorReadings, g.id(tSensorReadings), utc(at), round(t, 1), round(g.uniform(55, 90), 1),
			round(lat, 6), round(lon, 6), nil, shipment)
	}
}

// shelve puts a quantity of a lot on a shelf and, if that has happened by
// the anchor, takes it off again: sold out, expired, damaged or recalled.
func (g *gen) shelve(l *lot, store *fac, at time.Time, milli int64) {
	if !g.canShelve(l, at) {
		return
	}
	milli = min(milli, l.avail(store))
	if milli <= 0 {
		return
	}
	sell := g.hours(24, 24*30)
	if d := l.prod.spec.shelfDays; d > 0 && d <= 10 {
		sell = g.hours(6, 60)
	}
	removed, reason := at.Add(sell), "SOLD_OUT"
	if g.chance(0.01) {
		removed, reason = at.Add(g.hours(1, 24)), "DAMAGED"
	}
	if !l.expires.IsZero() && removed.After(l.expires) {
		removed, reason = l.expires, "EXPIRED"
	}
	if !l.recallAt.IsZero() && removed.After(l.recallAt) {
		removed, reason = l.recallAt, "RECALLED"
	}
	var removedAt, why any
	updated := at
	if !removed.After(g.anchor) && !(reason == "EXPIRED" && g.leaveExpired(l, at)) {
		removedAt, why, updated = utc(removed), reason, removed
	}
	g.emit(tShelfEvents, g.id(tShelfEvents), utc(at), utc(updated), milliFloat(milli), string(l.unit()),
		utc(at), removedAt, why, l.id, store.id)
	l.change(store, -milli, at).shelved += milli
	if g.inj != nil {
		l.shelves = append(l.shelves, shelving{store, at})
	}
}

// canShelve reports whether a lot can go on a shelf at a time: before the
// anchor, its recall and its expiry.
func (g *gen) canShelve(l *lot, at time.Time) bool {
	return !at.After(g.anchor) && (l.recallAt.IsZero() || at.Before(l.recallAt)) &&
		(l.expires.IsZero() || at.Before(l.expires))
}

// shelveReceived shelves most of what a shop has of a lot in one to
// three goes on consecutive days; the rest stays in the back room.
func (g *gen) shelveReceived(l *lot, store *fac, arrived time.Time) {
	have := l.avail(store)
	total := scale(have, g.uniform(0.6, 1), l.unit())
	if total <= 0 {
		total = have
	}
	at := arrived.Add(g.hours(0.5, 3))
	over := g.inj != nil && store.kind == "STORE" && l.fault == "" && g.due(FaultOverShelving, arrived, 0.05)
	parts := g.split(total, g.rangeInt(1, 3), grain(l.unit()))
	for i, q := range parts {
		if over && i == len(parts)-1 {
			g.overShelve(l, store, at)
		} else {
			g.shelve(l, store, at, q)
		}
		at = at.Add(g.hours(18, 30))
	}
}

// byStorage groups the lots that have stock at f by storage range: each
// group travels in its own truck.
func byStorage(lots []*lot, f *fac) [][]*lot {
	var groups [][]*lot
next:
	for _, l := range lots {
		if l == nil || l.avail(f) <= 0 {
			continue
		}
		for i, grp := range groups {
			if grp[0].prod.spec.temp == l.prod.spec.temp {
				groups[i] = append(grp, l)
				continue next
			}
		}
		groups = append(groups, []*lot{l})
	}
	return groups
}

// distribute sends most of what is left of lots at from to shops, where
// it is shelved: through a supermarket chain's distribution centre, or
// straight to a few stores or (for carcasses and fresh produce) markets.
func (g *gen) distribute(from *fac, at time.Time, lots []*lot, toMarkets bool) {
	for _, grp := range byStorage(lots, from) {
		if !toMarkets && len(g.chains) > 0 && g.chance(0.55) {
			g.viaChain(from, at, grp)
		} else {
			g.fanOut(from, at, grp, g.outlets(from.region, g.rangeInt(1, 3), toMarkets), g.uniform(0.05, 0.3))
		}
		at = at.Add(g.hours(0.2, 1))
	}
}

func (g *gen) viaChain(from *fac, at time.Time, lots []*lot) {
	var c *retailChain
	var wh *fac
	if g.inj != nil {
		c, wh = g.supplied(from)
	} else {
		c = g.chains[g.weighted(g.chainWeights())]
		wh = pick(g, c.warehouses)
	}
	items := make([]shipItem, 0, len(lots))
	for _, l := range lots {
		items = append(items, shipItem{l, scale(l.avail(from), g.uniform(0.5, 0.9), l.unit())})
	}
	arr, ok := g.ship(from, wh, at, items)
	if !ok {
		return
	}
	g.fanOut(wh, arr.Add(g.hours(3, 10)), lots, g.sample(c.stores, g.rangeInt(2, 5)), g.uniform(0, 0.15))
}

// fanOut ships a share of each lot to some of the destinations and has
// them shelve it; keep is the share that stays at from.
func (g *gen) fanOut(from *fac, at time.Time, lots []*lot, dests []*fac, keep float64) {
	if len(dests) == 0 {
		return
	}
	plan := make([][]shipItem, len(dests))
	for _, l := range lots {
		send := scale(l.avail(from), 1-keep, l.unit())
		if send <= 0 {
			continue
		}
		var takers []int
		for i := range dests {
			if g.chance(0.7) {
				takers = append(takers, i)
			}
		}
		if len(takers) == 0 {
			takers = append(takers, g.intn(len(dests)))
		}
		for i, q := range g.split(send, len(takers), grain(l.unit())) {
			plan[takers[i]] = append(plan[takers[i]], shipItem{l, q})
		}
	}
	for i, d := range dests {
		if len(plan[i]) == 0 {
			continue
		}
		arr, ok := g.ship(from, d, at, plan[i])
		at = at.Add(g.hours(0.1, 0.6))
		if !ok {
			continue
		}
		for _, it := range plan[i] {
			g.shelveReceived(it.lot, d, arr)
		}
	}
}

// chainWeights weights chains by their number of stores.
func (g *gen) chainWeights() []int {
	if len(g.chainW) != len(g.chains) {
		g.chainW = make([]int, len(g.chains))
		for i, c := range g.chains {
			g.chainW[i] = len(c.stores)
		}
	}
	return g.chainW
}

// outlets picks k distinct shops, mostly in region r: markets when
// markets is set, otherwise mostly stores.
func (g *gen) outlets(r *region, k int, markets bool) []*fac {
	var out []*fac
	for tries := 0; len(out) < k && tries < 4*k; tries++ {
		all, local := g.stores, g.storesIn[r.idx]
		if (markets && g.chance(0.7) || len(g.stores) == 0) && len(g.markets) > 0 {
			all, local = g.markets, g.marketsIn[r.idx]
		}
		pool := all
		if len(local) > 0 && g.chance(0.6) {
			pool = local
		}
		if f := pick(g, pool); !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// sample picks up to k distinct facilities from s.
func (g *gen) sample(s []*fac, k int) []*fac {
	if k >= len(s) {
		return append([]*fac(nil), s...)
	}
	out := make([]*fac, 0, k)
	for len(out) < k {
		if f := pick(g, s); !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// pickNear picks up to k distinct producers of a role, mostly from
// region near.
func (g *gen) pickNear(r role, near *region, k int) []*producer {
	all, local := g.producers[r], g.byRegion[r][near.idx]
	var out []*producer
	for tries := 0; len(out) < k && tries < 8*k; tries++ {
		pool := all
		if len(local) > 0 && g.chance(0.7) {
			pool = local
		}
		if p := pick(g, pool); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// day returns local midnight of the day the next supply chain starts.
// Chains are generated in calendar order, the year advancing with the
// number of batches, plus a little jitter: rows then arrive in roughly
// time order, and every index on a time column (departures, readings,
// shelving) grows at its end instead of everywhere, which makes loading
// several times faster. It also gives IDs that grow with time, as they
// would in production.
func (g *gen) day() time.Time {
	done := float64(g.count[tBatches]) / float64(g.p.batches)
	d := min(365, int(done*365)+g.intn(2))
	y, m, dd := g.anchor.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, cst).AddDate(0, 0, d-365)
}
