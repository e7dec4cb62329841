// Package metrics holds the server's Prometheus metrics: one registry,
// made by New and handed to whoever counts, so that two servers in one
// process (as tests run them) never share or fight over a counter.
//
// Every method is safe on a nil *Metrics and then does nothing: code that
// counts need not know whether metrics are on.
package metrics

import (
	"database/sql"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// MaxOperationNames bounds the distinct GraphQL operation names kept as
// label values. Clients choose operation names, so without a bound a
// client could grow the registry without end; names past the bound are
// counted as OtherOperation.
const MaxOperationNames = 200

// Label values for operations without a name of their own.
const (
	AnonymousOperation = "anonymous"
	OtherOperation     = "other"
)

// Metrics counts what the server does.
type Metrics struct {
	// Registry is what /metrics serves.
	Registry *prometheus.Registry

	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	operations    *prometheus.CounterVec
	opDuration    *prometheus.HistogramVec
	opErrors      *prometheus.CounterVec
	opStatements  *prometheus.HistogramVec
	reqStatements *prometheus.HistogramVec
	pageCache     *prometheus.CounterVec
	screenRuns    *prometheus.CounterVec
	screenSeconds prometheus.Histogram
	alertsRaised  *prometheus.CounterVec
	slowQueries   prometheus.Counter
	webhookSends  *prometheus.CounterVec

	mu    sync.Mutex
	names map[string]bool // the operation names admitted as labels
}

// New builds the metrics and registers them, with the Go runtime's, the
// process's and the build's, in a registry of their own.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		names:    map[string]bool{},
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "suyuan_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "suyuan_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "suyuan_graphql_operations_total",
			Help: "GraphQL operations answered, by operation name and type (query, mutation, subscription; invalid when it never parsed).",
		}, []string{"operation", "type"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "suyuan_graphql_operation_duration_seconds",
			Help:    "Time from reading a GraphQL operation to its response, by operation name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"operation"}),
		opErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "suyuan_graphql_errors_total",
			Help: "Errors in GraphQL responses, by operation name and error code (docs/ERRORS.md).",
		}, []string{"operation", "code"}),
		opStatements: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "suyuan_graphql_sql_statements",
			Help:    "SQL statements one GraphQL operation issued, by operation name.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}, []string{"operation"}),
		reqStatements: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "suyuan_http_sql_statements",
			Help:    "SQL statements one HTTP request issued, by route pattern.",
			Buckets: []float64{0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}, []string{"route"}),
		pageCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "suyuan_consumer_page_cache_total",
			Help: "Consumer page requests by cache result (hit or miss).",
		}, []string{"result"}),
		webhookSends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "suyuan_webhook_attempts_total",
			Help: "Webhook delivery attempts by result (delivered, failed: to be retried, dead: failed its last attempt).",
		}, []string{"result"}),
		screenRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "suyuan_screener_runs_total",
			Help: "Background screenings by result (ok or error).",
		}, []string{"result"}),
		screenSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "suyuan_screener_run_duration_seconds",
			Help:    "Time one background screening took.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		alertsRaised: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "suyuan_alerts_raised_total",
			Help: "Alerts raised, by kind (recordings, recalls and the screener alike).",
		}, []string{"kind"}),
		slowQueries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "suyuan_sql_slow_statements_total",
			Help: "SQL statements that took longer than the slow-statement threshold.",
		}),
	}
	m.Registry.MustRegister(
		m.httpRequests, m.httpDuration, m.operations, m.opDuration, m.opErrors,
		m.opStatements, m.reqStatements, m.pageCache, m.screenRuns, m.screenSeconds,
		m.alertsRaised, m.slowQueries, m.webhookSends,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		buildInfo(),
	)
	return m
}

// buildInfo is suyuan_build_info, 1, labelled with the module version,
// the source revision and the Go version, so that a dashboard shows which
// build each server runs.
func buildInfo() prometheus.Collector {
	version, revision, goVersion := "unknown", "unknown", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		version, goVersion = info.Main.Version, info.GoVersion
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				revision = kv.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "suyuan_build_info",
		Help:        "Always 1; the labels tell the build.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	})
	g.Set(1)
	return g
}

// WatchDB adds the connection pool statistics of db (open, in use, idle,
// waits) under the label db_name=name.
func (m *Metrics) WatchDB(db *sql.DB, name string) {
	if m == nil {
		return
	}
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Request counts one HTTP request. route is the router's pattern (such
// as /t/{code}), never the raw path, so that codes do not become labels;
// "" (nothing matched) is counted as "unmatched".
func (m *Metrics) Request(route, method string, status int, took time.Duration, statements int64) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(took.Seconds())
	m.reqStatements.WithLabelValues(route).Observe(float64(statements))
}

// Operation counts one GraphQL response: its operation's name and type,
// how long it took, the error codes it carried and the SQL statements
// issued for it.
func (m *Metrics) Operation(name, typ string, took time.Duration, codes []string, statements int64) {
	if m == nil {
		return
	}
	name = m.operationLabel(name)
	m.operations.WithLabelValues(name, typ).Inc()
	m.opDuration.WithLabelValues(name).Observe(took.Seconds())
	m.opStatements.WithLabelValues(name).Observe(float64(statements))
	for _, c := range codes {
		m.opErrors.WithLabelValues(name, c).Inc()
	}
}

// operationLabel admits the first MaxOperationNames names as they are
// and counts the rest as OtherOperation.
func (m *Metrics) operationLabel(name string) string {
	if name == "" {
		return AnonymousOperation
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names[name] {
		return name
	}
	if len(m.names) >= MaxOperationNames {
		return OtherOperation
	}
	m.names[name] = true
	return name
}

// PageCache counts a consumer page served from the cache (hit) or built
// (miss).
func (m *Metrics) PageCache(hit bool) {
	if m == nil {
		return
	}
	result := "miss"
	if hit {
		result = "hit"
	}
	m.pageCache.WithLabelValues(result).Inc()
}

// WebhookAttempt counts one attempt to deliver to a webhook.
func (m *Metrics) WebhookAttempt(result string) {
	if m == nil {
		return
	}
	m.webhookSends.WithLabelValues(result).Inc()
}

// Screening counts one background screening.
func (m *Metrics) Screening(took time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.screenRuns.WithLabelValues(result).Inc()
	m.screenSeconds.Observe(took.Seconds())
}

// AlertRaised counts one alert raised, by its kind.
func (m *Metrics) AlertRaised(kind string) {
	if m == nil {
		return
	}
	m.alertsRaised.WithLabelValues(kind).Inc()
}

// SlowStatement counts one SQL statement over the slow threshold.
func (m *Metrics) SlowStatement() {
	if m == nil {
		return
	}
	m.slowQueries.Inc()
}

// Replica is one read replica's state as the metrics show it.
type Replica struct {
	Name string
	Up   bool
	Lag  time.Duration
}

// WatchReplicas adds, for each read replica that states names, whether it
// is in use (suyuan_replica_up) and how far behind the primary it was at
// its last check (suyuan_replica_lag_seconds).
func (m *Metrics) WatchReplicas(states func() []Replica) {
	if m == nil {
		return
	}
	m.Registry.MustRegister(replicaCollector{states: states})
}

var (
	replicaUp = prometheus.NewDesc("suyuan_replica_up",
		"Whether a read replica serves reads (1): reachable, replicating and within --max-replica-lag.", []string{"replica"}, nil)
	replicaLag = prometheus.NewDesc("suyuan_replica_lag_seconds",
		"How far behind the primary a read replica was at its last check (Seconds_Behind_Master).", []string{"replica"}, nil)
)

type replicaCollector struct{ states func() []Replica }

func (c replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicaUp
	ch <- replicaLag
}

func (c replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, r := range c.states() {
		up := 0.0
		if r.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaUp, prometheus.GaugeValue, up, r.Name)
		ch <- prometheus.MustNewConstMetric(replicaLag, prometheus.GaugeValue, r.Lag.Seconds(), r.Name)
	}
}
