package seed

import (
	"slices"
	"time"
)

// This file holds the supply chains: each function generates one
// self-contained run of a chain (a day's slaughter, a tea harvest, a
// packing run), from farm to shelf. A run's lots are touched by no other
// run, so its stock is settled when it ends.

// chain generates one run of a randomly chosen supply chain. The weights
// follow Ya'an's mix of farming, and give about as many shipments as
// batches and twice as many shelf events.
func (g *gen) chain() {
	switch g.weighted([]int{35, 15, 32, 10, 5}) {
	case 0:
		g.meatChain(g.meat[g.weighted([]int{75, 15, 10})]) // pork, chicken, yak
	case 1:
		if m := g.day().Month(); m < time.March || m > time.October {
			g.produceChain() // tea is picked from March to October
			return
		}
		g.teaChain()
	case 2:
		g.produceChain()
	case 3:
		g.eggChain()
	default:
		g.dairyChain()
	}
}

// collect creates one lot at each farm and ships it to dest, returning
// the lots that arrived and when the last one did.
func (g *gen) collect(farms []*producer, dest *fac, at func() time.Time, qty func() int64) ([]*lot, time.Time) {
	var lots []*lot
	var ready time.Time
	for _, f := range farms {
		t := at()
		l := g.newLot(f.org, f.prods[0], f.fac, t, qty(), nil)
		if l == nil {
			continue
		}
		if g.inj != nil && g.due(FaultOverShipping, t, 0.03) {
			g.inj.overLot = l // the farm reports more than it had: see overShip
		}
		arr, ok := g.ship(f.fac, dest, t.Add(g.hours(1, 4)), []shipItem{{l, l.qty}})
		if g.inj != nil {
			g.inj.overLot = nil
		}
		if !ok {
			continue
		}
		lots = append(lots, l)
		ready = later(ready, arr)
	}
	return lots, ready
}

// spread assigns what each input lot has at f to one of n outputs or,
// sometimes, splits it between two: the diamonds of the lineage graph.
func (g *gen) spread(inputs []*lot, f *fac, n int) [][]use {
	out := make([][]use, n)
	for _, in := range inputs {
		have := in.avail(f)
		gr := grain(in.unit())
		if n > 1 && have >= 2*gr && g.chance(0.5) {
			i := g.intn(n)
			j := (i + 1 + g.intn(n-1)) % n
			part := max(gr, scale(have, g.uniform(0.3, 0.7), in.unit()))
			out[i] = append(out[i], use{in, part})
			out[j] = append(out[j], use{in, have - part})
			continue
		}
		i := g.intn(n)
		out[i] = append(out[i], use{in, have})
	}
	return out
}

// latest is when the last of lots was produced.
func latest(lots []*lot) time.Time {
	var t time.Time
	for _, l := range lots {
		t = later(t, l.at)
	}
	return t
}

func total(in []use) int64 {
	var t int64
	for _, u := range in {
		t += u.milli
	}
	return t
}

// pack makes a lot of consumer packs from a share of a bulk lot.
func (g *gen) pack(p *producer, key string, bulk *lot, at time.Time, share float64) *lot {
	if bulk == nil {
		return nil
	}
	pr := p.product(key)
	n := int64(float64(bulk.avail(p.fac))*share) / pr.spec.packMilli
	if n <= 0 {
		return nil
	}
	return g.newLot(p.org, pr, p.fac, at, n*1000, []use{{bulk, n * pr.spec.packMilli}})
}

// meatChain is a day at an abattoir: livestock from a few farms becomes
// carcasses, carcasses become cuts, cuts become consumer packs, and
// sometimes pork belly goes on to be cured (five levels of lineage).
func (g *gen) meatChain(line meatLine) {
	ab := pick(g, g.producers[line.abattoir])
	farms := g.pickNear(line.farm, ab.fac.region, g.rangeInt(2, 4))
	day := g.day()
	animals, ready := g.collect(farms, ab.fac,
		func() time.Time { return day.Add(-24*time.Hour + g.hours(5, 12)) },
		func() int64 { return int64(g.rangeInt(line.headMin, line.headMax)) * 1000 })
	if len(animals) == 0 {
		return
	}

	slaughter := ready.Add(g.hours(2, 6))
	var carcasses []*lot
	for i, in := range g.spread(animals, ab.fac, g.rangeInt(1, 3)) {
		if len(in) == 0 {
			continue
		}
		kg := milliFloat(total(in)) * line.carcassKgPerHead * g.uniform(0.92, 1.08)
		if c := g.newLot(ab.org, ab.product(line.carcass), ab.fac, slaughter.Add(time.Duration(i)*time.Hour), int64(kg*1000), in); c != nil {
			carcasses = append(carcasses, c)
		}
	}
	if len(carcasses) == 0 {
		return
	}

	// Carcasses chill overnight before cutting.
	cutAt := slaughter.Add(g.hours(12, 18))
	keys := slices.Clone(line.cuts)
	g.rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	keys = keys[:g.rangeInt(min(2, len(keys)), len(keys))]
	var cuts []*lot
	for i, k := range keys {
		var in []use
		for _, c := range g.sampleLots(carcasses, 1+g.intn(2)) {
			if q := min(c.avail(ab.fac), scale(c.qty, g.uniform(0.1, 0.22), c.unit())); q > 0 {
				in = append(in, use{c, q})
			}
		}
		if len(in) == 0 {
			continue
		}
		out := int64(float64(total(in)) * g.uniform(0.82, 0.92)) // bone and trim
		if c := g.newLot(ab.org, ab.product(k), ab.fac, cutAt.Add(time.Duration(i)*30*time.Minute), out, in); c != nil {
			cuts = append(cuts, c)
		}
	}

	packAt := cutAt.Add(g.hours(2, 4))
	var packs []*lot
	var belly *lot
	for _, c := range cuts {
		if c.prod.spec.key == "pork.belly" {
			belly = c
		}
		if k, ok := line.packs[c.prod.spec.key]; ok && g.chance(0.6) {
			if p := g.pack(ab, k, c, packAt, g.uniform(0.4, 0.8)); p != nil {
				packs = append(packs, p)
			}
		}
	}
	if belly != nil && len(g.producers[roleFoodFactory]) > 0 && g.chance(0.3) {
		g.curedPork(ab, belly, packAt)
	}

	dispatch := packAt.Add(g.hours(1, 3))
	g.distribute(ab.fac, dispatch, packs, false)
	g.distribute(ab.fac, dispatch.Add(g.hours(0.5, 2)), append(carcasses, cuts...), g.chance(0.6))
}

// sampleLots picks up to k distinct lots.
func (g *gen) sampleLots(s []*lot, k int) []*lot {
	if k >= len(s) {
		return s
	}
	var out []*lot
	for len(out) < k {
		if l := pick(g, s); !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// curedPork sends pork belly to a food factory, which cures it with
// Hanyuan pepper for one to two weeks and vacuum-packs it.
func (g *gen) curedPork(ab *producer, belly *lot, at time.Time) {
	ff := g.pickNear(roleFoodFactory, ab.fac.region, 1)[0]
	q := scale(belly.avail(ab.fac), g.uniform(0.3, 0.6), belly.unit())
	arr, ok := g.ship(ab.fac, ff.fac, at.Add(g.hours(1, 3)), []shipItem{{belly, q}})
	if !ok {
		return
	}
	in := []use{{belly, belly.avail(ff.fac)}}
	if farms := g.cropFarms[g.cropIndex("pepper")]; len(farms) > 0 {
		pf := pick(g, farms)
		pepper := g.newLot(pf.org, pf.prods[0], pf.fac, at.Add(-g.hours(24*20, 24*120)), int64(g.rangeInt(30, 200))*1000, nil)
		if pepper != nil {
			if _, ok := g.ship(pf.fac, ff.fac, at.Add(-g.hours(24*2, 24*8)), []shipItem{{pepper, pepper.qty}}); ok {
				in = append(in, use{pepper, min(pepper.avail(ff.fac), max(100, floorTo(q/50, 100)))})
			}
		}
	}
	cure := arr.Add(g.hours(24*7, 24*14))
	bulk := g.newLot(ff.org, ff.product("cured.bulk"), ff.fac, cure, int64(float64(q)*g.uniform(0.55, 0.65)), in)
	packed := g.pack(ff, "cured.pack", bulk, cure.Add(g.hours(3, 8)), g.uniform(0.6, 0.9))
	dispatch := cure.Add(g.hours(12, 30))
	g.distribute(ff.fac, dispatch, []*lot{packed}, false)
	g.distribute(ff.fac, dispatch.Add(g.hours(1, 3)), []*lot{bulk}, true)
}

// teaChain is a day's picking at a few tea gardens, processed into one or
// two teas at a factory and packed.
func (g *gen) teaChain() {
	f := pick(g, g.producers[roleTeaFactory])
	gardens := g.pickNear(roleTeaGarden, f.fac.region, g.rangeInt(2, 4))
	day := g.day()
	leaves, ready := g.collect(gardens, f.fac,
		func() time.Time { return day.Add(g.hours(6, 11)) },
		func() int64 { return int64(g.rangeInt(500, 6000)) * 100 })
	if len(leaves) == 0 {
		return
	}
	kinds := []string{"tea.ganlu", "tea.huangya", "tea.zang"}
	g.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	process := ready.Add(g.hours(4, 10))
	var teas, packs []*lot
	for i, in := range g.spread(leaves, f.fac, g.rangeInt(1, 2)) {
		if len(in) == 0 {
			continue
		}
		// About 4.5 kg of fresh leaves make 1 kg of tea.
		t := g.newLot(f.org, f.product(kinds[i]), f.fac, process.Add(time.Duration(i)*time.Hour), int64(float64(total(in))*g.uniform(0.2, 0.24)), in)
		if t == nil {
			continue
		}
		teas = append(teas, t)
		if p := g.pack(f, kinds[i]+".pack", t, t.at.Add(g.hours(48, 120)), g.uniform(0.5, 0.9)); p != nil {
			packs = append(packs, p)
		}
	}
	if len(packs) == 0 {
		return
	}
	dispatch := latest(packs).Add(g.hours(12, 48))
	g.distribute(f.fac, dispatch, packs, false)
	if g.chance(0.5) {
		g.distribute(f.fac, dispatch.Add(g.hours(1, 4)), teas, true) // loose tea for tea markets
	}
}

// produceChain is a harvest: packed at a packhouse with other farms'
// harvest of the same crop, or sold loose at markets.
func (g *gen) produceChain() {
	farm := pick(g, g.producers[roleProduceFarm])
	c := g.crops[farm.crop]
	day := g.day()
	if packs := g.cropPacks[farm.crop]; len(packs) > 0 && g.chance(0.5) {
		ph := pick(g, packs)
		farms := []*producer{farm}
		for _, f := range g.sampleProducers(g.cropFarms[farm.crop], g.rangeInt(0, 2)) {
			if f != farm {
				farms = append(farms, f)
			}
		}
		harvest, ready := g.collect(farms, ph.fac,
			func() time.Time { return day.Add(g.hours(6, 12)) },
			func() int64 { return int64(g.rangeInt(200, 3000)) * 1000 })
		var in []use
		for _, l := range harvest {
			in = append(in, use{l, scale(l.avail(ph.fac), g.uniform(0.9, 0.97), l.unit())}) // the rest is graded out
		}
		n := total(in) / c.pack.packMilli
		if n <= 0 {
			return
		}
		p := g.newLot(ph.org, ph.product(c.pack.key), ph.fac, ready.Add(g.hours(2, 6)), n*1000, in)
		if p != nil {
			g.distribute(ph.fac, p.at.Add(g.hours(2, 12)), []*lot{p}, false)
		}
		return
	}
	l := g.newLot(farm.org, farm.prods[0], farm.fac, day.Add(g.hours(5, 10)), int64(g.rangeInt(100, 2000))*1000, nil)
	if l != nil {
		g.distribute(farm.fac, l.at.Add(g.hours(1, 3)), []*lot{l}, true)
	}
}

func (g *gen) sampleProducers(s []*producer, k int) []*producer {
	var out []*producer
	for tries := 0; len(out) < k && tries < 4*k; tries++ {
		if p := pick(g, s); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// eggChain collects eggs from a few farms, grades them and packs them in
// boxes of 30.
func (g *gen) eggChain() {
	pk := pick(g, g.producers[roleEggPacker])
	farms := g.pickNear(roleEggFarm, pk.fac.region, g.rangeInt(1, 3))
	day := g.day()
	eggs, ready := g.collect(farms, pk.fac,
		func() time.Time { return day.Add(g.hours(6, 10)) },
		func() int64 { return int64(g.rangeInt(3000, 30000)) * 1000 })
	if len(eggs) == 0 {
		return
	}
	pr := pk.product("egg.pack")
	var boxes []*lot
	for i, in := range g.spread(eggs, pk.fac, g.rangeInt(1, 2)) {
		n := int64(float64(total(in))*0.98) / pr.spec.packMilli // cracked eggs are graded out
		if n <= 0 {
			continue
		}
		if b := g.newLot(pk.org, pr, pk.fac, ready.Add(g.hours(2, 5)+time.Duration(i)*time.Hour), n*1000, in); b != nil {
			boxes = append(boxes, b)
		}
	}
	if len(boxes) > 0 {
		g.distribute(pk.fac, latest(boxes).Add(g.hours(2, 8)), boxes, false)
	}
}

// dairyChain collects raw milk by tanker, standardises it and fills
// bottles and yoghurt cups.
func (g *gen) dairyChain() {
	plant := pick(g, g.producers[roleDairyPlant])
	farms := g.pickNear(roleDairyFarm, plant.fac.region, g.rangeInt(2, 4))
	day := g.day()
	raw, ready := g.collect(farms, plant.fac,
		func() time.Time { return day.Add(g.hours(4, 7)) },
		func() int64 { return int64(g.rangeInt(5000, 40000)) * 100 })
	if len(raw) == 0 {
		return
	}
	var in []use
	for _, l := range raw {
		in = append(in, use{l, l.avail(plant.fac)})
	}
	at := ready.Add(g.hours(1, 3))
	std := g.newLot(plant.org, plant.product("milk.std"), plant.fac, at, int64(float64(total(in))*0.99), in)
	milk := g.pack(plant, "milk.pack", std, at.Add(g.hours(2, 4)), g.uniform(0.5, 0.7))
	yog := g.pack(plant, "yogurt.pack", std, at.Add(g.hours(8, 14)), g.uniform(0.6, 0.9))
	g.distribute(plant.fac, at.Add(g.hours(16, 24)), []*lot{milk, yog}, false)
}

// Per store, the widest lot delivers this many ready meals.
const widePerStore = 24

// wideChain is the central kitchen's ready meal: pork belly from a day's
// slaughter and garlic sprouts, made into one large lot of frozen ready
// meals that goes through the supermarket chains' distribution centres to
// over a thousand stores (at city scale). Forward-trace and recall
// benchmarks start from it, so it is generated first, well before the
// anchor, and never rejected or recalled.
func (g *gen) wideChain() {
	g.safe = true
	defer func() { g.safe = false }()
	ck := g.producers[roleCentralKitchen][0]
	ab := pick(g, g.producers[rolePigAbattoir])
	stores := g.p.wideStores
	pieces := int64(stores * (widePerStore + 2))
	bellyKg := float64(pieces) * 0.2 * 1.05
	carcassKg := bellyKg / 0.88
	heads := int(carcassKg/(78*0.95)) + 1
	day := g.anchor.AddDate(0, 0, -40)

	farms := g.pickNear(rolePigFarm, ab.fac.region, 3)
	animals, ready := g.collect(farms, ab.fac,
		func() time.Time { return day.Add(-24*time.Hour + g.hours(5, 12)) },
		func() int64 { return int64(heads/len(farms)+1+g.intn(5)) * 1000 })
	var in []use
	for _, a := range animals {
		in = append(in, use{a, a.avail(ab.fac)})
	}
	slaughter := ready.Add(g.hours(2, 4))
	carcass := g.newLot(ab.org, ab.product("pork.carcass"), ab.fac, slaughter, int64(milliFloat(total(in))*78*g.uniform(0.95, 1)*1000), in)
	if carcass == nil {
		return
	}
	used := min(carcass.avail(ab.fac), floorTo(int64(carcassKg*1000), 100))
	belly := g.newLot(ab.org, ab.product("pork.belly"), ab.fac, slaughter.Add(g.hours(12, 16)), int64(float64(used)*0.88), []use{{carcass, used}})
	if belly == nil {
		return
	}
	arr, _ := g.ship(ab.fac, ck.fac, belly.at.Add(g.hours(2, 4)), []shipItem{{belly, belly.qty}})

	gf := g.cropFarms[g.cropIndex("garlic")]
	farm := pick(g, gf)
	garlic := g.newLot(farm.org, farm.prods[0], farm.fac, day.Add(g.hours(6, 10)), pieces*60*11/10, nil)
	if garlic != nil {
		if a, ok := g.ship(farm.fac, ck.fac, garlic.at.Add(g.hours(1, 3)), []shipItem{{garlic, garlic.qty}}); ok {
			arr = later(arr, a)
		}
	}
	// 200 g of pork and 60 g of garlic sprouts a meal.
	n := min(pieces, belly.avail(ck.fac)/200)
	if garlic != nil {
		n = min(n, garlic.avail(ck.fac)/60)
	}
	meal := g.newLot(ck.org, ck.product("meal.pack"), ck.fac, arr.Add(g.hours(4, 8)), n*1000,
		[]use{{belly, n * 200}, {garlic, n * 60}})
	if meal == nil {
		return
	}
	g.widest = meal

	reached := 0
	served := map[*fac]bool{}
	at := meal.at.Add(g.hours(10, 14))
	deliver := func(from, store *fac, dep time.Time) {
		if a, ok := g.ship(from, store, dep, []shipItem{{meal, widePerStore * 1000}}); ok {
			reached++
			served[store] = true
			g.shelveReceived(meal, store, a)
		}
	}
	for _, c := range g.chains {
		if reached >= stores {
			break
		}
		mine := c.stores[:min(len(c.stores), stores-reached)]
		for wi, wh := range c.warehouses {
			var route []*fac
			for i := wi; i < len(mine); i += len(c.warehouses) {
				route = append(route, mine[i])
			}
			if len(route) == 0 {
				continue
			}
			whArr, ok := g.ship(ck.fac, wh, at, []shipItem{{meal, int64(len(route)*(widePerStore+1)) * 1000}})
			if !ok {
				continue
			}
			dep := whArr.Add(g.hours(4, 8))
			for _, s := range route {
				deliver(wh, s, dep)
				dep = dep.Add(g.hours(0, 0.05)) // a fleet of trucks leaves through the morning
			}
		}
	}
	for _, s := range g.stores {
		if reached >= stores {
			break
		}
		if !served[s] {
			deliver(ck.fac, s, at.Add(g.hours(1, 6)))
		}
	}
	g.widestStores = reached
}
