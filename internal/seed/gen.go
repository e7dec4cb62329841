package seed

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"suyuan/internal/cnid"
	"suyuan/internal/gs1"
)

// cst is China Standard Time. Events are planned in local time (slaughter
// at dawn, deliveries in the morning) and stored in UTC.
var cst = time.FixedZone("CST", 8*3600)

// genAnchor is the end of the generated year, a weekday morning: nothing
// happens after it, so the morning's deliveries are on the road and the
// afternoon's are planned. It is fixed, not time.Now, so that a seed
// always gives the same data.
func genAnchor() time.Time { return time.Date(2026, 11, 25, 10, 30, 0, 0, cst) }

// org is an organisation: all later rows need of it is its ID.
type org struct {
	id int64
}

type fac struct {
	id       int64
	org      *org
	kind     string
	region   *region
	lat, lon float64
}

type prod struct {
	id     int64
	spec   *spec
	lotSeq int
}

// producer is a producing or processing organisation with its one
// facility and its products.
type producer struct {
	org   *org
	fac   *fac
	prods []*prod
	crop  int // index into gen.crops for produce farms and packhouses' first crop; -1 otherwise
}

func (p *producer) product(key string) *prod {
	for _, pr := range p.prods {
		if pr.spec.key == key {
			return pr
		}
	}
	return nil
}

// retailChain is a supermarket chain: stores supplied through its own
// distribution centres.
type retailChain struct {
	org        *org
	warehouses []*fac
	stores     []*fac
}

type carrier struct {
	org    *org
	cold   bool
	plates []string
}

// gen generates one data set. Everything random comes from rng and is
// drawn in a fixed order in one goroutine, so a seed always gives the same
// rows with the same IDs.
type gen struct {
	p      params
	rng    *rand.Rand
	anchor time.Time
	next   [numTables]int64
	count  [numTables]int

	specs    map[string]*spec
	crops    []crop
	meat     []meatLine
	profiles map[string][]measureDef
	roles    [numRoles]roleDef
	regions  []*region
	brands   []string
	surnames []string
	villages []string
	roads    []string

	producers [numRoles][]*producer
	byRegion  [numRoles][][]*producer // by region index
	cropFarms [][]*producer           // produce farms by crop
	cropPacks [][]*producer           // packhouses by crop
	chains    []*retailChain          // largest first
	stores    []*fac
	markets   []*fac
	storesIn  [][]*fac // by region index
	marketsIn [][]*fac
	carriers  []*carrier
	cold      []*carrier
	labs      []*org

	licenceSeq map[string]int
	orgSeq     int
	glnSeq     int
	gtinSeq    int

	lots         []*lot // the lots of the supply chain being generated
	widest       *lot
	widestStores int
	chainW       []int // chains' weights, see chainWeights
	// safe turns off rejections and failed inspections, for the lot
	// benchmarks depend on, and injected faults.
	safe bool
	// inj injects faults and keeps the truth about them; nil unless
	// Options.Faults is set.
	inj *injector

	ctx  context.Context
	cur  *chunk
	full chan<- *chunk
	free <-chan *chunk
}

func newGen(p params, seed int64, next [numTables]int64, faults bool) *gen {
	g := &gen{
		p:          p,
		rng:        rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		anchor:     genAnchor(),
		next:       next,
		specs:      specs(),
		crops:      crops(),
		meat:       meatLines(),
		profiles:   profiles(),
		roles:      roles(),
		regions:    districts(),
		brands:     brands(),
		surnames:   surnames(),
		villages:   villages(),
		roads:      roads(),
		licenceSeq: map[string]int{},
	}
	for r := range numRoles {
		g.byRegion[r] = make([][]*producer, len(g.regions))
	}
	g.cropFarms = make([][]*producer, len(g.crops))
	g.cropPacks = make([][]*producer, len(g.crops))
	g.storesIn = make([][]*fac, len(g.regions))
	g.marketsIn = make([][]*fac, len(g.regions))
	if faults {
		g.inj = newInjector(p)
	}
	return g
}

func (g *gen) stats() Stats {
	s := Stats{
		Organizations:  g.count[tOrganizations],
		Facilities:     g.count[tFacilities],
		Products:       g.count[tProducts],
		Batches:        g.count[tBatches],
		BatchInputs:    g.count[tBatchInputs],
		Shipments:      g.count[tShipments],
		ShipmentItems:  g.count[tShipmentItems],
		SensorReadings: g.count[tSensorReadings],
		ShelfEvents:    g.count[tShelfEvents],
		Inspections:    g.count[tInspections],
		Measurements:   g.count[tMeasurements],
		TraceCodes:     g.count[tTraceCodes],
		ScanEvents:     g.count[tScanEvents],
		Stocks:         g.count[tStocks],
		WidestStores:   g.widestStores,
		Anchor:         g.anchor.UTC(),
	}
	if g.inj != nil {
		s.Faults = slices.Clone(g.inj.faults)
	}
	if g.widest != nil {
		s.WidestBatchID = int(g.widest.id)
	}
	return s
}

// run generates the whole data set, handing full chunks to the writer.
func (g *gen) run(ctx context.Context, full chan<- *chunk, free <-chan *chunk) error {
	g.ctx, g.full, g.free = ctx, full, free
	if err := g.take("directory"); err != nil {
		return err
	}
	g.directory()
	if err := g.flush(false); err != nil {
		return err
	}
	if err := g.take("chains"); err != nil {
		return err
	}
	g.wideChain()
	g.endChain()
	for g.count[tBatches] < g.p.batches {
		g.chain()
		g.endChain()
		if g.cur.total() >= g.p.chunkRows {
			if err := g.flush(false); err != nil {
				return err
			}
			if err := g.take("chains"); err != nil {
				return err
			}
		}
	}
	return g.flush(true)
}

func (g *gen) take(phase string) error {
	select {
	case c := <-g.free:
		g.cur = c
		g.cur.phase = phase
		return nil
	case <-g.ctx.Done():
		return g.ctx.Err()
	}
}

func (g *gen) flush(final bool) error {
	g.cur.counts = g.count
	g.cur.final = final
	select {
	case g.full <- g.cur:
		g.cur = nil
		return nil
	case <-g.ctx.Done():
		return g.ctx.Err()
	}
}

// id allocates the next ID of a table.
func (g *gen) id(t tableID) int64 {
	id := g.next[t]
	g.next[t]++
	return id
}

// emit appends a row to the current chunk.
func (g *gen) emit(t tableID, vals ...any) {
	g.cur.add(t, vals...)
	g.count[t]++
}

// Random helpers.

func (g *gen) intn(n int) int                  { return g.rng.IntN(n) }
func (g *gen) rangeInt(lo, hi int) int         { return lo + g.rng.IntN(hi-lo+1) }
func (g *gen) uniform(lo, hi float64) float64  { return lo + g.rng.Float64()*(hi-lo) }
func (g *gen) chance(p float64) bool           { return g.rng.Float64() < p }
func (g *gen) normal(mean, sd float64) float64 { return mean + sd*g.rng.NormFloat64() }
func (g *gen) hours(lo, hi float64) time.Duration {
	return time.Duration(g.uniform(lo, hi) * float64(time.Hour)).Round(time.Second)
}

func pick[T any](g *gen, s []T) T { return s[g.rng.IntN(len(s))] }

// weighted returns an index drawn with the given weights.
func (g *gen) weighted(w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	n := g.rng.IntN(total)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

// pickRegion draws a district with the given weights by code, or by
// population when weights is nil.
func (g *gen) pickRegion(weights map[string]int) *region {
	w := make([]int, len(g.regions))
	for i, r := range g.regions {
		if weights == nil {
			w[i] = r.pop
		} else {
			w[i] = weights[r.code]
		}
	}
	return g.regions[g.weighted(w)]
}

// round rounds to the decimals of a measurement or coordinate.
func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}

// utc returns t in UTC with whole seconds, the form every stored time has.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// Names and identifiers.

func shortTown(t string) string {
	for _, suf := range []string{"藏族乡", "街道", "镇", "乡"} {
		if s, ok := strings.CutSuffix(t, suf); ok {
			return s
		}
	}
	return t
}

// name fills a pattern: {r} region, {t} town, {b} brand, {s} surname.
func (g *gen) name(pattern string, r *region, town, brand string) string {
	return strings.NewReplacer("{r}", r.name, "{t}", shortTown(town), "{b}", brand, "{s}", pick(g, g.surnames)).Replace(pattern)
}

func (g *gen) ruralAddress(r *region, town string) string {
	return fmt.Sprintf("四川省雅安市%s%s%s村%d组", r.name, town, pick(g, g.villages), g.rangeInt(1, 12))
}

func (g *gen) streetAddress(r *region, town string) string {
	return fmt.Sprintf("四川省雅安市%s%s%s%d号", r.name, town, pick(g, g.roads), g.rangeInt(1, 399))
}

// creditAlphabet is GB 32100's character set; see cnid.CreditCode.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCode builds a valid unified social credit code: registration
// authority and type, region, a body unique to this data set, and the
// check character. Generated bodies are "MA0" + six characters; the demo
// uses bodies that cannot occur here.
func (g *gen) creditCode(ccType, regionCode string) string {
	g.orgSeq++
	body := []byte("MA0000000")
	for i, n := 8, g.orgSeq; i >= 3; i-- {
		body[i] = creditAlphabet[n%31]
		n /= 31
	}
	first17 := ccType + regionCode + string(body)
	c, err := cnid.CreditCodeCheckChar(first17)
	if err != nil {
		panic(fmt.Sprintf("seed: building credit code %q: %v", first17, err)) // the alphabet above is cnid's
	}
	return first17 + string(c)
}

// licenceNo builds a food production licence number: SC, the food
// category, the region, a serial within both and a check digit.
func (g *gen) licenceNo(category, regionCode string) string {
	k := category + regionCode
	g.licenceSeq[k]++
	return fmt.Sprintf("SC%s%s%04d%d", category, regionCode, g.licenceSeq[k]%10000, g.intn(10))
}

func (g *gen) phone() string {
	return fmt.Sprintf("1%c%09d", "35789"[g.intn(5)], g.intn(1_000_000_000))
}

// gln and gtin number locations and trade items under GS1 China's 69
// prefix; generated keys use 692/0693 and the demo 690/0690, so they never
// meet.
func (g *gen) gln() string {
	g.glnSeq++
	s := fmt.Sprintf("692%09d", g.glnSeq)
	return s + string(mustCheckDigit(s))
}

func (g *gen) gtin() string {
	g.gtinSeq++
	s := fmt.Sprintf("0693%09d", g.gtinSeq)
	return s + string(mustCheckDigit(s))
}

func mustCheckDigit(digits string) byte {
	c, err := gs1.CheckDigit(digits)
	if err != nil {
		panic(fmt.Sprintf("seed: check digit of %q: %v", digits, err)) // callers pass digits only
	}
	return c
}

// The directory: organisations, facilities and products.

// since returns a creation time for a directory row: some years before
// the anchor.
func (g *gen) since() time.Time {
	return utc(g.anchor.AddDate(0, 0, -g.rangeInt(400, 2500)).Add(g.hours(8, 18)))
}

func (g *gen) newOrg(name, kind, regionCode, ccType, licence string) *org {
	o := &org{id: g.id(tOrganizations)}
	var lic, phone any
	if licence != "" {
		lic = g.licenceNo(licence, regionCode)
	}
	if kind != "REGULATOR" {
		phone = g.phone()
	}
	at := g.since()
	g.emit(tOrganizations, o.id, at, at, name, kind, g.creditCode(ccType, regionCode), lic, regionCode, phone, "ACTIVE")
	return o
}

// newFac creates a facility. Private ones (a family's farm) show consumers
// only their kind and region.
func (g *gen) newFac(o *org, kind, name string, r *region, address string, withGLN, public bool) *fac {
	f := &fac{id: g.id(tFacilities), org: o, kind: kind, region: r,
		lat: round(r.lat+g.uniform(-0.08, 0.08), 6), lon: round(r.lon+g.uniform(-0.08, 0.08), 6)}
	var gln any
	if withGLN {
		gln = g.gln()
	}
	at := g.since()
	g.emit(tFacilities, f.id, at, at, kind, name, address, r.code, gln, public, f.lat, f.lon, o.id)
	return f
}

func (g *gen) newProduct(o *org, s *spec) *prod {
	p := &prod{id: g.id(tProducts), spec: s}
	var gtin, shelf, tmin, tmax any
	if s.gtin {
		gtin = g.gtin()
	}
	if s.shelfDays > 0 {
		shelf = s.shelfDays
	}
	if s.temp.hasMin {
		tmin = s.temp.min
	}
	if s.temp.hasMax {
		tmax = s.temp.max
	}
	at := g.since()
	g.emit(tProducts, p.id, at, at, s.name, s.category, gtin, string(s.unit), shelf, tmin, tmax, s.desc, o.id)
	return p
}

// roleCounts splits the producers between the roles.
func (g *gen) roleCounts() [numRoles]int {
	var n [numRoles]int
	sum := 0
	for r, d := range g.roles {
		switch {
		case d.share > 0:
			n[r] = max(1, int(math.Round(d.share*float64(g.p.producers))))
		case d.fixed > 0:
			n[r] = d.fixed
		}
		sum += n[r]
	}
	n[roleProduceFarm] = max(1, g.p.producers-sum)
	return n
}

func (g *gen) directory() {
	cityCode, cityName := cityRegion()
	g.newOrg("雅安市市场监督管理局", "REGULATOR", cityCode, "11", "")
	for _, r := range g.regions {
		name := r.name + "市场监督管理局"
		if strings.HasSuffix(r.name, "区") {
			name = cityName + name
		}
		g.newOrg(name, "REGULATOR", r.code, "11", "")
	}

	for i := range g.p.labs {
		switch {
		case i == 0:
			g.labs = append(g.labs, g.newOrg("雅安市食品检验检测中心", "LAB", cityCode, "12", ""))
		case i <= len(g.regions):
			r := g.regions[i-1]
			g.labs = append(g.labs, g.newOrg(cityName+r.name+"农产品质量安全检测中心", "LAB", r.code, "12", ""))
		default:
			r := g.pickRegion(nil)
			pattern := pick(g, []string{"四川{b}检测技术有限公司", "雅安{b}检验检测有限公司", "四川{b}食品安全检测有限公司{r}分公司"})
			g.labs = append(g.labs, g.newOrg(g.name(pattern, r, "", pick(g, g.brands)), "LAB", r.code, "91", ""))
		}
	}

	for range g.p.carriers {
		r := g.pickRegion(nil)
		c := &carrier{cold: g.chance(0.4)}
		pattern := pick(g, []string{"雅安市{r}{b}货运有限公司", "四川{b}物流有限公司雅安分公司", "雅安{b}运输有限公司"})
		if c.cold {
			pattern = pick(g, []string{"雅安{b}冷链物流有限公司", "四川{b}冷链运输有限公司"})
		}
		c.org = g.newOrg(g.name(pattern, r, "", pick(g, g.brands)), "CARRIER", r.code, "91", "")
		for range g.rangeInt(2, 20) {
			c.plates = append(c.plates, fmt.Sprintf("川T%c%04d", "ABCDEFGHJKLMNPQRSTUVWXYZ"[g.intn(24)], g.intn(10000)))
		}
		g.carriers = append(g.carriers, c)
		if c.cold {
			g.cold = append(g.cold, c)
		}
	}

	counts := g.roleCounts()
	for r := range numRoles {
		for i := range counts[r] {
			g.newProducer(role(r), i)
		}
	}
	g.retail()
}

// newProducer creates the i-th producer of a role with its facility and
// products.
func (g *gen) newProducer(r role, i int) {
	d := g.roles[r]
	reg := g.pickRegion(d.regions)
	p := &producer{crop: -1}
	var keys []string
	switch r {
	case roleProduceFarm:
		// The wide chain needs garlic sprouts and cured pork needs
		// pepper: make sure someone grows them.
		switch i {
		case 0:
			p.crop = g.cropIndex("garlic")
		case 1:
			p.crop = g.cropIndex("pepper")
			reg = g.regionByCode(g.crops[p.crop].regions[0])
		default:
			p.crop = g.cropFor(reg)
		}
		keys = []string{g.crops[p.crop].raw.key}
	case rolePackhouse:
		grown := g.cropsIn(reg)
		for len(grown) > 4 {
			j := g.intn(len(grown))
			grown = append(grown[:j], grown[j+1:]...)
		}
		p.crop = grown[0]
		for _, c := range grown {
			keys = append(keys, g.crops[c].pack.key)
			g.cropPacks[c] = append(g.cropPacks[c], p)
		}
	default:
		keys = d.specs
	}
	town := pick(g, reg.towns)
	brand := pick(g, g.brands)
	p.org = g.newOrg(g.name(pick(g, d.orgNames), reg, town, brand), d.orgKind, reg.code, d.ccType, d.licence)
	addr := g.ruralAddress(reg, town)
	if d.facKind != "FARM" {
		addr = g.streetAddress(reg, town)
	}
	farm := d.facKind == "FARM"
	p.fac = g.newFac(p.org, d.facKind, g.name(d.facName, reg, town, brand), reg, addr, !farm || g.chance(0.3), !farm || g.chance(0.7))
	for _, k := range keys {
		p.prods = append(p.prods, g.newProduct(p.org, g.specs[k]))
	}
	g.producers[r] = append(g.producers[r], p)
	g.byRegion[r][reg.idx] = append(g.byRegion[r][reg.idx], p)
	if r == roleProduceFarm {
		g.cropFarms[p.crop] = append(g.cropFarms[p.crop], p)
	}
}

func (g *gen) cropIndex(key string) int {
	for i, c := range g.crops {
		if c.key == key {
			return i
		}
	}
	panic("seed: unknown crop " + key) // keys are literals in this package
}

func (g *gen) regionByCode(code string) *region {
	for _, r := range g.regions {
		if r.code == code {
			return r
		}
	}
	return g.regions[0]
}

// cropGroups returns the crops that are specialities of a region and
// those grown everywhere.
func (g *gen) cropGroups(r *region) (special, common []int) {
	for i, c := range g.crops {
		switch {
		case len(c.regions) == 0:
			common = append(common, i)
		case slices.Contains(c.regions, r.code):
			special = append(special, i)
		}
	}
	return special, common
}

// cropsIn lists the crops grown in a region, specialities first.
func (g *gen) cropsIn(r *region) []int {
	special, common := g.cropGroups(r)
	return append(special, common...)
}

// cropFor draws what a farm in r grows: a regional speciality more often
// than not.
func (g *gen) cropFor(r *region) int {
	special, common := g.cropGroups(r)
	if len(special) > 0 && g.chance(0.6) {
		return pick(g, special)
	}
	return pick(g, common)
}

// retail creates supermarket chains with distribution centres, market
// operators with wet markets, and independent shops: about 60 %, 15 % and
// 25 % of the outlets.
func (g *gen) retail() {
	total := g.p.outlets
	chainTarget := total * 60 / 100
	sizes := []int{total * 12 / 100, total * 8 / 100, total * 5 / 100}
	placed := 0
	for i := 0; placed < chainTarget; i++ {
		size := g.rangeInt(5, max(6, total/60))
		if i < len(sizes) {
			size = max(5, sizes[i])
		}
		size = min(size, chainTarget-placed)
		g.newChain(size, i < len(sizes))
		placed += size
	}

	marketTarget := total * 15 / 100
	for placed = 0; placed < marketTarget; {
		r := g.pickRegion(nil)
		o := g.newOrg(g.name("雅安市{r}{b}市场管理有限公司", r, "", pick(g, g.brands)), "RETAILER", r.code, "91", "")
		for range min(g.rangeInt(1, 5), marketTarget-placed) {
			town := pick(g, r.towns)
			f := g.newFac(o, "MARKET", g.name("{t}农贸市场", r, town, ""), r, g.streetAddress(r, town), g.chance(0.5), true)
			g.markets = append(g.markets, f)
			g.marketsIn[r.idx] = append(g.marketsIn[r.idx], f)
			placed++
		}
	}

	for range total - chainTarget - marketTarget {
		r := g.pickRegion(nil)
		town := pick(g, r.towns)
		pattern := pick(g, []string{"{r}{t}{s}记生鲜店", "{r}{b}便利店", "{r}{t}{b}生鲜超市"})
		name := g.name(pattern, r, town, pick(g, g.brands))
		o := g.newOrg(name, "RETAILER", r.code, "92", "")
		f := g.newFac(o, "STORE", name, r, g.streetAddress(r, town), g.chance(0.3), true)
		g.stores = append(g.stores, f)
		g.storesIn[r.idx] = append(g.storesIn[r.idx], f)
	}
}

func (g *gen) newChain(size int, big bool) {
	home := g.pickRegion(nil)
	if big {
		home = g.regions[0] // the large chains are based in the city centre
	}
	brand := pick(g, g.brands)
	c := &retailChain{}
	pattern := pick(g, []string{"雅安{b}超市连锁有限公司", "四川{b}商业连锁有限公司", "雅安市{b}购物中心有限公司"})
	c.org = g.newOrg(g.name(pattern, home, "", brand), "RETAILER", home.code, "91", "")
	for i := range 1 + size/250 {
		town := pick(g, home.towns)
		name := fmt.Sprintf("%s超市配送中心", brand)
		if i > 0 {
			name = fmt.Sprintf("%s超市第%d配送中心", brand, i+1)
		}
		c.warehouses = append(c.warehouses, g.newFac(c.org, "WAREHOUSE", name, home, g.streetAddress(home, town), true, true))
	}
	perTown := map[string]int{}
	for range size {
		r := g.pickRegion(nil)
		if !big && g.chance(0.6) {
			r = home // small chains stay near home
		}
		town := pick(g, r.towns)
		perTown[r.code+town]++
		name := fmt.Sprintf("%s超市%s店", brand, shortTown(town))
		if n := perTown[r.code+town]; n > 1 {
			name = fmt.Sprintf("%s超市%s%d店", brand, shortTown(town), n)
		}
		f := g.newFac(c.org, "STORE", name, r, g.streetAddress(r, town), true, true)
		c.stores = append(c.stores, f)
		g.stores = append(g.stores, f)
		g.storesIn[r.idx] = append(g.storesIn[r.idx], f)
	}
	g.chains = append(g.chains, c)
}
