package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
)

// writerGate lets one transaction at a time into an SQLite database.
// SQLite has one writer, and Suyuan's transactions take its lock at BEGIN
// (_txlock=immediate); left to SQLite, the others poll for it behind
// busy_timeout, sleeping up to 100 ms between tries, so a burst of small
// writes spends most of its time asleep. Queued here, each transaction
// starts the moment the one before it ends. busy_timeout still covers
// other processes (a backup, the command line) on the same file.
type writerGate struct {
	dialect.Driver
	turn chan struct{}
}

func newWriterGate(d dialect.Driver) *writerGate {
	return &writerGate{Driver: d, turn: make(chan struct{}, 1)}
}

// wait takes the turn, or gives up when ctx ends.
func (g *writerGate) wait(ctx context.Context) error {
	select {
	case g.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to write: %w", ctx.Err())
	}
}

// Exec is a statement outside a transaction: a write, which waits its
// turn like a transaction.
func (g *writerGate) Exec(ctx context.Context, query string, args, v any) error {
	if err := g.wait(ctx); err != nil {
		return err
	}
	defer func() { <-g.turn }()
	return g.Driver.Exec(ctx, query, args, v)
}

// Query outside a transaction waits its turn when it writes (an INSERT
// … RETURNING); reads run beside the writer, as WAL allows.
func (g *writerGate) Query(ctx context.Context, query string, args, v any) error {
	if !writes(query) {
		return g.Driver.Query(ctx, query, args, v)
	}
	if err := g.wait(ctx); err != nil {
		return err
	}
	defer func() { <-g.turn }()
	return g.Driver.Query(ctx, query, args, v)
}

func writes(query string) bool {
	q := strings.TrimLeft(query, " \t\n(")
	for _, verb := range []string{"INSERT", "UPDATE", "DELETE", "REPLACE"} {
		if len(q) >= len(verb) && strings.EqualFold(q[:len(verb)], verb) {
			return true
		}
	}
	return false
}

// Tx waits for its turn, or for ctx to end.
func (g *writerGate) Tx(ctx context.Context) (dialect.Tx, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	tx, err := g.Driver.Tx(ctx)
	if err != nil {
		<-g.turn
		return nil, err
	}
	return &gatedTx{Tx: tx, done: func() { <-g.turn }}, nil
}

// gatedTx gives the turn back when it ends, once.
type gatedTx struct {
	dialect.Tx
	once sync.Once
	done func()
}

func (t *gatedTx) Commit() error {
	defer t.once.Do(t.done)
	return t.Tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.once.Do(t.done)
	return t.Tx.Rollback()
}

// QueryContext and ExecContext are what Ent's generated client methods of
// the same names look for in a driver (see queryExecer).
func (g *writerGate) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !writes(query) {
		return g.Driver.(queryExecer).QueryContext(ctx, query, args...)
	}
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	defer func() { <-g.turn }()
	return g.Driver.(queryExecer).QueryContext(ctx, query, args...)
}

func (g *writerGate) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := g.wait(ctx); err != nil {
		return nil, err
	}
	defer func() { <-g.turn }()
	return g.Driver.(queryExecer).ExecContext(ctx, query, args...)
}

func (t *gatedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.(queryExecer).QueryContext(ctx, query, args...)
}

func (t *gatedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.(queryExecer).ExecContext(ctx, query, args...)
}
