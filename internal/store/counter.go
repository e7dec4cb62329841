package store

import (
	"context"
	"database/sql"
	"sync/atomic"

	"entgo.io/ent/dialect"
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

func (c *Counter) count(ctx context.Context) {
	if ctx.Value(uncountedKey{}) == nil {
		c.n.Add(1)
	}
}

type uncountedKey struct{}

// Uncounted marks ctx as the server's background work (following the
// outbox), whose statements a Counter leaves out: what it counts is what
// requests issue, and background work running beside them at its own
// pace must not change that.
func Uncounted(ctx context.Context) context.Context {
	return context.WithValue(ctx, uncountedKey{}, true)
}

// countingDriver counts every Exec and Query, inside transactions too.
type countingDriver struct {
	dialect.Driver
	c *Counter
}

func (d *countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.c.count(ctx)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *countingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.c.count(ctx)
	return d.Driver.Query(ctx, query, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, c: d.c}, nil
}

type countingTx struct {
	dialect.Tx
	c *Counter
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.c.count(ctx)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.c.count(ctx)
	return t.Tx.Query(ctx, query, args, v)
}

// queryExecer is what Ent's generated QueryContext and ExecContext look for
// in a driver; the SQL driver has it, and so must its counting wrapper.
type queryExecer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (d *countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d.c.count(ctx)
	return d.Driver.(queryExecer).QueryContext(ctx, query, args...)
}

func (d *countingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d.c.count(ctx)
	return d.Driver.(queryExecer).ExecContext(ctx, query, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.c.count(ctx)
	return t.Tx.(queryExecer).QueryContext(ctx, query, args...)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.c.count(ctx)
	return t.Tx.(queryExecer).ExecContext(ctx, query, args...)
}
