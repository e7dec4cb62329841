package seed

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"suyuan/internal/anomaly"
)

// This file injects faults: anomalies put into a generated data set on
// purpose, with the truth about them, so that the screening rules of
// docs/ANOMALIES.md can be measured against it (precision and recall per
// rule). With Options.Faults the rest of the data is kept clear of
// anything a rule would flag, by construction rather than by running the
// rules:
//
//   - no failed inspections, rejected trips or recalls but those of the
//     spoiled pork injected here;
//   - passing measurements and transit times follow golden-ratio
//     sequences per product and per route, so that any 20 measurements of
//     a product or 8 trips of a route cover their range evenly and none
//     scores as an outlier, as an unlucky random draw could;
//   - door openings are short, and a lot's excursions stay far below its
//     budget;
//   - every duration a rule compares with a threshold stays at least
//     margin away from it, so that a rule reading "at least" for "more
//     than" still agrees.
//
// Faults are recorded where they are injected. What a fault does to other
// rows — each lot on a trip whose compressor failed goes over its
// excursion budget — is settled from the generator's own bookkeeping when
// the supply chain ends, and the bookkeeping also checks that nothing
// else crossed a threshold.

// Fault is one anomaly the generator put into the data on purpose.
type Fault struct {
	// Name is what was injected, one of FaultNames.
	Name string
	// Subject is the row the alert is about: SHIPMENT for trip faults,
	// BATCH for lot faults, TRACE_CODE for scan faults, with IDs as
	// written to the database.
	Subject anomaly.Subject
	// Expect lists the alert kinds this fault must raise on that subject;
	// it is empty for faults that must not alarm (door openings).
	Expect []anomaly.Kind
}

// Names of faults. A fault that raises a kind on other subjects too has
// one Fault per subject, all with its name.
const (
	// A refrigerated trip logged every 5 minutes warms slowly, over hours,
	// to 5.5–7.5 °C above the maximum: SUSTAINED_EXCURSION on the
	// shipment and CUMULATIVE_EXCURSION on every batch on it.
	FaultCompressor = "compressor-failure"
	// A refrigerated trip logged every 5 minutes with one or two spikes of
	// one or two readings (at most 5 minutes) at most 5 °C above the
	// maximum: no alert.
	FaultDoorOpening = "door-opening"
	// One reading 9–14 °C above the maximum: TEMPERATURE_OUT_OF_RANGE.
	FaultHotSpike = "hot-spike"
	// A lot on its way to a distribution centre and on to stores gets
	// excursions of 1–2 °C on its trips, each at least 10 minutes shorter
	// than its category's sustained time, adding up to 10 minutes or more
	// beyond its budget: CUMULATIVE_EXCURSION on it, and on every other
	// lot of those trips whose excursions add up past its budget too.
	FaultRepeated = "repeated-excursions"
	// A trip logged every 5 minutes misses 30–60 minutes of readings:
	// LOGGING_GAP.
	FaultLoggerGap = "logger-gap"
	// A lot of chilled pork (at small scale, a carcass) fails its
	// inspection with TVB-N of 20–40 mg/100g
	// among at least 22 passing values of its product within the last 90
	// days: INSPECTION_FAILED, OVER_LEGAL_LIMIT and MEASUREMENT_OUTLIER.
	FaultSpoiledPork = "spoiled-pork"
	// A trip takes 3–5 times its usual time and 3 hours more, on a route
	// with at least 8 other delivered trips within the last 90 days:
	// TRANSIT_OUTLIER.
	FaultTransitDelay = "transit-delay"
	// A store shelves 10–30 % more of a lot than it received:
	// OVER_SHELVED.
	FaultOverShelving = "over-shelving"
	// A farm ships 10–30 % more of a lot than it produced: OVER_SHIPPED.
	FaultOverShipping = "over-shipping"
	// A shop leaves a lot on the shelf past its expiry: EXPIRED_ON_SHELF.
	FaultExpiredOnShelf = "expired-on-shelf"
	// A serialised code is scanned 24–32 times within 4 days:
	// SCAN_BURST.
	FaultScanBurst = "scan-burst"
	// A serialised code is scanned in Ya'an and in another province
	// within 24 hours: SCAN_SPREAD.
	FaultScanSpread = "scan-spread"
	// A lot's opaque code, printed on every pack, is scanned 28–43 times
	// within 6 days, in Ya'an and, within 12 hours of a scan there, in
	// another province: no alert, since only serialised codes are judged.
	FaultBusyLotCode = "busy-lot-code"
)

// FaultNames lists every fault Generate injects.
func FaultNames() []string {
	return []string{FaultCompressor, FaultDoorOpening, FaultHotSpike, FaultRepeated, FaultLoggerGap,
		FaultSpoiledPork, FaultTransitDelay, FaultOverShelving, FaultOverShipping, FaultExpiredOnShelf,
		FaultScanBurst, FaultScanSpread, FaultBusyLotCode}
}

// Thresholds of docs/ANOMALIES.md the faults are built around.
const (
	hardMargin  = 8.0 // °C outside the range: TEMPERATURE_OUT_OF_RANGE
	minGap      = 20 * time.Minute
	statsWindow = 90 * 24 * time.Hour // of measurement and transit outliers
	minSample   = 20                  // measurements
	minTrips    = 8
	burstScans  = 20 // within 7 days
)

// coldLimits returns a category's sustained time and excursion budget.
func coldLimits(category string) (sustained, budget time.Duration) {
	switch category {
	case "AQUATIC":
		return 20 * time.Minute, 45 * time.Minute
	case "MEAT", "POULTRY", "DAIRY", "EGG":
		return 30 * time.Minute, 60 * time.Minute
	}
	return time.Hour, 2 * time.Hour
}

// margin is how far every excursion, total of excursions and logging gap
// stays from the threshold it is judged against.
const margin = 10 * time.Minute

// logEvery is the interval of densely logged trips.
const logEvery = 5 * time.Minute

// invPhi is the golden ratio's fractional part: adding it again and again
// modulo 1 gives the most evenly spread sequence there is.
const invPhi = 0.6180339887498949

// elsewhere are regions outside Sichuan (province 51) scans may come from.
func elsewhere() []string { return []string{"440300", "110105", "310115", "500103", "330106"} }

// injector decides where faults go and keeps the truth.
type injector struct {
	want    int // faults of each name
	done    map[string]int
	faults  []Fault
	routes  map[[2]int64]*route
	series  map[seriesKey]float64
	samples map[int64]*sample // by product
	supply  map[*fac]contract
	overLot *lot // the lot collect is shipping with too much, see overShip
}

// newInjector returns an injector that puts about four faults of each name
// into a small data set, and proportionally more into larger ones.
func newInjector(p params) *injector {
	return &injector{
		want:    max(4, p.batches/500),
		done:    map[string]int{},
		routes:  map[[2]int64]*route{},
		series:  map[seriesKey]float64{},
		samples: map[int64]*sample{},
		supply:  map[*fac]contract{},
	}
}

// route is what the injector keeps of the trips from one facility to
// another.
type route struct {
	u         float64     // position in the route's jitter sequence
	delivered []time.Time // departures of delivered trips in the last 90 days, but delayed ones
	delayed   int
}

// seriesKey is one measurement of one product.
type seriesKey struct {
	product int64
	measure int
}

// sample is when a product's TVB-N was measured, from 91 days before the
// anchor.
type sample struct {
	passed, spoiled []time.Time
}

// contract is the distribution centre a producer delivers to.
type contract struct {
	chain *retailChain
	wh    *fac
}

// shelving is a quantity of a lot put on a shelf.
type shelving struct {
	store *fac
	at    time.Time
}

// reading is a logged temperature.
type reading struct {
	at time.Time
	c  float64
}

func (s *spec) carcass() bool { return strings.HasSuffix(s.key, ".carcass") }

func frac(x float64) float64 { return x - math.Floor(x) }

// window is when faults of a name may happen: some need history before
// them, and none may be cut short by the anchor.
func (g *gen) window(name string) (from, to time.Time) {
	day := 24 * time.Hour
	from, to = g.anchor.AddDate(0, 0, -365), g.anchor
	switch name {
	case FaultTransitDelay:
		from, to = g.anchor.Add(-70*day), g.anchor.Add(-2*day)
	case FaultSpoiledPork:
		from, to = g.anchor.Add(-80*day), g.anchor.Add(-2*day)
	case FaultExpiredOnShelf:
		to = g.anchor.Add(-day)
	case FaultScanBurst, FaultScanSpread, FaultBusyLotCode:
		to = g.anchor.Add(-8 * day)
	}
	return from, to
}

// due reports whether to inject a fault into an opportunity at t. The
// faults of a name are paced evenly over their window, so that each name
// gets its share whatever the seed; chance p picks among the
// opportunities.
func (g *gen) due(name string, t time.Time, p float64) bool {
	if !g.open(name, t) {
		return false
	}
	from, to := g.window(name)
	allowed := int(math.Ceil(float64(t.Sub(from)) / float64(to.Sub(from)) * float64(g.inj.want)))
	return g.inj.done[name] < allowed && g.chance(p)
}

// open reports whether a fault of a name may happen at t, before the
// costlier checks of an opportunity.
func (g *gen) open(name string, t time.Time) bool {
	from, to := g.window(name)
	return g.inj != nil && !g.safe && !t.Before(from) && !t.After(to)
}

// inject records a fault and counts it for pacing.
func (in *injector) inject(name string, typ anomaly.SubjectType, id int64, expect ...anomaly.Kind) {
	in.done[name]++
	in.also(name, typ, id, expect...)
}

// also records what a fault raises on another subject.
func (in *injector) also(name string, typ anomaly.SubjectType, id int64, expect ...anomaly.Kind) {
	in.faults = append(in.faults, Fault{Name: name, Subject: anomaly.Subject{Type: typ, ID: int(id)}, Expect: expect})
}

// Transit times.

// route returns the history of the trips from one facility to another.
func (in *injector) route(g *gen, from, to *fac) *route {
	k := [2]int64{from.id, to.id}
	r := in.routes[k]
	if r == nil {
		r = &route{u: g.rng.Float64()}
		in.routes[k] = r
	}
	return r
}

// jitter is the part of a trip's time spent loading and in traffic: 0.3 to
// 0.7 hours as without faults, but in the route's golden-ratio sequence,
// so that any few trips of a route spread over the whole range and none
// stands out among them.
func (in *injector) jitter(g *gen, from, to *fac) time.Duration {
	r := in.route(g, from, to)
	r.u = frac(r.u + invPhi)
	return time.Duration((0.3 + 0.4*r.u) * float64(time.Hour)).Round(time.Second)
}

// delay makes a trip take 3–5 times as long as it would, and 3 hours
// more, when its route has at least 8 other delivered trips in the 90 days
// before the anchor and before it, a day clear of the window's start, so
// that it is judged against them whichever of the two windows a rule
// takes. A route has at most one delayed trip for four on time: the median
// stays among the trips on time, which lie within 0.4 hours of each other,
// so their MAD is at most 0.4 hours and a delayed trip, more than 3 hours
// slower than any of them, scores above 5.
func (g *gen) delay(from, to *fac, dep, arr time.Time) (time.Time, bool) {
	if !g.open(FaultTransitDelay, dep) {
		return arr, false
	}
	r := g.inj.route(g, from, to)
	since := g.anchor.Add(-statsWindow + 24*time.Hour)
	n := 0
	for _, d := range r.delivered {
		if !d.Before(since) && d.Before(dep) {
			n++
		}
	}
	if n < minTrips || 4*(r.delayed+1) > n || !g.due(FaultTransitDelay, dep, 0.7) {
		return arr, false
	}
	late := dep.Add(time.Duration(float64(arr.Sub(dep))*g.uniform(3, 5)).Round(time.Second) + 3*time.Hour)
	if late.After(g.anchor) {
		return arr, false
	}
	r.delayed++
	return late, true
}

// supplied picks the distribution centre a producer delivers to: mostly
// the one it has a contract with, so that routes carry regular traffic, as
// they do in life, and a late trip has others to be judged against.
func (g *gen) supplied(from *fac) (*retailChain, *fac) {
	k, ok := g.inj.supply[from]
	if !ok {
		c := g.chains[g.weighted(g.chainWeights())]
		k = contract{c, pick(g, c.warehouses)}
		g.inj.supply[from] = k
	}
	if g.chance(0.9) {
		return k.chain, k.wh
	}
	c := g.chains[g.weighted(g.chainWeights())]
	return c, pick(g, c.warehouses)
}

// Mass balance and expiry.

// overShip makes the lot collect chose leave its farm with 10–30 % more
// than the farm produced. The extra appears at the farm from nowhere, so
// the farm's stock stays what the shipments leave it (zero), and the
// receiver gets and uses it as any delivery.
func (g *gen) overShip(from *fac, dep time.Time, load []shipItem) {
	l := g.inj.overLot
	for i, it := range load {
		if l == nil || it.lot != l || it.milli != l.qty {
			continue
		}
		extra := max(grain(l.unit()), scale(it.milli, g.uniform(0.1, 0.3), l.unit()))
		l.change(from, extra, dep).phantom = FaultOverShipping
		load[i].milli += extra
		l.fault = FaultOverShipping
		g.inj.inject(FaultOverShipping, anomaly.SubjectBatch, l.id, anomaly.OverShipped)
	}
}

// overShelve puts on the shelf everything the store has of a lot and
// 10–30 % more, which appears from nowhere.
func (g *gen) overShelve(l *lot, store *fac, at time.Time) {
	have := l.avail(store)
	if have <= 0 || !g.canShelve(l, at) {
		return
	}
	extra := max(grain(l.unit()), scale(have, g.uniform(0.1, 0.3), l.unit()))
	l.change(store, extra, at).phantom = FaultOverShelving
	g.shelve(l, store, at, have+extra)
	l.fault = FaultOverShelving
	g.inj.inject(FaultOverShelving, anomaly.SubjectBatch, l.id, anomaly.OverShelved)
}

// leaveExpired reports whether a shelf event that ended with its lot's
// expiry is to stay open instead: the shop forgot the lot on the shelf.
// Expiry is a day or more before the anchor.
func (g *gen) leaveExpired(l *lot, at time.Time) bool {
	if g.inj == nil || l.fault != "" || !l.recallAt.IsZero() || l.expires.After(g.anchor.Add(-24*time.Hour)) ||
		!g.due(FaultExpiredOnShelf, at, 0.25) {
		return false
	}
	l.fault = FaultExpiredOnShelf
	g.inj.inject(FaultExpiredOnShelf, anomaly.SubjectBatch, l.id, anomaly.ExpiredOnShelf)
	return true
}

// Inspections.

// spoil returns the index of the measurement a lot of chilled pork fails
// on, or -1. Only lots whose product has at least 22 passing TVB-N values
// both in the 90 days before the anchor and in the 90 days before the
// inspection, a day or two clear of either edge (an inspection is
// reported up to 30 hours after it), are spoiled, so that the value is
// judged an outlier whichever window and time a rule takes. A product
// gets at most one spoiled lot a week, and one in eight of its values.
// Carcasses, all of which are inspected, are the products with values
// enough at small scale.
func (g *gen) spoil(l *lot, defs []measureDef, at time.Time) int {
	sp := l.prod.spec
	if !strings.HasPrefix(sp.key, "pork.") || sp.temp != chilled() || defs[0].name != "TVB-N" || l.fault != "" ||
		!g.open(FaultSpoiledPork, at) {
		return -1
	}
	s := g.inj.samples[l.prod.id]
	if s == nil {
		return -1
	}
	since, until := g.anchor.Add(-statsWindow+24*time.Hour), at.Add(-48*time.Hour)
	passed := 0
	for _, t := range s.passed {
		if !t.Before(since) && t.Before(until) {
			passed++
		}
	}
	spoiled := 0
	for _, t := range s.spoiled {
		if t.After(at.Add(-7 * 24 * time.Hour)) {
			return -1
		}
		spoiled++
	}
	if passed < minSample+2 || 8*(spoiled+1) > passed || !g.due(FaultSpoiledPork, at, 0.5) {
		return -1
	}
	l.fault = FaultSpoiledPork
	g.inj.inject(FaultSpoiledPork, anomaly.SubjectBatch, l.id,
		anomaly.InspectionFailed, anomaly.OverLegalLimit, anomaly.MeasurementOutlier)
	return 0
}

// truncated is the share of a normal distribution below -2 sd.
const truncated = 0.022750131948179195

// steadyMeasure draws a measured value with faults on. A passing value is
// normal, truncated at ±2 sd and within the limits as measure's, but the
// quantiles follow the product's golden-ratio sequence rather than random
// draws: any run of a product's values spreads over the distribution, so
// none scores above 2.2 or so. A failing one is spoiled pork's TVB-N.
func (g *gen) steadyMeasure(l *lot, i int, d measureDef, at time.Time, fail bool) float64 {
	if d.name == "TVB-N" && !at.Before(g.anchor.Add(-statsWindow-24*time.Hour)) {
		s := g.inj.samples[l.prod.id]
		if s == nil {
			s = &sample{}
			g.inj.samples[l.prod.id] = s
		}
		if fail {
			s.spoiled = append(s.spoiled, at)
		} else {
			s.passed = append(s.passed, at)
		}
	}
	if fail {
		return round(g.uniform(20, 40), d.decimals)
	}
	if d.mean == 0 && d.sd == 0 {
		return 0 // not detected
	}
	k := seriesKey{l.prod.id, i}
	u, ok := g.inj.series[k]
	if !ok {
		u = g.rng.Float64()
	}
	u = frac(u + invPhi)
	g.inj.series[k] = u
	z := math.Sqrt2 * math.Erfinv(2*(truncated+u*(1-2*truncated))-1)
	lo, hi := 0.0, math.Inf(1)
	if d.hasMin {
		lo = d.min * 1.01
	}
	if d.hasMax {
		hi = d.max * 0.97
	}
	return round(min(max(d.mean+d.sd*z, lo), hi), d.decimals)
}

// Cold chain.

// setPoint is the temperature a trip keeps and how far readings wander
// from it.
func setPoint(tr tempRange) (set, spread float64) {
	switch {
	case tr.hasMin && tr.hasMax:
		return (tr.min + tr.max) / 2, (tr.max - tr.min) / 4
	case tr.hasMax:
		return tr.max - 8, 3
	}
	return 16, 5
}

func (g *gen) normalTemp(tr tempRange) float64 {
	set, spread := setPoint(tr)
	return set + g.uniform(-spread, spread)
}

// outside is how far a temperature lies outside a range; 0 inside.
func outside(c float64, tr tempRange) float64 {
	switch {
	case tr.hasMax && c > tr.max:
		return c - tr.max
	case tr.hasMin && c < tr.min:
		return tr.min - c
	}
	return 0
}

// logTrip records a departed trip with faults on: its route's history,
// and its readings, which may carry a trip fault.
func (g *gen) logTrip(id int64, from, to *fac, dep, arr time.Time, tr tempRange, load []shipItem, delivered, delayed bool) {
	r := g.inj.route(g, from, to)
	if delivered && !delayed && !dep.Before(g.anchor.Add(-statsWindow)) {
		r.delivered = append(r.delivered, dep)
	}
	if delayed {
		g.inj.inject(FaultTransitDelay, anomaly.SubjectShipment, id, anomaly.TransitOutlier)
	}
	fault, rs := "", []reading(nil)
	if delivered && !delayed && tr.hasMax && !g.safe {
		fault, rs = g.tripFault(dep, arr, tr, load, to)
	}
	if rs == nil {
		fault = ""
		rs = g.plainLog(dep, arr, tr, load, !delayed && tr.hasMax && tr.max <= 12 && g.chance(0.1), false)
	}
	for _, rd := range rs {
		f := float64(rd.at.Sub(dep)) / float64(arr.Sub(dep))
		lat := from.lat + (to.lat-from.lat)*f + g.uniform(-0.005, 0.005)
		lon := from.lon + (to.lon-from.lon)*f + g.uniform(-0.005, 0.005)
		g.emit(tSensorReadings, g.id(tSensorReadings), utc(rd.at), rd.c, round(g.uniform(55, 90), 1),
			round(lat, 6), round(lon, 6), nil, id)
	}
	g.account(id, fault, rs, tr, load)
}

// tripFault tries to give a delivered trip a fault, returning its name and
// readings, or nil readings when it gets none. A trip carrying a lot that
// is to get repeated excursions gets them, if it can.
func (g *gen) tripFault(dep, arr time.Time, tr tempRange, load []shipItem, to *fac) (string, []reading) {
	cold := tr.max <= 12
	for _, it := range load {
		if l := it.lot; l.repeat {
			if _, budget := coldLimits(l.prod.spec.category); l.excursion < budget+margin {
				return FaultRepeated, g.repeatedLog(dep, arr, tr, load, logEvery)
			}
		}
	}
	// A lot going to a distribution centre travels on to stores, so it
	// has several trips to collect its excursions on.
	if to.kind == "WAREHOUSE" && cold && g.due(FaultRepeated, dep, 0.3) {
		for _, it := range load {
			if l := it.lot; l.fault == "" {
				l.repeat, l.fault = true, FaultRepeated
				_, budget := coldLimits(l.prod.spec.category)
				if rs := g.repeatedLog(dep, arr, tr, load, budget/4); rs != nil {
					g.inj.done[FaultRepeated]++ // recorded by settle once over budget
					return FaultRepeated, rs
				}
				l.repeat, l.fault = false, ""
				break
			}
		}
	}
	if cold && g.due(FaultCompressor, dep, 0.1) {
		if rs := g.compressorLog(dep, arr, tr, load); rs != nil {
			return FaultCompressor, rs
		}
	}
	if g.due(FaultLoggerGap, dep, 0.05) {
		if rs := g.gapLog(dep, arr, tr); rs != nil {
			return FaultLoggerGap, rs
		}
	}
	if g.due(FaultHotSpike, dep, 0.05) {
		return FaultHotSpike, g.sparseLog(dep, arr, tr, true)
	}
	if cold && g.due(FaultDoorOpening, dep, 0.05) {
		if rs := g.plainLog(dep, arr, tr, load, true, true); rs != nil {
			return FaultDoorOpening, rs
		}
	}
	return "", nil
}

// denseTimes are the times of a trip logged every 5 minutes, up to the
// anchor.
func (g *gen) denseTimes(dep, arr time.Time) []time.Time {
	var ts []time.Time
	for t := dep.Add(logEvery); !t.After(arr) && !t.After(g.anchor); t = t.Add(logEvery) {
		ts = append(ts, t)
	}
	return ts
}

// sparseLog logs four to six temperatures along a trip, up to the anchor,
// as readings does: one trip in fifty with a hasMax range has a door
// opened at a stop, one reading 1–3 °C too warm that lasts no time. hot
// puts one reading 9–14 °C too warm instead.
func (g *gen) sparseLog(dep, arr time.Time, tr tempRange, hot bool) []reading {
	n := g.rangeInt(4, 6)
	blip, spike := -1, -1
	switch {
	case hot:
		spike = g.rangeInt(1, n-2)
	case tr.hasMax && g.chance(0.02):
		blip = g.intn(n)
	}
	var rs []reading
	for i := range n {
		at := dep.Add(time.Duration((float64(i) + 0.5) / float64(n) * float64(arr.Sub(dep))))
		if at.After(g.anchor) {
			break
		}
		t := g.normalTemp(tr)
		switch i {
		case blip:
			t = tr.max + g.uniform(1, 3)
		case spike:
			t = tr.max + g.uniform(9, 14)
		}
		rs = append(rs, reading{utc(at), round(t, 1)})
	}
	return rs
}

// plainLog logs a trip without a fault: sparsely, or every 5 minutes when
// dense, as more and more loggers do. Densely logged trips show door
// openings — one or two spikes of one or two readings, at most 5 °C too
// warm — unless they would bring a lot on the trip to more than half its
// excursion budget. With door, the trip must have a door opening; it
// returns nil when it cannot.
func (g *gen) plainLog(dep, arr time.Time, tr tempRange, load []shipItem, dense, door bool) []reading {
	if !dense {
		return g.sparseLog(dep, arr, tr, false)
	}
	ts := g.denseTimes(dep, arr)
	rs := make([]reading, len(ts))
	for i, t := range ts {
		rs[i] = reading{t, round(g.normalTemp(tr), 1)}
	}
	spikes := g.rangeInt(0, 2)
	if door {
		spikes = g.rangeInt(1, 2)
	}
	if !tr.hasMax || len(ts) < 8 {
		spikes = 0
	}
	// Spikes start in their own stretch of the trip, with normal readings
	// around them.
	var total time.Duration
	var marks [][2]int
	for s := range spikes {
		lo := 1 + s*(len(ts)-2)/spikes
		hi := (s+1)*(len(ts)-2)/spikes - 2
		if hi < lo {
			break
		}
		at, n := g.rangeInt(lo, hi), g.rangeInt(1, 2)
		marks = append(marks, [2]int{at, n})
		total += time.Duration(n-1) * logEvery
	}
	if !g.mayAdd(load, total, false) {
		marks = nil
	}
	if door && len(marks) == 0 {
		return nil
	}
	for _, m := range marks {
		for i := m[0]; i < m[0]+m[1]; i++ {
			rs[i].c = round(tr.max+g.uniform(0.5, 4.9), 1)
		}
	}
	return rs
}

// mayAdd reports whether every lot of load may take d more minutes of
// excursion. A lot already over its budget by the margin may take any.
// Otherwise a door opening may not bring it past half its budget, and a
// planned excursion not within the margin of it either way.
func (g *gen) mayAdd(load []shipItem, d time.Duration, planned bool) bool {
	for _, it := range load {
		_, budget := coldLimits(it.lot.prod.spec.category)
		t := it.lot.excursion
		switch {
		case d == 0 || t >= budget+margin:
		case !planned && t+d > budget/2:
			return false
		case planned && t+d > budget-margin && t+d < budget+margin:
			return false
		}
	}
	return true
}

// compressorLog logs a trip every 5 minutes on which the compressor gives
// out: the load warms steadily over one to two hours to 5.5–7.5 °C above
// the maximum — short of the hard margin — and stays there until
// delivery, out of range for longer than every lot's budget by 20 to 55
// minutes. It returns nil when the trip is too short.
func (g *gen) compressorLog(dep, arr time.Time, tr tempRange, load []shipItem) []reading {
	var budget time.Duration
	for _, it := range load {
		_, b := coldLimits(it.lot.prod.spec.category)
		budget = max(budget, b)
	}
	set, _ := setPoint(tr)
	peak := tr.max + g.uniform(6, 7.5)
	ramp := g.hours(1, 2)
	long := budget + margin + time.Duration(g.uniform(10, 45)*float64(time.Minute))
	fail := arr.Add(-long - time.Duration(float64(ramp)*(tr.max-set)/(peak-set)))
	if fail.Before(dep.Add(15 * time.Minute)) {
		return nil
	}
	var rs []reading
	for _, t := range g.denseTimes(dep, arr) {
		c := g.normalTemp(tr)
		switch {
		case t.Sub(fail) >= ramp:
			c = peak - g.uniform(0, 0.4)
		case !t.Before(fail):
			c = set + (peak-set)*float64(t.Sub(fail))/float64(ramp)
		}
		rs = append(rs, reading{t, round(c, 1)})
	}
	return rs
}

// repeatedLog logs a trip every 5 minutes with up to four excursions of
// 1–2 °C, each from 10 minutes to 10 minutes less than the shortest
// sustained time of the lots on it: the most excursion time that fits the
// trip and leaves every lot's total clear of its budget. It returns nil
// when that is less than least.
func (g *gen) repeatedLog(dep, arr time.Time, tr tempRange, load []shipItem, least time.Duration) []reading {
	sustained := time.Duration(math.MaxInt64)
	for _, it := range load {
		s, _ := coldLimits(it.lot.prod.spec.category)
		sustained = min(sustained, s)
	}
	ts := g.denseTimes(dep, arr)
	var each time.Duration
	m := 0
	for e := 2 * logEvery; e <= sustained-margin; e += logEvery {
		per := int(e/logEvery) + 1
		for k := 1; k <= 4 && 2+k*(per+3) <= len(ts); k++ {
			if d := time.Duration(k) * e; d > time.Duration(m)*each && g.mayAdd(load, d, true) {
				m, each = k, e
			}
		}
	}
	if m == 0 || time.Duration(m)*each < least {
		return nil
	}
	per := int(each/logEvery) + 1 // readings of one excursion
	rs := make([]reading, len(ts))
	for i, t := range ts {
		rs[i] = reading{t, round(g.normalTemp(tr), 1)}
	}
	// Spread the excursions evenly, two normal readings first and at
	// least three between.
	step := (len(ts) - 2) / m
	for k := range m {
		start := 2 + k*step
		for i := start; i < start+per; i++ {
			rs[i].c = round(tr.max+g.uniform(1, 2), 1)
		}
	}
	return rs
}

// gapLog logs a trip every 5 minutes but for 30 to 60 minutes in which the
// logger was off, with at least three readings either side. It returns
// nil when the trip is too short.
func (g *gen) gapLog(dep, arr time.Time, tr tempRange) []reading {
	ts := g.denseTimes(dep, arr)
	skip := g.rangeInt(6, 12) // intervals the gap spans
	if len(ts) < skip+6 {
		return nil
	}
	from := g.rangeInt(2, len(ts)-skip-4)
	var rs []reading
	for i, t := range ts {
		if i > from && i < from+skip {
			continue
		}
		rs = append(rs, reading{t, round(g.normalTemp(tr), 1)})
	}
	return rs
}

// account checks that a trip's readings are what its fault (or none)
// promised — panicking when they are not, since the truth would then be
// wrong — records trip faults, and adds the trip's excursion time to each
// lot on it.
func (g *gen) account(id int64, fault string, rs []reading, tr tempRange, load []shipItem) {
	if !tr.hasMax && !tr.hasMin {
		return
	}
	bad := func(what string, args ...any) {
		panic(fmt.Sprintf("seed: %s on shipment %d: %s", fault, id, fmt.Sprintf(what, args...)))
	}
	var runs []time.Duration
	hottest := 0.0
	for i := 0; i < len(rs); i++ {
		hottest = max(hottest, outside(rs[i].c, tr))
		if outside(rs[i].c, tr) == 0 {
			continue
		}
		j := i
		for j+1 < len(rs) && outside(rs[j+1].c, tr) > 0 {
			j++
			hottest = max(hottest, outside(rs[j].c, tr))
		}
		runs = append(runs, rs[j].at.Sub(rs[i].at))
		i = j
	}
	if hot := fault == FaultHotSpike; hot != (hottest > hardMargin) || (hottest > hardMargin-0.2 && hottest < hardMargin+0.5) {
		bad("%.1f °C outside at most", hottest)
	}
	var total time.Duration
	for _, d := range runs {
		total += d
	}
	minSustained, maxBudget := time.Duration(math.MaxInt64), time.Duration(0)
	for _, it := range load {
		s, b := coldLimits(it.lot.prod.spec.category)
		minSustained, maxBudget = min(minSustained, s), max(maxBudget, b)
	}
	if fault == FaultCompressor {
		if len(runs) != 1 || runs[0] < maxBudget+margin {
			bad("excursions %v", runs)
		}
	} else if len(runs) > 0 && slices.Max(runs) > minSustained-margin {
		bad("excursions %v", runs)
	}
	if len(rs) >= 4 {
		steps := make([]time.Duration, len(rs)-1)
		for i := range steps {
			steps[i] = rs[i+1].at.Sub(rs[i].at)
		}
		widest := slices.Max(steps)
		slices.Sort(steps)
		median := steps[len(steps)/2]
		if len(steps)%2 == 0 {
			median = (steps[len(steps)/2-1] + steps[len(steps)/2]) / 2
		}
		gap := widest >= 4*median && widest >= minGap+margin
		if gap != (fault == FaultLoggerGap) || (!gap && widest > 2*median && widest >= minGap) {
			bad("widest interval %v, median %v", widest, median)
		}
	}
	for _, it := range load {
		l := it.lot
		l.excursion += total
		if (fault == FaultCompressor || fault == FaultRepeated) && total > 0 && l.excBy == "" {
			l.excBy = fault
		}
	}
	switch fault {
	case FaultCompressor:
		g.inj.inject(fault, anomaly.SubjectShipment, id, anomaly.SustainedExcursion)
	case FaultHotSpike:
		g.inj.inject(fault, anomaly.SubjectShipment, id, anomaly.TemperatureOutOfRange)
	case FaultLoggerGap:
		g.inj.inject(fault, anomaly.SubjectShipment, id, anomaly.LoggingGap)
	case FaultDoorOpening:
		g.inj.inject(fault, anomaly.SubjectShipment, id)
	}
}

// settle records, when a supply chain ends, what its lots' faults come to
// and checks that no lot crossed a threshold it was not meant to.
func (g *gen) settle(l *lot) {
	if tr := l.prod.spec.temp; tr.hasMax || tr.hasMin {
		_, budget := coldLimits(l.prod.spec.category)
		switch {
		case l.excursion > budget && l.excursion >= budget+margin && l.excBy != "":
			g.inj.also(l.excBy, anomaly.SubjectBatch, l.id, anomaly.CumulativeExcursion)
		case l.excursion > budget-margin:
			panic(fmt.Sprintf("seed: lot %d has %v of excursions, budget %v", l.id, l.excursion, budget))
		case l.repeat:
			g.inj.done[FaultRepeated]-- // it had too few trips: let another lot have a go
		}
	}
	for _, h := range l.holdings {
		if (h.out > h.in) != (h.phantom == FaultOverShipping) || (h.shelved > h.in) != (h.phantom == FaultOverShelving) {
			panic(fmt.Sprintf("seed: lot %d at facility %d: in %d, out %d, shelved %d, fault %q",
				l.id, h.fac.id, h.in, h.out, h.shelved, h.phantom))
		}
	}
}

// Scans.

// scan writes the scans of a shelved lot's codes. A serialised code,
// printed on one pack, is scanned up to five times where the pack was
// sold; the lot's opaque code, on every pack, up to eight times wherever
// it was. Scan faults are made of more scans, or scans in other
// provinces.
func (g *gen) scan(l *lot) {
	if len(l.codes) == 0 || len(l.shelves) == 0 {
		return
	}
	type scanAt struct {
		at     time.Time
		region string
	}
	for i := range l.codes {
		c := &l.codes[i]
		sh := pick(g, l.shelves)
		home := sh.store.region.code
		var ss []scanAt
		fault, expect := "", []anomaly.Kind(nil)
		switch {
		case c.serial == "" && g.due(FaultBusyLotCode, sh.at, 0.02):
			fault = FaultBusyLotCode
			start := sh.at.Add(g.hours(1, 24))
			for range g.rangeInt(25, 40) {
				s := pick(g, l.shelves)
				ss = append(ss, scanAt{start.Add(g.hours(0, 24*5)), s.store.region.code})
			}
			away := pick(g, elsewhere())
			for range 3 {
				ss = append(ss, scanAt{ss[0].at.Add(g.hours(0, 12)), away})
			}
		case c.serial == "":
			for range g.rangeInt(0, 8) {
				s := pick(g, l.shelves)
				ss = append(ss, scanAt{s.at.Add(g.hours(0.5, 24*10)), s.store.region.code})
			}
		case g.due(FaultScanBurst, sh.at, 0.3):
			fault, expect = FaultScanBurst, []anomaly.Kind{anomaly.ScanBurst}
			start := sh.at.Add(g.hours(1, 24))
			for range g.rangeInt(burstScans+4, burstScans+12) {
				ss = append(ss, scanAt{start.Add(g.hours(0, 24*4)), home})
			}
		case g.due(FaultScanSpread, sh.at, 0.3):
			fault, expect = FaultScanSpread, []anomaly.Kind{anomaly.ScanSpread}
			start := sh.at.Add(g.hours(1, 48))
			away := pick(g, elsewhere())
			ss = append(ss, scanAt{start, home}, scanAt{start.Add(g.hours(0.2, 3)), home})
			for range g.rangeInt(1, 2) {
				ss = append(ss, scanAt{start.Add(g.hours(1, 20)), away})
			}
		default:
			for range g.rangeInt(0, 5) {
				ss = append(ss, scanAt{sh.at.Add(g.hours(0.5, 24*10)), home})
			}
		}
		slices.SortFunc(ss, func(a, b scanAt) int { return a.at.Compare(b.at) })
		for _, s := range ss {
			if s.at.After(g.anchor) {
				if fault != "" {
					panic(fmt.Sprintf("seed: %s scan of code %d after the anchor", fault, c.id))
				}
				continue
			}
			hash := fmt.Sprintf("%016x%016x", g.rng.Uint64(), g.rng.Uint64())
			g.emit(tScanEvents, g.id(tScanEvents), l.id, c.id, utc(s.at), s.region, hash)
			c.scans++
			l.scans++
		}
		if fault != "" {
			g.inj.inject(fault, anomaly.SubjectTraceCode, c.id, expect...)
		}
	}
}
