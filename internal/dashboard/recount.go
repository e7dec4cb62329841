package dashboard

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"suyuan/ent"
)

// Key identifies one counter.
type Key struct {
	Region, Day, Metric, Dim string
}

// Counts are counter values by key.
type Counts map[Key]int64

// recountQueries compute every counter from the rows it counts. Each row
// yields a time, a region and two parts of the dim; the time becomes a day
// in Go, where SQLite and MySQL need not agree on date arithmetic.
var recountQueries = []struct {
	metric, query string
	dim           func(a, b string) string
}{
	{Batches, `SELECT b.produced_at, f.region_code, '', '' FROM batches b JOIN facilities f ON f.id = b.facility_id`, none},
	{Shipments, `SELECT s.departed_at, f.region_code, '', '' FROM shipments s JOIN facilities f ON f.id = s.from_facility_id WHERE s.departed_at IS NOT NULL`, none},
	{CarrierTrips, `SELECT s.departed_at, f.region_code, s.carrier_id, '' FROM shipments s JOIN facilities f ON f.id = s.from_facility_id WHERE s.departed_at IS NOT NULL`, first},
	{ShelfEvents, `SELECT e.shelved_at, f.region_code, '', '' FROM shelf_events e JOIN facilities f ON f.id = e.facility_id`, none},
	{Inspections, `SELECT i.inspected_at, f.region_code, i.result, '' FROM inspections i JOIN batches b ON b.id = i.batch_id JOIN facilities f ON f.id = b.facility_id`, first},
	{Alerts, `SELECT a.detected_at, a.region_code, a.kind, a.severity FROM alerts a`, func(a, b string) string { return a + "/" + b }},
	{OrgAlerts, `SELECT a.detected_at, a.region_code, o.kind, a.organization_id FROM alerts a JOIN organizations o ON o.id = a.organization_id`, func(a, b string) string { return a + ":" + b }},
	{CarrierBreaches, `SELECT s.departed_at, f.region_code, s.carrier_id, '' FROM shipments s JOIN facilities f ON f.id = s.from_facility_id
		WHERE s.departed_at IS NOT NULL AND s.id IN (SELECT a.shipment_id FROM alerts a WHERE a.shipment_id IS NOT NULL AND a.kind IN (` + breachList() + `))`, first},
}

// breachList is BreachKinds as an SQL list of strings; the kinds are
// constants of ours, not input.
func breachList() string {
	var quoted []string
	for _, k := range BreachKinds() {
		quoted = append(quoted, "'"+string(k)+"'")
	}
	return strings.Join(quoted, ", ")
}

func none(string, string) string { return "" }
func first(a, _ string) string   { return a }

// Recount computes every counter from the rows it counts.
func Recount(ctx context.Context, db *sql.DB) (Counts, error) {
	out := Counts{}
	for _, q := range recountQueries {
		if err := recount(ctx, db, q.query, q.metric, q.dim, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func recount(ctx context.Context, db *sql.DB, query, metric string, dim func(a, b string) string, out Counts) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("recounting %s: %w", metric, err)
	}
	defer rows.Close()
	for rows.Next() {
		var at time.Time
		var region, a, b string
		if err := rows.Scan(&at, &region, &a, &b); err != nil {
			return fmt.Errorf("recounting %s: %w", metric, err)
		}
		out[Key{region, Bucket(metric, at), metric, dim(a, b)}]++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("recounting %s: %w", metric, err)
	}
	return nil
}

// Stored reads the counters as stored.
func Stored(ctx context.Context, client *ent.Client) (Counts, error) {
	all, err := client.DailyCount.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading counters: %w", err)
	}
	out := make(Counts, len(all))
	for _, c := range all {
		if c.Value != 0 {
			out[Key{c.RegionCode, c.Day, c.Metric, c.Dim}] = c.Value
		}
	}
	return out, nil
}

// Rebuild replaces the stored counters by a recount: after rows were
// written in bulk, bypassing the recording operations.
func Rebuild(ctx context.Context, client *ent.Client, db *sql.DB) error {
	counts, err := Recount(ctx, db)
	if err != nil {
		return err
	}
	keys := make([]Key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("rebuilding counters: %w", err)
	}
	if _, err := tx.DailyCount.Delete().Exec(ctx); err != nil {
		tx.Rollback()
		return fmt.Errorf("rebuilding counters: %w", err)
	}
	const chunk = 1000
	for start := 0; start < len(keys); start += chunk {
		var bulk []*ent.DailyCountCreate
		for _, k := range keys[start:min(start+chunk, len(keys))] {
			bulk = append(bulk, tx.DailyCount.Create().SetRegionCode(k.Region).SetDay(k.Day).
				SetMetric(k.Metric).SetDim(k.Dim).SetValue(counts[k]))
		}
		if err := tx.DailyCount.CreateBulk(bulk...).Exec(ctx); err != nil {
			tx.Rollback()
			return fmt.Errorf("rebuilding counters: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rebuilding counters: %w", err)
	}
	return nil
}

func less(a, b Key) bool {
	if a.Metric != b.Metric {
		return a.Metric < b.Metric
	}
	if a.Day != b.Day {
		return a.Day < b.Day
	}
	if a.Region != b.Region {
		return a.Region < b.Region
	}
	return a.Dim < b.Dim
}
