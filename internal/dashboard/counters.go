// Package dashboard keeps the regulator dashboard's numbers: denormalised
// daily counters per region, written in the same transaction as the rows
// they count, a recount from those rows to check or rebuild them, and the
// summary a dashboard shows for a region and a period.
package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"suyuan/ent"
	"suyuan/ent/alert"
	"suyuan/ent/dailycount"
	"suyuan/internal/anomaly"
)

// Metrics counted per region and day. Dims break some of them down.
const (
	// Batches produced, by the producing facility's region.
	Batches = "batches"
	// Shipments departed, by the origin's region.
	Shipments = "shipments"
	// ShelfEvents: quantities put on shelves, by the store's region.
	ShelfEvents = "shelf_events"
	// Inspections, by the inspected batch's facility; dim PASS or FAIL.
	Inspections = "inspections"
	// Alerts raised, by the alert's region; dim "KIND/SEVERITY".
	Alerts = "alerts"
	// OrgAlerts: alerts raised per organisation; dim "ORGKIND:id".
	OrgAlerts = "org_alerts"
	// CarrierTrips: shipments departed per carrier; dim the carrier's id.
	// Counted by month (see Bucket).
	CarrierTrips = "carrier_trips"
	// CarrierBreaches: departed shipments with a temperature alert, per
	// carrier, in the month they departed; dim the carrier's id.
	CarrierBreaches = "carrier_breaches"
)

// cst is China Standard Time, the dashboard's calendar: a regulator's day
// starts at midnight in Ya'an, not in Greenwich. China has no daylight
// saving, so a fixed zone needs no time-zone database.
var cst = time.FixedZone("CST", 8*60*60)

// Day is the calendar day of t in China Standard Time, as YYYY-MM-DD.
func Day(t time.Time) string { return t.In(cst).Format(time.DateOnly) }

// Month is the calendar month of t in China Standard Time, as YYYY-MM.
func Month(t time.Time) string { return t.In(cst).Format("2006-01") }

// Bucket is the period a metric's counter of t belongs to. Carrier
// counters are kept by month: a city has hundreds of carriers in each
// district every day, and a dashboard adds them up for every carrier, so
// days would make it read a hundred thousand rows where months make it
// read a few thousand. The carriers' figures therefore cover whole months.
func Bucket(metric string, t time.Time) string {
	if metric == CarrierTrips || metric == CarrierBreaches {
		return Month(t)
	}
	return Day(t)
}

// BreachKinds are the alert kinds that break a shipment's cold chain for
// the carrier compliance figures.
func BreachKinds() []alert.Kind {
	return []alert.Kind{alert.Kind(anomaly.TemperatureOutOfRange), alert.Kind(anomaly.SustainedExcursion)}
}

// IsBreach reports whether an alert kind is one of BreachKinds.
func IsBreach(k alert.Kind) bool { return slices.Contains(BreachKinds(), k) }

// OrgDim is the dim of OrgAlerts for an organisation.
func OrgDim(kind string, id int) string { return kind + ":" + strconv.Itoa(id) }

// Add adds n to a counter in tx, creating it when needed.
func Add(ctx context.Context, tx *ent.Tx, region string, at time.Time, metric, dim string, n int64) error {
	err := tx.DailyCount.Create().
		SetRegionCode(region).
		SetDay(Bucket(metric, at)).
		SetMetric(metric).
		SetDim(dim).
		SetValue(n).
		OnConflictColumns(dailycount.FieldMetric, dailycount.FieldDay, dailycount.FieldRegionCode, dailycount.FieldDim).
		AddValue(n).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("counting %s: %w", metric, err)
	}
	return nil
}
