package screen

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"
)

// leadLock names the MariaDB/MySQL lock the background screener's leader
// holds: one per database, since lock names are the server's.
const leadLock = "CONCAT('suyuan.screener.', DATABASE())"

// lead decides which of the servers sharing a database runs the
// background screener: one at a time, so that every server does not read
// the same rows and decide on the same alerts each interval. On MariaDB
// and MySQL the leader is the server holding a named lock (GET_LOCK) on a
// connection it keeps out of the pool; when that server stops or dies,
// its connection closes, the server releases the lock, and another takes
// it at its next tick. On SQLite, whose servers share one file on one
// machine, every server leads: the runs queue for the one writer, and
// alerts are idempotent.
type lead struct {
	db      *sql.DB
	dialect string
	conn    *sql.Conn // holding the lock, or nil
}

// held reports whether this server leads now, taking the lead when it is
// free.
func (l *lead) held(ctx context.Context) (bool, error) {
	if l == nil || l.dialect != dialect.MySQL {
		return true, nil
	}
	if l.conn != nil {
		var mine sql.NullBool
		err := l.conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK("+leadLock+") = CONNECTION_ID()").Scan(&mine)
		if err == nil && mine.Valid && mine.Bool {
			return true, nil
		}
		// The connection broke, or the server lost the lock with it.
		l.release()
	}
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("taking a connection for the screener's lock: %w", err)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+leadLock+", 0)").Scan(&got); err != nil {
		conn.Close()
		return false, fmt.Errorf("taking the screener's lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return false, nil
	}
	l.conn = conn
	return true, nil
}

// release gives the lead up: closing the connection releases its lock.
func (l *lead) release() {
	if l != nil && l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
}
