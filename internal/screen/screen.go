// Package screen runs the screening rules of package anomaly over recorded
// data — in the background every few minutes over recent data, or over
// the whole history for `suyuan screen` — and stores what they find as
// alerts. The rules that need only the rows being written run in the
// recording transaction instead (package record).
package screen

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"suyuan/ent"
	"suyuan/internal/alert"
	"suyuan/internal/anomaly"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// Screener runs the rules over one database.
type Screener struct {
	client *ent.Client
	db     *sql.DB
	rules  anomaly.Config
	alerts *alert.Broker
}

// New returns a Screener that publishes new alerts to alerts (nil: to
// nobody).
func New(client *ent.Client, db *sql.DB, rules anomaly.Config, alerts *alert.Broker) *Screener {
	return &Screener{client: client, db: db, rules: rules, alerts: alerts}
}

// Result tells what one run found.
type Result struct {
	// Findings by kind, including those that only confirmed an alert.
	Findings map[anomaly.Kind]int
	// Raised is how many alerts are new or reopened.
	Raised  int
	Elapsed time.Duration
}

// Run screens the data recorded from since (the zero time: all of
// history) as it stands at now, and stores the findings as alerts.
func (s *Screener) Run(ctx context.Context, since, now time.Time) (Result, error) {
	start := time.Now()
	ctx = tenancy.System(ctx)
	fs, err := s.Findings(ctx, since, now)
	if err != nil {
		return Result{}, err
	}
	res := Result{Findings: map[anomaly.Kind]int{}}
	for _, f := range fs {
		res.Findings[f.Kind]++
	}
	// Store in modest transactions: a history's worth of findings in one
	// would hold its locks for long.
	const chunk = 200
	for i := 0; i < len(fs); i += chunk {
		var raised []*ent.Alert
		err := store.InTx(ctx, s.client, func(tx *ent.Tx) error {
			var err error
			raised, err = alert.RaiseAll(ctx, tx, now, fs[i:min(i+chunk, len(fs))])
			return err
		})
		if err != nil {
			return res, err
		}
		s.alerts.Publish(ctx, s.client, raised...)
		res.Raised += len(raised)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// Findings runs every rule over the data recorded from since as it stands
// at now, without storing anything.
func (s *Screener) Findings(ctx context.Context, since, now time.Time) ([]anomaly.Finding, error) {
	if start := beginning(); since.Before(start) {
		since = start
	}
	var out []anomaly.Finding
	for _, step := range []func(context.Context, time.Time, time.Time) ([]anomaly.Finding, error){
		s.coldChain, s.inspections, s.transit, s.massBalance, s.expiry, s.scans,
	} {
		fs, err := step(ctx, since, now)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	out = dedupe(out)
	anomaly.SortFindings(out)
	return out, nil
}

// beginning stands for "all of history": MySQL compares no times before
// the year 1000, and the rules look back from since.
func beginning() time.Time { return time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }

// Loop screens every interval until ctx ends, each time the data of the
// last window, logging what it finds and any failure.
func (s *Screener) Loop(ctx context.Context, interval, window time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		res, err := s.Run(ctx, now.Add(-window), now)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("screening failed", "err", err)
			}
			continue
		}
		log.Info("screened", "raised", res.Raised, "findings", len(res.Findings), "elapsed", res.Elapsed)
	}
}

func (s *Screener) coldChain(ctx context.Context, since, _ time.Time) ([]anomaly.Finding, error) {
	trips, legs, err := coldChain(ctx, s.db, since)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(trips))
	for id := range trips {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var out []anomaly.Finding
	for _, id := range ids {
		t := trips[id]
		subject := anomaly.Subject{Type: anomaly.SubjectShipment, ID: id}
		// Each product's range; dedupe keeps, of each kind, the finding of
		// the first product whose range the trip broke.
		for _, p := range t.products {
			params := s.rules.ColdChainFor(p.category)
			out = append(out, anomaly.OutOfRange(subject, t.readings, p.r, params)...)
			out = append(out, anomaly.Sustained(subject, t.readings, p.r, params)...)
			out = append(out, anomaly.Gaps(subject, t.readings, params)...)
		}
	}
	// Cumulative minutes outside the range over each batch's journey.
	for i := 0; i < len(legs); {
		j := i
		var journey [][]anomaly.Reading
		for ; j < len(legs) && legs[j].batch == legs[i].batch; j++ {
			if t := trips[legs[j].shipment]; t != nil {
				journey = append(journey, t.readings)
			}
		}
		p := legs[i].product
		out = append(out, anomaly.Cumulative(anomaly.Subject{Type: anomaly.SubjectBatch, ID: legs[i].batch},
			journey, p.r, s.rules.ColdChainFor(p.category))...)
		i = j
	}
	return out, nil
}

func (s *Screener) inspections(ctx context.Context, since, now time.Time) ([]anomaly.Finding, error) {
	window := now.Add(-s.rules.Measurements.Window)
	rows, err := measurements(ctx, s.db, minTime(since, window), now)
	if err != nil {
		return nil, fmt.Errorf("loading inspections: %w", err)
	}
	var out []anomaly.Finding
	// Failed inspections and limits, for those made since since.
	for i := 0; i < len(rows); {
		j := i
		in := anomaly.Inspection{ID: rows[i].inspection, At: rows[i].at, Failed: rows[i].failed}
		for ; j < len(rows) && rows[j].inspection == rows[i].inspection; j++ {
			if rows[j].m.Name != "" {
				in.Measurements = append(in.Measurements, rows[j].m)
			}
		}
		if !rows[i].at.Before(since) {
			b := anomaly.Subject{Type: anomaly.SubjectBatch, ID: rows[i].batch}
			out = append(out, anomaly.FailedInspection(b, in)...)
			out = append(out, anomaly.OverLimit(b, in, s.rules.LegalLimits)...)
		}
		i = j
	}
	// Outliers among the same product's values of the same measurement
	// within the window; only those made since since are reported.
	type group struct {
		product    int
		name, unit string
	}
	samples := map[group][]anomaly.Sample{}
	for _, r := range rows {
		if r.m.Name == "" || r.at.Before(window) {
			continue
		}
		g := group{r.product, r.m.Name, r.m.Unit}
		samples[g] = append(samples[g], anomaly.Sample{
			Subject: anomaly.Subject{Type: anomaly.SubjectBatch, ID: r.batch}, Value: r.m.Value, At: r.at,
		})
	}
	for g, ss := range samples {
		for _, f := range anomaly.Outliers(anomaly.MeasurementOutlier, ss, s.rules.Measurements, false, g.unit) {
			if !f.At.Before(since) {
				f.Evidence.Summary = g.name + ": " + f.Evidence.Summary
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// dedupe keeps the first finding of each kind and subject: a batch
// inspected twice, or outlying in two measurements, a trip carrying two
// products whose ranges it broke, has one alert.
func dedupe(fs []anomaly.Finding) []anomaly.Finding {
	seen := map[struct {
		k anomaly.Kind
		s anomaly.Subject
	}]bool{}
	out := fs[:0]
	for _, f := range fs {
		key := struct {
			k anomaly.Kind
			s anomaly.Subject
		}{f.Kind, f.Subject}
		if !seen[key] {
			seen[key] = true
			out = append(out, f)
		}
	}
	return out
}

func (s *Screener) transit(ctx context.Context, since, now time.Time) ([]anomaly.Finding, error) {
	rows, err := transits(ctx, s.db, now.Add(-s.rules.Transit.Window), now)
	if err != nil {
		return nil, fmt.Errorf("loading transit times: %w", err)
	}
	routes := map[[2]int][]anomaly.Sample{}
	for _, t := range rows {
		k := [2]int{t.from, t.to}
		routes[k] = append(routes[k], anomaly.Sample{
			Subject: anomaly.Subject{Type: anomaly.SubjectShipment, ID: t.id},
			Value:   t.arrived.Sub(t.departed).Minutes(),
			At:      t.arrived,
		})
	}
	var out []anomaly.Finding
	for _, ss := range routes {
		for _, f := range anomaly.Outliers(anomaly.TransitOutlier, ss, s.rules.Transit, true, "min") {
			if !f.At.Before(since) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func (s *Screener) massBalance(ctx context.Context, since, _ time.Time) ([]anomaly.Finding, error) {
	b, err := massBalance(ctx, s.db, since)
	if err != nil {
		return nil, err
	}
	var out []anomaly.Finding
	check := func(outs map[balanceKey]int64, rule func(anomaly.Balance) []anomaly.Finding) {
		for k, n := range outs {
			out = append(out, rule(anomaly.Balance{
				Batch:      anomaly.Subject{Type: anomaly.SubjectBatch, ID: k.batch},
				FacilityID: k.facility,
				Produced:   b.produced[k], Received: b.received[k], Out: n,
				Unit: string(b.units[k.batch]), At: b.at[k],
			})...)
		}
	}
	check(b.shelved, anomaly.CheckOverShelved)
	check(b.shipped, anomaly.CheckOverShipped)
	return out, nil
}

func (s *Screener) expiry(ctx context.Context, _, now time.Time) ([]anomaly.Finding, error) {
	on, err := shelvedExpired(ctx, s.db, now)
	if err != nil {
		return nil, fmt.Errorf("loading expired stock: %w", err)
	}
	return anomaly.CheckExpiredOnShelf(now, on), nil
}

func (s *Screener) scans(ctx context.Context, since, _ time.Time) ([]anomaly.Finding, error) {
	codes, err := scans(ctx, s.db, since.Add(-s.rules.Scans.BurstWindow))
	if err != nil {
		return nil, fmt.Errorf("loading scans: %w", err)
	}
	var out []anomaly.Finding
	for _, c := range codes {
		out = append(out, anomaly.Scans(anomaly.Subject{Type: anomaly.SubjectTraceCode, ID: c.code}, true, c.scans, s.rules.Scans)...)
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
