package seed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/facility"
	"suyuan/ent/inspection"
	"suyuan/ent/organization"
	"suyuan/ent/privacy"
	"suyuan/ent/product"
	"suyuan/ent/shipment"
	"suyuan/internal/cnid"
	"suyuan/internal/quantity"
	"suyuan/internal/store"
)

// DemoTraceCode is the trace code of the demo's chilled pork loin: scan
// it (or open /trace/YA0PORK0DEMO0001) to see a whole chain from pig farm
// to supermarket shelf.
const DemoTraceCode = "YA0PORK0DEMO0001"

// DemoTeaTraceCode is the trace code of the demo's Mengding Ganlu tea.
const DemoTeaTraceCode = "YA0TEA00DEMO0001"

// Lot codes of the demo, fixed so that documentation can name them.
const (
	DemoPigLot     = "SZ20261118-01"
	DemoCarcassLot = "BT20261119-01"
	DemoLoinLot    = "LJ20261120-01"
	DemoLeafLotA   = "XY20260405-01"
	DemoLeafLotB   = "XY20260405-02"
	DemoTeaLot     = "GLH20260406-01"
)

// demoExpiry is when the demo's chilled pork expires. Real chilled pork
// keeps a week; the demo's must stay fresh for as long as the demo is
// shown, or every new installation would open on an expiry warning.
func demoExpiry() time.Time { return time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC) }

// demoTime returns a time on the demo's calendar, given in China Standard
// Time, in UTC.
func demoTime(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, cst).UTC()
}

// demoCreditCode completes a credit code body with its check character.
// Demo bodies start "MAYD", which generated ones ("MA0…") never do.
func demoCreditCode(first17 string) (string, error) {
	c, err := cnid.CreditCodeCheckChar(first17)
	if err != nil {
		return "", fmt.Errorf("demo credit code %q: %w", first17, err)
	}
	return first17 + string(c), nil
}

func demoGLN(n int) string {
	s := fmt.Sprintf("690000000%03d", n)
	return s + string(mustCheckDigit(s))
}

func demoGTIN(n int) string {
	s := fmt.Sprintf("0690000001%03d", n)
	return s + string(mustCheckDigit(s))
}

// Demo loads a small, hand-written Ya'an supply chain so that a new user
// sees a real trace at once:
//
//   - pork: a pig farm's lot of 40 pigs is slaughtered into carcasses, cut
//     into chilled pork loin (lab-tested: TVB-N 9.8 mg/100g, clenbuterol
//     not detected), carried in a refrigerated truck to a supermarket and
//     shelved; its trace code is DemoTraceCode;
//   - tea: two pickings of Mengding tea leaves are made into one lot of
//     boxed Mengding Ganlu, sold at a second store (DemoTeaTraceCode);
//   - Ya'an's market-supervision bureau as the regulator.
//
// Demo's times are fixed (the tea was picked in April 2026, the rest
// happened on 18–20 November 2026), not relative to now, and the pork's
// expiry is set years ahead so that tests never see expired meat; DemoAt
// moves the same chain to the days before a given day. Demo is
// idempotent: when the demo organisations exist it does nothing. It runs
// in one transaction and bypasses privacy rules, as a system operation.
func Demo(ctx context.Context, client *ent.Client) error {
	return loadDemo(ctx, client, 0)
}

// DemoAt is Demo on a calendar moved by whole days so that the pigs were
// slaughtered two days before today and the loin cut from them and put on
// the shelf yesterday, as a
// new installation should show it: lot codes and delivery notes carry the
// moved dates, and the chilled pork keeps a week, as real chilled pork does
// (so a demo left running for a week shows expired meat, and the screener
// says so). The tea was picked in the spring before.
func DemoAt(ctx context.Context, client *ent.Client, today time.Time) error {
	loinDay := time.Date(2026, time.November, 20, 0, 0, 0, 0, cst)
	t := today.In(cst)
	want := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, cst).AddDate(0, 0, -1)
	// Whole days, counted on the calendar (no day in China has a
	// daylight-saving shift).
	days := int(want.Sub(loinDay).Round(24*time.Hour) / (24 * time.Hour))
	return loadDemo(ctx, client, days)
}

func loadDemo(ctx context.Context, client *ent.Client, shiftDays int) error {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	farmCode, err := demoCreditCode("93511802MAYD00001")
	if err != nil {
		return err
	}
	exists := func() (bool, error) {
		return client.Organization.Query().Where(organization.CreditCode(farmCode)).Exist(ctx)
	}
	switch ok, err := exists(); {
	case err != nil:
		return fmt.Errorf("seed: looking for the demo: %w", err)
	case ok:
		return nil
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("seed: starting the demo transaction: %w", err)
	}
	d := &demo{tx: tx, ctx: ctx, stock: map[stockKey]*stockEntry{}, shiftDays: shiftDays}
	if err := d.load(); err != nil {
		err = errors.Join(err, tx.Rollback())
		// Someone loading the demo at the same time wins the unique
		// credit codes; then the demo is there, which is what was asked.
		if ent.IsConstraintError(err) {
			if ok, _ := exists(); ok {
				return nil
			}
		}
		return fmt.Errorf("seed: loading the demo: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed: committing the demo: %w", err)
	}
	return nil
}

type stockKey struct{ batch, facility int }

type stockEntry struct {
	unit  quantity.Unit
	milli int64
	at    time.Time
}

// demo records the demo's events and keeps the stock they imply, as the
// recording operations do.
type demo struct {
	tx    *ent.Tx
	ctx   context.Context
	stock map[stockKey]*stockEntry
	order []stockKey // insertion order, so that stock IDs are stable
	// shiftDays moves the demo's calendar (DemoAt); 0 keeps the fixed one.
	shiftDays int
}

// at is demoTime on the demo's calendar.
func (d *demo) at(month time.Month, day, hour, min int) time.Time {
	return demoTime(month, day, hour, min).AddDate(0, 0, d.shiftDays)
}

// dated moves the yyyymmdd date in a lot code or document number by the
// demo's shift: "LJ20261120-01" becomes "LJ20261201-01".
func (d *demo) dated(code string) string {
	if d.shiftDays == 0 {
		return code
	}
	i := strings.IndexFunc(code, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 || len(code) < i+8 {
		return code
	}
	t, err := time.Parse("20060102", code[i:i+8])
	if err != nil {
		return code
	}
	return code[:i] + t.AddDate(0, 0, d.shiftDays).Format("20060102") + code[i+8:]
}

// expiry is when a lot made at made with the given shelf life expires:
// on the fixed calendar, years ahead, so that tests and screenshots taken
// on any day never show expired meat; on a moved one, as the product says.
func (d *demo) expiry(made time.Time, shelfDays int) *time.Time {
	if d.shiftDays == 0 {
		return ptr(demoExpiry())
	}
	return ptr(made.AddDate(0, 0, shelfDays))
}

func (d *demo) move(b *ent.Batch, facilityID int, amount float64, at time.Time) error {
	m, err := quantity.ToMilli(abs(amount), b.Unit, b.Unit)
	if err != nil {
		return err
	}
	if amount < 0 {
		m = -m
	}
	k := stockKey{b.ID, facilityID}
	e, ok := d.stock[k]
	if !ok {
		e = &stockEntry{unit: b.Unit}
		d.stock[k] = e
		d.order = append(d.order, k)
	}
	e.milli += int64(m)
	if e.milli < 0 {
		return fmt.Errorf("demo overdraws lot %s at facility %d", b.LotCode, facilityID)
	}
	if at.After(e.at) {
		e.at = at
	}
	return nil
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func (d *demo) org(body, name string, kind organization.Kind, region, phone, licence string, at time.Time) (*ent.Organization, error) {
	code, err := demoCreditCode(body)
	if err != nil {
		return nil, err
	}
	c := d.tx.Organization.Create().SetName(name).SetKind(kind).SetCreditCode(code).
		SetRegionCode(region).SetCreatedAt(at).SetUpdatedAt(at)
	if phone != "" {
		c.SetContactPhone(phone)
	}
	if licence != "" {
		c.SetLicenseNo(licence)
	}
	return c.Save(d.ctx)
}

func (d *demo) facility(o *ent.Organization, kind facility.Kind, name, address, region string, gln int, lat, lon float64, at time.Time) (*ent.Facility, error) {
	return d.tx.Facility.Create().SetOrganizationID(o.ID).SetKind(kind).SetName(name).SetAddress(address).
		SetRegionCode(region).SetGln(demoGLN(gln)).SetLatitude(lat).SetLongitude(lon).
		SetCreatedAt(at).SetUpdatedAt(at).Save(d.ctx)
}

// produce records a lot made at f from inputs (quantities in the inputs'
// units).
func (d *demo) produce(p *ent.Product, o *ent.Organization, f *ent.Facility, lot string, at time.Time, qty float64, expires *time.Time, inputs ...demoInput) (*ent.Batch, error) {
	b, err := d.tx.Batch.Create().SetProductID(p.ID).SetOrganizationID(o.ID).SetFacilityID(f.ID).
		SetLotCode(lot).SetProducedAt(at).SetQuantity(qty).SetUnit(p.Unit).SetNillableExpiresAt(expires).
		SetCreatedAt(at.Add(20 * time.Minute)).SetUpdatedAt(at.Add(20 * time.Minute)).Save(d.ctx)
	if err != nil {
		return nil, err
	}
	if err := d.move(b, f.ID, qty, at); err != nil {
		return nil, err
	}
	for _, in := range inputs {
		if _, err := d.tx.BatchInput.Create().SetOutputID(b.ID).SetInputID(in.batch.ID).
			SetQuantity(in.qty).SetUnit(in.batch.Unit).SetCreatedAt(at.Add(20 * time.Minute)).Save(d.ctx); err != nil {
			return nil, err
		}
		if err := d.move(in.batch, f.ID, -in.qty, at); err != nil {
			return nil, err
		}
	}
	return b, nil
}

type demoInput struct {
	batch *ent.Batch
	qty   float64
}

type demoItem struct {
	batch *ent.Batch
	qty   float64
}

// ship records a delivered shipment with temperatures logged evenly
// along it.
func (d *demo) ship(carrier *ent.Organization, from, to *ent.Facility, plate, ref string, dep, arr time.Time, temps []float64, items ...demoItem) error {
	s, err := d.tx.Shipment.Create().SetCarrierID(carrier.ID).SetFromFacilityID(from.ID).SetToFacilityID(to.ID).
		SetVehiclePlate(plate).SetReferenceDoc(ref).SetDepartedAt(dep).SetArrivedAt(arr).
		SetStatus(shipment.StatusDELIVERED).SetCreatedAt(dep.Add(-3 * time.Hour)).SetUpdatedAt(arr).Save(d.ctx)
	if err != nil {
		return err
	}
	for _, it := range items {
		if _, err := d.tx.ShipmentItem.Create().SetShipmentID(s.ID).SetBatchID(it.batch.ID).
			SetQuantity(it.qty).SetUnit(it.batch.Unit).Save(d.ctx); err != nil {
			return err
		}
		if err := d.move(it.batch, from.ID, -it.qty, dep); err != nil {
			return err
		}
		if err := d.move(it.batch, to.ID, it.qty, arr); err != nil {
			return err
		}
	}
	step := arr.Sub(dep) / time.Duration(len(temps))
	for i, t := range temps {
		f := (float64(i) + 0.5) / float64(len(temps))
		lat := *from.Latitude + (*to.Latitude-*from.Latitude)*f
		lon := *from.Longitude + (*to.Longitude-*from.Longitude)*f
		if _, err := d.tx.SensorReading.Create().SetShipmentID(s.ID).
			SetRecordedAt(dep.Add(step/2 + time.Duration(i)*step)).SetTemperatureC(t).
			SetHumidity(float64(78 + i%5)).SetLatitude(round(lat, 6)).SetLongitude(round(lon, 6)).Save(d.ctx); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) shelve(b *ent.Batch, f *ent.Facility, qty float64, at time.Time) error {
	if _, err := d.tx.ShelfEvent.Create().SetFacilityID(f.ID).SetBatchID(b.ID).SetQuantity(qty).
		SetUnit(b.Unit).SetShelvedAt(at).SetCreatedAt(at).SetUpdatedAt(at).Save(d.ctx); err != nil {
		return err
	}
	return d.move(b, f.ID, -qty, at)
}

func (d *demo) inspect(b *ent.Batch, lab *ent.Organization, at time.Time, cert string, ms ...*ent.MeasurementCreate) error {
	ins, err := d.tx.Inspection.Create().SetBatchID(b.ID).SetLabID(lab.ID).SetInspectedAt(at).
		SetResult(inspection.ResultPASS).SetCertificateNo(cert).
		SetCreatedAt(at.Add(3 * time.Hour)).SetUpdatedAt(at.Add(3 * time.Hour)).Save(d.ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		m.SetInspectionID(ins.ID)
	}
	return d.tx.Measurement.CreateBulk(ms...).Exec(d.ctx)
}

func (d *demo) measurement(name string, value float64, unit string, limitMax float64) *ent.MeasurementCreate {
	return d.tx.Measurement.Create().SetName(name).SetValue(value).SetUnit(unit).SetLimitMax(limitMax)
}

func (d *demo) traceCode(b *ent.Batch, code, serial string, at time.Time) error {
	c := d.tx.TraceCode.Create().SetCode(code).SetBatchID(b.ID).SetCreatedAt(at)
	if serial != "" {
		c.SetSerial(serial)
	}
	return c.Exec(d.ctx)
}

func (d *demo) product(o *ent.Organization, name string, cat product.Category, unit quantity.Unit, gtin int, shelfDays int, tmin, tmax *float64, desc string, at time.Time) (*ent.Product, error) {
	c := d.tx.Product.Create().SetOrganizationID(o.ID).SetName(name).SetCategory(cat).SetUnit(unit).
		SetNillableStorageMinC(tmin).SetNillableStorageMaxC(tmax).SetDescription(desc).
		SetCreatedAt(at).SetUpdatedAt(at)
	if gtin > 0 {
		c.SetGtin(demoGTIN(gtin))
	}
	if shelfDays > 0 {
		c.SetShelfLifeDays(shelfDays)
	}
	return c.Save(d.ctx)
}

func ptr[T any](v T) *T { return &v }

// load writes the demo; every error aborts the transaction.
func (d *demo) load() error {
	since := d.at(time.March, 1, 9, 0)

	// Organisations.
	farmOrg, err := d.org("93511802MAYD00001", "雅安市雨城区丰源生猪养殖专业合作社", organization.KindPRODUCER, "511802", "13800000001", "", since)
	if err != nil {
		return err
	}
	abOrg, err := d.org("91511802MAYD00002", "雅安雅州肉类加工有限公司", organization.KindPROCESSOR, "511802", "13800000002", "SC10451180200017", since)
	if err != nil {
		return err
	}
	lab, err := d.org("12511800MAYD00003", "雅安市食品检验检测中心", organization.KindLAB, "511800", "13800000003", "", since)
	if err != nil {
		return err
	}
	carrier, err := d.org("91511802MAYD00004", "雅安蜀运冷链物流有限公司", organization.KindCARRIER, "511802", "13800000004", "", since)
	if err != nil {
		return err
	}
	shop, err := d.org("91511802MAYD00005", "雅安惠民超市连锁有限公司", organization.KindRETAILER, "511802", "13800000005", "", since)
	if err != nil {
		return err
	}
	coop, err := d.org("93511803MAYD00006", "雅安市名山区蒙顶山茶叶专业合作社", organization.KindPRODUCER, "511803", "13800000006", "", since)
	if err != nil {
		return err
	}
	teaOrg, err := d.org("91511803MAYD00007", "雅安蒙顶山茶业有限公司", organization.KindPROCESSOR, "511803", "13800000007", "SC11451180300025", since)
	if err != nil {
		return err
	}
	if _, err := d.org("11511800MAYD00008", "雅安市市场监督管理局", organization.KindREGULATOR, "511800", "", "", since); err != nil {
		return err
	}

	// Facilities.
	farm, err := d.facility(farmOrg, facility.KindFARM, "丰源合作社多营养殖场", "四川省雅安市雨城区多营镇新民村3组", "511802", 1, 29.9935, 103.0452, since)
	if err != nil {
		return err
	}
	ab, err := d.facility(abOrg, facility.KindSLAUGHTERHOUSE, "雅州肉类屠宰加工厂", "四川省雅安市雨城区草坝镇工业园区18号", "511802", 2, 30.0142, 103.0928, since)
	if err != nil {
		return err
	}
	store1, err := d.facility(shop, facility.KindSTORE, "惠民超市雨城人民路店", "四川省雅安市雨城区人民路120号", "511802", 3, 29.9812, 103.0134, since)
	if err != nil {
		return err
	}
	store2, err := d.facility(shop, facility.KindSTORE, "惠民超市名山蒙阳店", "四川省雅安市名山区蒙阳街道新华路56号", "511803", 4, 30.0838, 103.1097, since)
	if err != nil {
		return err
	}
	garden, err := d.facility(coop, facility.KindFARM, "蒙顶山合作社茶园", "四川省雅安市名山区蒙顶山镇红军村5组", "511803", 5, 30.0975, 103.0536, since)
	if err != nil {
		return err
	}
	teaFac, err := d.facility(teaOrg, facility.KindFACTORY, "蒙顶山茶厂", "四川省雅安市名山区蒙顶山镇茶马古道路8号", "511803", 6, 30.0903, 103.0799, since)
	if err != nil {
		return err
	}

	// Products.
	pigs, err := d.product(farmOrg, "生猪 Live pigs", product.CategoryMEAT, quantity.Head, 0, 0, nil, nil, "出栏生猪，批次含动物检疫合格证明。", since)
	if err != nil {
		return err
	}
	carcassP, err := d.product(abOrg, "白条猪 Pork carcass", product.CategoryMEAT, quantity.Kilogram, 0, 7, ptr(0.0), ptr(4.0), "定点屠宰，排酸冷却 12 小时以上。", since)
	if err != nil {
		return err
	}
	loinP, err := d.product(abOrg, "冷鲜猪里脊 Chilled pork loin", product.CategoryMEAT, quantity.Kilogram, 1, 7, ptr(0.0), ptr(4.0), "冷鲜猪里脊，0–4 °C 冷藏保存。", since)
	if err != nil {
		return err
	}
	leafP, err := d.product(coop, "鲜茶叶 Fresh tea leaves", product.CategoryTEA, quantity.Kilogram, 0, 0, nil, nil, "蒙顶山明前单芽。", since)
	if err != nil {
		return err
	}
	teaP, err := d.product(teaOrg, "蒙顶甘露 250g 礼盒 Mengding Ganlu, 250 g gift box", product.CategoryTEA, quantity.Box, 2, 540, nil, ptr(25.0), "绿茶，蒙顶山核心产区。密封、避光、防潮保存。", since)
	if err != nil {
		return err
	}

	// Pork: farm → slaughterhouse → cuts → supermarket.
	pigLot, err := d.produce(pigs, farmOrg, farm, d.dated(DemoPigLot), d.at(time.November, 18, 7, 30), 40, nil)
	if err != nil {
		return err
	}
	ambient := []float64{11.8, 12.4, 12.9, 12.6}
	if err := d.ship(carrier, farm, ab, "川TA3721", d.dated("YD20261118-0001"), d.at(time.November, 18, 9, 0), d.at(time.November, 18, 10, 10), ambient,
		demoItem{pigLot, 40}); err != nil {
		return err
	}
	carcass, err := d.produce(carcassP, abOrg, ab, d.dated(DemoCarcassLot), d.at(time.November, 19, 4, 0), 3140, d.expiry(d.at(time.November, 19, 4, 0), 7),
		demoInput{pigLot, 40})
	if err != nil {
		return err
	}
	loin, err := d.produce(loinP, abOrg, ab, d.dated(DemoLoinLot), d.at(time.November, 20, 5, 0), 124, d.expiry(d.at(time.November, 20, 5, 0), 7),
		demoInput{carcass, 140})
	if err != nil {
		return err
	}
	if err := d.inspect(loin, lab, d.at(time.November, 20, 6, 30), "YAJC2026110421",
		d.measurement("TVB-N", 9.8, "mg/100g", 15),
		d.measurement("clenbuterol", 0, "μg/kg", 0)); err != nil {
		return err
	}
	// A refrigerated truck logging every five minutes for two hours.
	chilled := []float64{2.1, 2.3, 2.2, 2.6, 2.8, 3.0, 2.9, 2.7, 2.4, 2.2, 2.0, 1.9,
		2.1, 2.4, 2.6, 2.9, 3.1, 3.3, 3.0, 2.8, 2.5, 2.3, 2.2, 2.4}
	if err := d.ship(carrier, ab, store1, "川TB2468", d.dated("YD20261120-0001"), d.at(time.November, 20, 8, 0), d.at(time.November, 20, 10, 0), chilled,
		demoItem{loin, 60}); err != nil {
		return err
	}
	if err := d.shelve(loin, store1, 20, d.at(time.November, 20, 11, 0)); err != nil {
		return err
	}
	codesAt := d.at(time.November, 20, 7, 0)
	if err := d.traceCode(loin, DemoTraceCode, "", codesAt); err != nil {
		return err
	}
	for _, s := range []string{"000002", "000003"} {
		if err := d.traceCode(loin, "YA0PORK0DEMO"+s[2:], s, codesAt); err != nil {
			return err
		}
	}

	// Tea: two pickings → one lot of Mengding Ganlu → second store.
	leafA, err := d.produce(leafP, coop, garden, d.dated(DemoLeafLotA), d.at(time.April, 5, 7, 0), 180, nil)
	if err != nil {
		return err
	}
	leafB, err := d.produce(leafP, coop, garden, d.dated(DemoLeafLotB), d.at(time.April, 5, 13, 0), 220, nil)
	if err != nil {
		return err
	}
	if err := d.ship(carrier, garden, teaFac, "川TC1357", d.dated("YD20260405-0001"), d.at(time.April, 5, 15, 0), d.at(time.April, 5, 15, 40), []float64{17.2, 17.8, 18.1, 17.9},
		demoItem{leafA, 180}, demoItem{leafB, 220}); err != nil {
		return err
	}
	tea, err := d.produce(teaP, teaOrg, teaFac, d.dated(DemoTeaLot), d.at(time.April, 6, 16, 0), 350, ptr(d.at(time.April, 6, 16, 0).AddDate(0, 0, 540)),
		demoInput{leafA, 180}, demoInput{leafB, 220})
	if err != nil {
		return err
	}
	if err := d.inspect(tea, lab, d.at(time.April, 8, 10, 0), "YAJC2026040117",
		d.measurement("lead", 0.62, "mg/kg", 5),
		d.measurement("moisture", 5.4, "%", 7)); err != nil {
		return err
	}
	if err := d.ship(carrier, teaFac, store2, "川TC1357", d.dated("YD20261118-0002"), d.at(time.November, 18, 9, 0), d.at(time.November, 18, 9, 40), []float64{13.8, 14.2, 14.5, 14.1},
		demoItem{tea, 60}); err != nil {
		return err
	}
	if err := d.shelve(tea, store2, 40, d.at(time.November, 18, 11, 0)); err != nil {
		return err
	}
	if err := d.traceCode(tea, DemoTeaTraceCode, "", d.at(time.April, 6, 18, 0)); err != nil {
		return err
	}

	// Lots used up entirely are exhausted.
	for _, b := range []*ent.Batch{pigLot, leafA, leafB} {
		var last time.Time
		for k, e := range d.stock {
			if k.batch == b.ID && e.at.After(last) {
				last = e.at
			}
		}
		if err := d.tx.Batch.UpdateOne(b).SetStatus(batch.StatusEXHAUSTED).SetUpdatedAt(last).Exec(d.ctx); err != nil {
			return err
		}
	}

	for _, k := range d.order {
		e := d.stock[k]
		if err := d.tx.Stock.Create().SetBatchID(k.batch).SetFacilityID(k.facility).SetOnHandMilli(e.milli).
			SetUnit(e.unit).SetUpdatedAt(e.at).Exec(d.ctx); err != nil {
			return err
		}
	}
	return nil
}

// FirstRun fills an empty database with what a new installation shows: a
// small city generated with its injected faults (the Small scale, seed 1)
// whose last moment is now, the hand-written chain moved to the days
// before today (DemoAt), and the demo accounts. Screening the result is
// the caller's: it raises the alerts the faults were made for.
func FirstRun(ctx context.Context, db *store.DB, now time.Time) (Stats, error) {
	st, err := Generate(ctx, db, Options{Scale: Small, Seed: 1, Faults: true, Anchor: now})
	if err != nil {
		return Stats{}, err
	}
	if err := DemoAt(ctx, db.Client, now); err != nil {
		return Stats{}, err
	}
	return st, DemoUsers(ctx, db.Client)
}
