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
	"suyuan/ent/screenwatermark"
	"suyuan/internal/alert"
	"suyuan/internal/anomaly"
	"suyuan/internal/eventlog"
	"suyuan/internal/lease"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// Screener runs the rules over one database.
type Screener struct {
	client *ent.Client
	db     *sql.DB
	rules  anomaly.Config
	log    *eventlog.Log
	// observe is told of each run of Loop (metrics); set by Observe
	// before Loop starts.
	observe func(took time.Duration, err error)
	// lead decides whether this server's Loop runs (Lead); nil: always.
	lead *lease.Lease
}

// Lead makes the background screener (Loop) of servers sharing a database
// of dialect run on one of them at a time (package lease).
func (s *Screener) Lead(dialect string) *Screener {
	s.lead = lease.New(s.client, dialect, "screener")
	return s
}

// Observe has f told how long each background run (Loop) took and
// whether it failed. Call it before Loop.
func (s *Screener) Observe(f func(took time.Duration, err error)) *Screener {
	s.observe = f
	return s
}

// New returns a Screener that stores its alerts through log, as changes
// whose followers — on every server — publish them.
func New(client *ent.Client, db *sql.DB, rules anomaly.Config, log *eventlog.Log) *Screener {
	return &Screener{client: client, db: db, rules: rules, log: log}
}

// Result tells what one run found.
type Result struct {
	// Findings by kind, including those that only confirmed an alert.
	Findings map[anomaly.Kind]int
	// Raised is how many alerts are new or reopened.
	Raised  int
	Elapsed time.Duration
}

// Period is what a run screens: the data whose events happened from Since
// (the zero time: all of history), and the data received — recorded by the
// server — from Received on, whatever its event times (a logger's file
// uploaded a day late, a backfill), as the data stands at Now. A zero
// Received adds nothing.
type Period struct {
	Since, Received, Now time.Time
}

// never stands for "no received time": later than any row's.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Run screens the data of events from since (the zero time: all of
// history) as it stands at now, and stores the findings as alerts.
func (s *Screener) Run(ctx context.Context, since, now time.Time) (Result, error) {
	return s.RunPeriod(ctx, Period{Since: since, Now: now})
}

// RunPeriod screens the data of p, and stores the findings as alerts.
func (s *Screener) RunPeriod(ctx context.Context, p Period) (Result, error) {
	start := time.Now()
	ctx = tenancy.System(ctx)
	now := p.Now
	fs, err := s.FindingsIn(ctx, p)
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
		n, err := s.store(ctx, now, fs[i:min(i+chunk, len(fs))])
		if err != nil {
			return res, err
		}
		res.Raised += n
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// store stores findings as alerts in one transaction, through the log,
// the service acting, and returns how many were new or reopened.
func (s *Screener) store(ctx context.Context, now time.Time, fs []anomaly.Finding) (int, error) {
	n := 0
	_, err := s.log.Record(viewer.NewContext(ctx, &viewer.Viewer{Role: viewer.Admin}), "screen",
		func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
			raised, err := alert.RaiseAll(ctx, tx, now, fs)
			for _, a := range raised {
				rec.Raised(a.ID)
			}
			n = len(raised)
			return err
		})
	return n, err
}

// Findings runs every rule over the data of events from since as it
// stands at now, without storing anything.
func (s *Screener) Findings(ctx context.Context, since, now time.Time) ([]anomaly.Finding, error) {
	return s.FindingsIn(ctx, Period{Since: since, Now: now})
}

// FindingsIn runs every rule over the data of p, without storing anything.
func (s *Screener) FindingsIn(ctx context.Context, p Period) ([]anomaly.Finding, error) {
	if start := beginning(); p.Since.Before(start) {
		p.Since = start
	}
	if p.Received.IsZero() {
		p.Received = never
	}
	var out []anomaly.Finding
	for _, step := range []func(context.Context, Period) ([]anomaly.Finding, error){
		s.coldChain, s.inspections, s.transit, s.massBalance, s.expiry, s.scans,
	} {
		fs, err := step(ctx, p)
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

// WatermarkLag is how far behind a run's start its watermark is left: a
// recording whose transaction was still open when the run read is received
// before the run started but seen only once it commits, so the next run
// reads the last minute again (alerts are idempotent).
const WatermarkLag = time.Minute

// watermarkName names the background screener's watermark.
const watermarkName = "background"

// Loop screens every interval until ctx ends, each time the data of
// events in the last window and the data received since the last run
// (its watermark, kept in the database), logging what it finds and any
// failure. A failed run leaves the watermark, so the next reads the same
// rows again. The first run, with no watermark yet, reads what was
// received within the window.
func (s *Screener) Loop(ctx context.Context, interval, window time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	defer s.lead.Release(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		switch leads, err := s.lead.Held(ctx); {
		case err != nil:
			if ctx.Err() == nil {
				log.Error("screening: taking the lead", "err", err)
			}
			continue
		case !leads:
			continue // another server screens
		}
		now := time.Now()
		err := s.runOnce(ctx, now, window, log)
		if s.observe != nil && ctx.Err() == nil {
			s.observe(time.Since(now), err)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("screening failed", "err", err)
		}
	}
}

// runOnce is one run of Loop at now.
func (s *Screener) runOnce(ctx context.Context, now time.Time, window time.Duration, log *slog.Logger) error {
	received, err := s.Watermark(ctx)
	if err != nil {
		return err
	}
	if received.IsZero() {
		received = now.Add(-window)
	}
	res, err := s.RunPeriod(ctx, Period{Since: now.Add(-window), Received: received, Now: now})
	if err != nil {
		return err
	}
	log.Info("screened", "raised", res.Raised, "findings", len(res.Findings), "elapsed", res.Elapsed)
	return s.SetWatermark(ctx, now.Add(-WatermarkLag))
}

// Watermark returns the received time from which the background screener
// reads next; zero before its first run.
func (s *Screener) Watermark(ctx context.Context) (time.Time, error) {
	w, err := s.client.ScreenWatermark.Query().Where(screenwatermark.Name(watermarkName)).Only(tenancy.System(ctx))
	switch {
	case ent.IsNotFound(err):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("reading the screening watermark: %w", err)
	}
	return w.RecordedUntil, nil
}

// SetWatermark moves the background screener's watermark forward to t
// (never back).
func (s *Screener) SetWatermark(ctx context.Context, t time.Time) error {
	ctx = tenancy.System(ctx)
	t = t.UTC()
	n, err := s.client.ScreenWatermark.Update().
		Where(screenwatermark.Name(watermarkName), screenwatermark.RecordedUntilLT(t)).
		SetRecordedUntil(t).Save(ctx)
	if err != nil {
		return fmt.Errorf("moving the screening watermark: %w", err)
	}
	if n == 0 {
		// None yet, or one already later: the insert then does nothing.
		err = s.client.ScreenWatermark.Create().SetName(watermarkName).SetRecordedUntil(t).
			OnConflictColumns(screenwatermark.FieldName).Ignore().Exec(ctx)
		if err != nil {
			return fmt.Errorf("setting the screening watermark: %w", err)
		}
	}
	return nil
}

func (s *Screener) coldChain(ctx context.Context, p Period) ([]anomaly.Finding, error) {
	trips, legs, err := coldChain(ctx, s.db, p.Since, p.Received)
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

func (s *Screener) inspections(ctx context.Context, p Period) ([]anomaly.Finding, error) {
	since, now := p.Since, p.Now
	window := now.Add(-s.rules.Measurements.Window)
	rows, err := measurements(ctx, s.db, minTime(since, window), now, p.Received)
	if err != nil {
		return nil, fmt.Errorf("loading inspections: %w", err)
	}
	var out []anomaly.Finding
	late := map[int]bool{} // batches with an inspection received late
	// Failed inspections and limits, for those made since since or
	// received since p.Received.
	for i := 0; i < len(rows); {
		j := i
		in := anomaly.Inspection{ID: rows[i].inspection, At: rows[i].at, Failed: rows[i].failed}
		for ; j < len(rows) && rows[j].inspection == rows[i].inspection; j++ {
			if rows[j].m.Name != "" {
				in.Measurements = append(in.Measurements, rows[j].m)
			}
		}
		if rows[i].late {
			late[rows[i].batch] = true
		}
		if !rows[i].at.Before(since) || rows[i].late {
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
			if !f.At.Before(since) || late[f.Subject.ID] {
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

func (s *Screener) transit(ctx context.Context, p Period) ([]anomaly.Finding, error) {
	since, now := p.Since, p.Now
	rows, err := transits(ctx, s.db, now.Add(-s.rules.Transit.Window), now, p.Received)
	if err != nil {
		return nil, fmt.Errorf("loading transit times: %w", err)
	}
	routes := map[[2]int][]anomaly.Sample{}
	late := map[int]bool{} // shipments whose arrival was received late
	for _, t := range rows {
		late[t.id] = t.late
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
			if !f.At.Before(since) || late[f.Subject.ID] {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func (s *Screener) massBalance(ctx context.Context, p Period) ([]anomaly.Finding, error) {
	b, err := massBalance(ctx, s.db, p.Since, p.Received)
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

func (s *Screener) expiry(ctx context.Context, p Period) ([]anomaly.Finding, error) {
	on, err := shelvedExpired(ctx, s.db, p.Now)
	if err != nil {
		return nil, fmt.Errorf("loading expired stock: %w", err)
	}
	return anomaly.CheckExpiredOnShelf(p.Now, on), nil
}

func (s *Screener) scans(ctx context.Context, p Period) ([]anomaly.Finding, error) {
	codes, err := scans(ctx, s.db, p.Since.Add(-s.rules.Scans.BurstWindow))
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
