package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"suyuan/internal/errcode"
)

// UnavailableRetryAfter is how long a client is told to wait before
// sending again a request the database could not serve: a restarted
// server or a failed-over node is back within seconds.
const UnavailableRetryAfter = 2 * time.Second

// Unavailable reports whether err says the database could not be reached
// or would not serve — a refused or broken connection, a server shutting
// down or read-only, a Galera node not synced — rather than anything
// about the request: the same request may succeed a moment later.
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// The request's own time ran out (TIMEOUT), not the database.
		return false
	}
	if errors.Is(err, ErrNodeNotReady) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, // too many connections
			1053, // server shutdown in progress
			1047, // Galera: WSREP has not yet prepared node for application use
			1290, // running with --read-only: a primary demoted or not yet promoted
			1836, // read-only mode
			1927, // connection was killed
			4031: // disconnected by the server for inactivity
			return true
		}
		return false
	}
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout())
}

// errUnavailable is what a request meets when the database is away.
var errUnavailable = &errcode.Error{Code: errcode.Unavailable, RetryAfter: UnavailableRetryAfter,
	Message: "the database is unavailable; send the request again after Retry-After (a write with the same Idempotency-Key, as it may have been recorded)"}

// classify makes a database-unavailable error an UNAVAILABLE one that
// every presenter answers as retryable, keeping the cause for the log and
// for Retryable. Other errors pass unchanged.
func classify(err error) error {
	if err == nil || !Unavailable(err) {
		return err
	}
	var coded *errcode.Error
	if errors.As(err, &coded) {
		return err
	}
	return fmt.Errorf("%w: %w", errUnavailable, err)
}
