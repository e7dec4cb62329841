package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"testing"
)

// fakeDriver answers every query with the rows 1 and 2 and counts what
// the cache asks of it.
type fakeDriver struct{ prepared, direct, closed int }

func (d *fakeDriver) Open(string) (driver.Conn, error) { return &fakeConn{d: d}, nil }

type fakeConn struct{ d *fakeDriver }

func (c *fakeConn) Prepare(string) (driver.Stmt, error) { panic("not used") }
func (c *fakeConn) Close() error                        { return nil }
func (c *fakeConn) Begin() (driver.Tx, error)           { return fakeTx{}, nil }
func (c *fakeConn) PrepareContext(context.Context, string) (driver.Stmt, error) {
	c.d.prepared++
	return &fakeStmt{d: c.d}, nil
}
func (c *fakeConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	c.d.direct++
	return &fakeRows{}, nil
}

type fakeTx struct{}

func (fakeTx) Commit() error   { return nil }
func (fakeTx) Rollback() error { return nil }

type fakeStmt struct{ d *fakeDriver }

func (s *fakeStmt) Close() error                               { s.d.closed++; return nil }
func (s *fakeStmt) NumInput() int                              { return -1 }
func (s *fakeStmt) Exec([]driver.Value) (driver.Result, error) { panic("not used") }
func (s *fakeStmt) Query([]driver.Value) (driver.Rows, error)  { panic("not used") }
func (s *fakeStmt) QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error) {
	return &fakeRows{}, nil
}

type fakeRows struct{ n int }

func (r *fakeRows) Columns() []string { return []string{"n"} }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.n == 2 {
		return io.EOF
	}
	r.n++
	dest[0] = int64(r.n)
	return nil
}

// readAll reads the one integer column of a query's rows:
// readAll(t)(db.QueryContext(…)).
func readAll(t *testing.T) func(*sql.Rows, error) []int {
	t.Helper()
	return func(rows *sql.Rows, err error) []int {
		t.Helper()
		return scanInts(t, rows, err)
	}
}

func scanInts(t *testing.T, rows *sql.Rows, err error) []int {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	d := &fakeDriver{}
	db := sql.OpenDB(cachingConnector{Connector: dsnConnector{drv: d}, size: 2})
	defer db.Close()
	db.SetMaxOpenConns(1)

	for range 3 {
		readAll(t)(db.QueryContext(ctx, "a"))
	}
	if d.prepared != 1 || d.direct != 0 {
		t.Fatalf("three runs of one query: %d prepared, %d run directly; want 1 and 0", d.prepared, d.direct)
	}

	// While the rows of a statement are open, the same text on the same
	// connection runs directly instead of resetting them.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.QueryContext(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	outer.Next()
	if got := readAll(t)(tx.QueryContext(ctx, "a")); len(got) != 2 {
		t.Fatalf("inner query read %v", got)
	}
	outer.Close()
	tx.Rollback()
	if d.prepared != 1 || d.direct != 1 {
		t.Fatalf("a query beside its open rows: %d prepared, %d run directly; want 1 and 1", d.prepared, d.direct)
	}

	// Beyond two statements the least recently used is closed.
	readAll(t)(db.QueryContext(ctx, "b"))
	readAll(t)(db.QueryContext(ctx, "a"))
	readAll(t)(db.QueryContext(ctx, "c")) // evicts b
	if d.closed != 1 {
		t.Fatalf("%d statements closed; want b", d.closed)
	}
	readAll(t)(db.QueryContext(ctx, "a"))
	if d.prepared != 3 {
		t.Fatalf("%d statements prepared; want a, b and c once each", d.prepared)
	}
}
