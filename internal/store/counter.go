package store

import (
	"context"
	"database/sql"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Counter counts SQL statements. Tests use it to prove that the number of
// statements an operation issues does not grow with the data it returns.
type Counter struct {
	n atomic.Int64
}

// Count returns the number of statements counted so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Reset sets the count to zero and returns what it was.
func (c *Counter) Reset() int64 { return c.n.Swap(0) }

// Tally counts the statements issued with one context: the server gives
// each request one, so that its log line and its metrics tell how many
// statements it took.
type Tally struct {
	n       atomic.Int64
	retries atomic.Int64
}

type tallyKey struct{}

// WithTally returns a context whose statements the returned Tally counts.
func WithTally(ctx context.Context) (context.Context, *Tally) {
	t := &Tally{}
	return context.WithValue(ctx, tallyKey{}, t), t
}

// TallyOf returns the Tally of ctx, or nil.
func TallyOf(ctx context.Context) *Tally {
	t, _ := ctx.Value(tallyKey{}).(*Tally)
	return t
}

// Count returns the statements counted so far; 0 on a nil Tally.
func (t *Tally) Count() int64 {
	if t == nil {
		return 0
	}
	return t.n.Load()
}

// Retries returns how many transactions were run again after the
// database aborted them (InTx); 0 on a nil Tally.
func (t *Tally) Retries() int64 {
	if t == nil {
		return 0
	}
	return t.retries.Load()
}

func (t *Tally) retried() {
	if t != nil {
		t.retries.Add(1)
	}
}

// SlowFunc is told of a statement that took longer than the threshold
// given to WithSlowStatements.
type SlowFunc func(ctx context.Context, query string, took time.Duration)

type uncountedKey struct{}

// Uncounted marks ctx as the server's background work (following the
// outbox), whose statements a Counter leaves out: what it counts is what
// requests issue, and background work running beside them at its own
// pace must not change that.
func Uncounted(ctx context.Context) context.Context {
	return context.WithValue(ctx, uncountedKey{}, true)
}

// statements is what the driver wrapper does with each statement: count
// it in the test Counter (if any) and the context's Tally (if any), and
// time it against the slow threshold (if any).
type statements struct {
	c        *Counter
	slow     SlowFunc
	slowOver time.Duration
	tracer   trace.Tracer // nil: tracing is off
}

// begin counts a statement and returns the function that ends it.
func (s *statements) begin(ctx context.Context, query string) func() {
	if s.c != nil && ctx.Value(uncountedKey{}) == nil {
		s.c.n.Add(1)
	}
	if t := TallyOf(ctx); t != nil {
		t.n.Add(1)
	}
	var span trace.Span
	// Only within a traced request: background polling would otherwise
	// make a trace of its own every half second.
	if s.tracer != nil && trace.SpanContextFromContext(ctx).IsValid() {
		_, span = s.tracer.Start(ctx, "sql "+verb(query), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.query.text", query)))
	}
	if s.slow == nil && span == nil {
		return func() {}
	}
	start := time.Now()
	return func() {
		if span != nil {
			span.End()
		}
		if took := time.Since(start); s.slow != nil && took > s.slowOver {
			s.slow(ctx, query, took)
		}
	}
}

// verb is a statement's first word (SELECT, INSERT…), for span names.
func verb(query string) string {
	query = strings.TrimSpace(query)
	if i := strings.IndexAny(query, " \t\n("); i > 0 {
		query = query[:i]
	}
	return strings.ToUpper(query)
}

// countingDriver counts every Exec and Query, inside transactions too, and
// answers a database that is away as UNAVAILABLE (classify), whichever
// statement met it.
type countingDriver struct {
	dialect.Driver
	c *statements
}

func (d *countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	defer d.c.begin(ctx, query)()
	return classify(d.Driver.Exec(ctx, query, args, v))
}

func (d *countingDriver) Query(ctx context.Context, query string, args, v any) error {
	defer d.c.begin(ctx, query)()
	return classify(d.Driver.Query(ctx, query, args, v))
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, classify(err)
	}
	return &countingTx{Tx: tx, c: d.c}, nil
}

type countingTx struct {
	dialect.Tx
	c *statements
}

func (t *countingTx) Commit() error { return classify(t.Tx.Commit()) }

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	defer t.c.begin(ctx, query)()
	return classify(t.Tx.Exec(ctx, query, args, v))
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	defer t.c.begin(ctx, query)()
	return classify(t.Tx.Query(ctx, query, args, v))
}

// queryExecer is what Ent's generated QueryContext and ExecContext look for
// in a driver; the SQL driver has it, and so must its counting wrapper.
type queryExecer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (d *countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	defer d.c.begin(ctx, query)()
	rows, err := d.Driver.(queryExecer).QueryContext(ctx, query, args...)
	return rows, classify(err)
}

func (d *countingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer d.c.begin(ctx, query)()
	res, err := d.Driver.(queryExecer).ExecContext(ctx, query, args...)
	return res, classify(err)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	defer t.c.begin(ctx, query)()
	rows, err := t.Tx.(queryExecer).QueryContext(ctx, query, args...)
	return rows, classify(err)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer t.c.begin(ctx, query)()
	res, err := t.Tx.(queryExecer).ExecContext(ctx, query, args...)
	return res, classify(err)
}
