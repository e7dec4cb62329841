// Package lease decides which one of the servers sharing a database runs
// a piece of background work — the screener, the webhook deliverer — so
// that every server does not read the same rows and act on them twice.
//
// On MariaDB and MySQL the holder is the server holding a named lock
// (GET_LOCK) on a connection it keeps out of the pool; when that server
// stops or dies, its connection closes, the database releases the lock,
// and another server takes it when it next asks. On SQLite, whose servers
// share one file on one machine, every server holds every lease: the work
// queues for the one writer, and what it writes is idempotent.
package lease

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"
)

// Lease is one server's claim to one piece of work.
type Lease struct {
	db      *sql.DB
	dialect string
	lock    string    // SQL expression naming the lock
	conn    *sql.Conn // holding the lock, or nil
}

// New returns the lease named name over db. Lock names are the database
// server's, so the name is qualified with the database's.
func New(db *sql.DB, dialectName, name string) *Lease {
	return &Lease{db: db, dialect: dialectName, lock: "CONCAT('suyuan." + name + ".', DATABASE())"}
}

// Held reports whether this server holds the lease now, taking it when it
// is free. A nil lease is always held.
func (l *Lease) Held(ctx context.Context) (bool, error) {
	if l == nil || l.dialect != dialect.MySQL {
		return true, nil
	}
	if l.conn != nil {
		var mine sql.NullBool
		err := l.conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK("+l.lock+") = CONNECTION_ID()").Scan(&mine)
		if err == nil && mine.Valid && mine.Bool {
			return true, nil
		}
		// The connection broke, or the server lost the lock with it.
		l.Release()
	}
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("taking a connection for a lease: %w", err)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+l.lock+", 0)").Scan(&got); err != nil {
		conn.Close()
		return false, fmt.Errorf("taking a lease: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return false, nil
	}
	l.conn = conn
	return true, nil
}

// Release gives the lease up: closing the connection releases its lock.
func (l *Lease) Release() {
	if l != nil && l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
}
