package dashboard

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"suyuan/ent"
	"suyuan/ent/alert"
	"suyuan/ent/dailycount"
	"suyuan/ent/facility"
	"suyuan/ent/organization"
	"suyuan/ent/predicate"
	"suyuan/ent/recall"
	"suyuan/ent/recallplace"
	"suyuan/internal/tenancy"
)

// Summary is what a regulator's dashboard shows for a region and period.
type Summary struct {
	Region   string
	From, To time.Time
	Totals   Totals
	// Days has one entry per calendar day of the period, in order.
	Days              []DayCounts
	AlertsByKind      []AlertCount
	TopProducers      []OrgCount
	CarrierCompliance []Compliance
}

// Totals over the period, except OpenAlerts and OpenRecalls, which are
// as of now.
type Totals struct {
	Batches, Shipments, ShelfEvents int64
	Inspections, InspectionsFailed  int64
	Alerts, OpenAlerts, OpenRecalls int64
}

// PassRate is the share of inspections that passed, or nil without any.
func (t Totals) PassRate() *float64 {
	if t.Inspections == 0 {
		return nil
	}
	r := float64(t.Inspections-t.InspectionsFailed) / float64(t.Inspections)
	return &r
}

// DayCounts are one day's counters.
type DayCounts struct {
	Day                                    string
	Batches, Shipments, ShelfEvents        int64
	Inspections, InspectionsFailed, Alerts int64
}

// AlertCount counts alerts of one kind and severity.
type AlertCount struct {
	Kind     alert.Kind
	Severity alert.Severity
	Count    int64
}

// OrgCount is an organisation with its number of alerts.
type OrgCount struct {
	Organization *ent.Organization
	Alerts       int64
}

// Compliance is a carrier's cold-chain record: of its departed shipments,
// how many had a temperature alert.
type Compliance struct {
	Organization        *ent.Organization
	Shipments, Breached int64
}

// Rate is the share of shipments without a temperature alert.
func (c Compliance) Rate() float64 {
	if c.Shipments == 0 {
		return 1
	}
	return 1 - float64(min(c.Breached, c.Shipments))/float64(c.Shipments)
}

// MaxDays bounds a dashboard's period.
const MaxDays = 366

// topN is how many producers and carriers a dashboard lists.
const topN = 10

// Load computes the dashboard of the region (a region-code prefix; "" for
// all) from from to to, both inclusive calendar days in China Standard
// Time. The caller has checked that the viewer may see the region; ctx
// must allow reading its counters. Statements: the day-by-day sums, the
// producers' and the carriers' sums, open alerts, open recalls, and the
// names of the producers and carriers listed.
func Load(ctx context.Context, client *ent.Client, region string, from, to time.Time) (*Summary, error) {
	first, last := Day(from), Day(to)
	s := &Summary{Region: region, From: from, To: to}
	days := map[string]*DayCounts{}
	for d := from.In(cst); Day(d) <= last; d = d.AddDate(0, 0, 1) {
		s.Days = append(s.Days, DayCounts{Day: Day(d)})
	}
	for i := range s.Days {
		days[s.Days[i].Day] = &s.Days[i]
	}
	inPeriod := []predicate.DailyCount{dailycount.RegionCodeHasPrefix(region), dailycount.DayGTE(first), dailycount.DayLTE(last)}

	// The day-by-day series, added up over the region's districts.
	var daily []sum
	err := client.DailyCount.Query().
		Where(append(inPeriod, dailycount.MetricIn(Batches, Shipments, ShelfEvents, Inspections, Alerts))...).
		Modify(sumBy(dailycount.FieldMetric, dailycount.FieldDay, dailycount.FieldDim)).
		Scan(ctx, &daily)
	if err != nil {
		return nil, fmt.Errorf("reading counters: %w", err)
	}
	kinds := map[AlertCount]int64{}
	for _, r := range daily {
		d := days[r.Day]
		if d == nil {
			continue
		}
		switch r.Metric {
		case Batches:
			d.Batches += r.Value
		case Shipments:
			d.Shipments += r.Value
		case ShelfEvents:
			d.ShelfEvents += r.Value
		case Inspections:
			d.Inspections += r.Value
			if r.Dim == "FAIL" {
				d.InspectionsFailed += r.Value
			}
		case Alerts:
			d.Alerts += r.Value
			kind, sev, _ := strings.Cut(r.Dim, "/")
			kinds[AlertCount{Kind: alert.Kind(kind), Severity: alert.Severity(sev)}] += r.Value
		}
	}

	// The producers with the most alerts.
	var producers []sum
	err = client.DailyCount.Query().
		Where(append(inPeriod, dailycount.Metric(OrgAlerts), dailycount.Or(
			dailycount.DimHasPrefix(string(organization.KindPRODUCER)+":"),
			dailycount.DimHasPrefix(string(organization.KindPROCESSOR)+":")))...).
		Modify(sumBy(dailycount.FieldDim), func(s *sql.Selector) {
			s.OrderBy(sql.Desc("value"), sql.Asc(s.C(dailycount.FieldDim))).Limit(topN)
		}).
		Scan(ctx, &producers)
	if err != nil {
		return nil, fmt.Errorf("reading counters: %w", err)
	}
	orgs := map[int]int64{}
	for _, r := range producers {
		_, id, _ := strings.Cut(r.Dim, ":")
		orgs[atoi(id)] = r.Value
	}

	// Carriers, counted by month.
	var carriers []sum
	err = client.DailyCount.Query().
		Where(dailycount.RegionCodeHasPrefix(region), dailycount.DayGTE(Month(from)), dailycount.DayLTE(Month(to)),
			dailycount.MetricIn(CarrierTrips, CarrierBreaches)).
		Modify(sumBy(dailycount.FieldMetric, dailycount.FieldDim)).
		Scan(ctx, &carriers)
	if err != nil {
		return nil, fmt.Errorf("reading counters: %w", err)
	}
	trips, breaches := map[int]int64{}, map[int]int64{}
	for _, r := range carriers {
		if r.Metric == CarrierTrips {
			trips[atoi(r.Dim)] += r.Value
		} else {
			breaches[atoi(r.Dim)] += r.Value
		}
	}
	for _, d := range s.Days {
		t := &s.Totals
		t.Batches += d.Batches
		t.Shipments += d.Shipments
		t.ShelfEvents += d.ShelfEvents
		t.Inspections += d.Inspections
		t.InspectionsFailed += d.InspectionsFailed
		t.Alerts += d.Alerts
	}
	for k, n := range kinds {
		k.Count = n
		s.AlertsByKind = append(s.AlertsByKind, k)
	}
	sort.Slice(s.AlertsByKind, func(i, j int) bool {
		a, b := s.AlertsByKind[i], s.AlertsByKind[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return string(a.Kind)+string(a.Severity) < string(b.Kind)+string(b.Severity)
	})
	open, err := client.Alert.Query().
		Where(alert.RegionCodeHasPrefix(region), alert.StatusIn(alert.StatusOPEN, alert.StatusACKNOWLEDGED)).
		Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting open alerts: %w", err)
	}
	s.Totals.OpenAlerts = int64(open)
	// Open recalls begun in the region or reaching its shelves.
	recalls, err := client.Recall.Query().Where(recall.StatusEQ(recall.StatusOPEN), recall.Or(
		recall.RegionCodeHasPrefix(region),
		recall.HasPlacesWith(recallplace.HasFacilityWith(facility.RegionCodeHasPrefix(region))),
	)).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting open recalls: %w", err)
	}
	s.Totals.OpenRecalls = int64(recalls)

	top, busiest := topKeys(orgs, topN), topKeys(trips, topN*2)
	names, err := organizations(ctx, client, append(slices.Clone(top), busiest...))
	if err != nil {
		return nil, err
	}
	for _, id := range top {
		if o := names[id]; o != nil {
			s.TopProducers = append(s.TopProducers, OrgCount{Organization: o, Alerts: orgs[id]})
		}
	}
	for _, id := range busiest {
		if o := names[id]; o != nil {
			s.CarrierCompliance = append(s.CarrierCompliance, Compliance{Organization: o, Shipments: trips[id], Breached: breaches[id]})
		}
	}
	// Worst first: the carriers a regulator should call.
	sort.SliceStable(s.CarrierCompliance, func(i, j int) bool {
		return s.CarrierCompliance[i].Rate() < s.CarrierCompliance[j].Rate()
	})
	return s, nil
}

// sum is a sum of counters grouped by some of their columns.
type sum struct {
	Metric string `json:"metric"`
	Day    string `json:"day"`
	Dim    string `json:"dim"`
	Value  int64  `json:"value"`
}

// sumBy groups counters by columns, summing their values as "value": the
// database adds up days and districts, so a dashboard reads few rows.
func sumBy(columns ...string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		sel := make([]string, 0, len(columns)+1)
		for _, c := range columns {
			sel = append(sel, s.C(c))
		}
		s.Select(append(sel, sql.As(sql.Sum(s.C(dailycount.FieldValue)), "value"))...).GroupBy(sel...)
	}
}

// topKeys returns the n keys with the largest values, ties by key.
func topKeys(m map[int]int64, n int) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys[:min(n, len(keys))]
}

func organizations(ctx context.Context, client *ent.Client, ids []int) (map[int]*ent.Organization, error) {
	out := map[int]*ent.Organization{}
	if len(ids) == 0 {
		return out, nil
	}
	// Carriers from elsewhere that work in the region are named too: the
	// counters already show they did.
	list, err := client.Organization.Query().Where(organization.IDIn(ids...)).All(tenancy.System(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading organisations: %w", err)
	}
	for _, o := range list {
		out[o.ID] = o
	}
	return out, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
