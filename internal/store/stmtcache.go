package store

import (
	"context"
	"database/sql/driver"
	"io"
	"reflect"
)

// DefaultStatementCache is how many prepared read statements each
// connection keeps. The traceability reads pad their IN lists to a few
// shapes (see internal/trace), so their statements fit many times over.
const DefaultStatementCache = 128

// cachingConnector gives every connection a cache of prepared statements
// for its reads. database/sql prepares nothing for DB.QueryContext: each
// read is compiled anew and thrown away, and on SQLite that compilation
// was a quarter of a trace's CPU time. The cache sits under database/sql
// and Ent, so every read benefits, and above it nothing changes: the
// statement counter still counts each statement once.
type cachingConnector struct {
	driver.Connector
	size int
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	q, ok1 := conn.(driver.QueryerContext)
	p, ok2 := conn.(driver.ConnPrepareContext)
	if !ok1 || !ok2 || c.size <= 0 {
		return conn, nil
	}
	return &cachingConn{Conn: conn, queryer: q, preparer: p, size: c.size, stmts: map[string]*cachedStmt{}}, nil
}

// dsnConnector is a driver.Connector for a driver that has none of its own.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// cachedStmt is a prepared statement and its place in its connection's
// least-recently-used list.
type cachedStmt struct {
	query      string
	stmt       driver.StmtQueryContext
	closer     driver.Stmt
	prev, next *cachedStmt
	// busy is set while rows read from the statement are open: a second
	// query with the same text on the connection (in a transaction, while
	// the first rows are read) must not reset them.
	busy bool
	// evicted statements are closed once their rows are.
	evicted bool
}

// cachingConn is a connection whose reads run through prepared statements
// it keeps, at most size of them, dropping the least recently used.
// database/sql uses a connection from one goroutine at a time, so it needs
// no lock.
type cachingConn struct {
	driver.Conn
	queryer    driver.QueryerContext
	preparer   driver.ConnPrepareContext
	size       int
	stmts      map[string]*cachedStmt
	head, tail *cachedStmt // most and least recently used
}

// Statements beyond these sizes are one-offs (a long list of ids): run
// directly, as before, they neither take a place in the cache nor meet a
// server's limit on a prepared statement's placeholders.
const (
	maxCachedArgs  = 4096
	maxCachedQuery = 64 << 10
)

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) > maxCachedArgs || len(query) > maxCachedQuery {
		return c.queryer.QueryContext(ctx, query, args)
	}
	s := c.stmts[query]
	if s == nil {
		ds, err := c.preparer.PrepareContext(ctx, query)
		if err != nil {
			// The direct path reports the error as it always has.
			return c.queryer.QueryContext(ctx, query, args)
		}
		sq, ok := ds.(driver.StmtQueryContext)
		if !ok {
			ds.Close()
			return c.queryer.QueryContext(ctx, query, args)
		}
		s = &cachedStmt{query: query, stmt: sq, closer: ds}
		c.stmts[query] = s
		c.evict()
	} else {
		c.unlink(s)
	}
	c.pushFront(s)
	if s.busy {
		return c.queryer.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

// evict drops the least recently used statements beyond the cache's size.
func (c *cachingConn) evict() {
	for len(c.stmts) > c.size && c.tail != nil {
		s := c.tail
		c.unlink(s)
		delete(c.stmts, s.query)
		s.evicted = true
		if !s.busy {
			s.closer.Close()
		}
	}
}

func (c *cachingConn) pushFront(s *cachedStmt) {
	s.prev, s.next = nil, c.head
	if c.head != nil {
		c.head.prev = s
	}
	c.head = s
	if c.tail == nil {
		c.tail = s
	}
}

func (c *cachingConn) unlink(s *cachedStmt) {
	if s.prev != nil {
		s.prev.next = s.next
	} else if c.head == s {
		c.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else if c.tail == s {
		c.tail = s.prev
	}
	s.prev, s.next = nil, nil
}

func (c *cachingConn) Close() error {
	for _, s := range c.stmts {
		s.closer.Close()
	}
	c.stmts, c.head, c.tail = nil, nil, nil
	return c.Conn.Close()
}

// The rest passes through to the driver's connection; database/sql finds
// these by type assertion, so the wrapper has them all and answers as
// database/sql would where the driver lacks one.

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.preparer.PrepareContext(ctx, query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // the driver has nothing else
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// cachedRows frees its statement for the next query when closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.s != nil {
		r.s.busy = false
		if r.s.evicted {
			r.s.closer.Close()
		}
		r.s = nil
	}
	return err
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) HasNextResultSet() bool {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.HasNextResultSet()
	}
	return false
}

func (r *cachedRows) NextResultSet() error {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF
}
