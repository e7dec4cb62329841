package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"

	"suyuan/internal/errcode"
)

func TestPositionCovers(t *testing.T) {
	for _, c := range []struct {
		p, q Position
		want bool
	}{
		{"", "", true},
		{"0-1-5", "", true},
		{"", "0-1-5", false},
		{"0-1-5", "0-1-5", true},
		{"0-1-6", "0-1-5", true},
		{"0-1-4", "0-1-5", false},
		{"0-2-9", "0-1-5", true}, // sequences compare within a domain, whichever server wrote them
		{"0-1-9,1-1-3", "1-1-3,0-1-9", true},
		{"0-1-9", "0-1-9,1-1-3", false}, // a domain the replica has not seen
		{"0-1-9,1-1-2", "0-1-9,1-1-3", false},
		{"garbage", "0-1-1", false},
	} {
		if got := c.p.Covers(c.q); got != c.want {
			t.Errorf("%q.Covers(%q) = %v, want %v", c.p, c.q, got, c.want)
		}
	}
	for _, bad := range []string{"yesterday", "0-1", "0-1-x", "0-1-2,", "-1-1-1"} {
		if _, err := ParsePosition(bad); err == nil {
			t.Errorf("ParsePosition(%q) accepted", bad)
		}
	}
	if p, err := ParsePosition(" 0-1-1204,1-2-7 "); err != nil || p != "0-1-1204,1-2-7" {
		t.Errorf("ParsePosition: %q, %v", p, err)
	}
}

func TestUnavailable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("syntax error"), false},
		{&mysql.MySQLError{Number: 1062}, false}, // duplicate key: about the request
		{&mysql.MySQLError{Number: 1213}, false}, // deadlock: retried in the transaction
		{fmt.Errorf("query: %w", &mysql.MySQLError{Number: 1053}), true},
		{&mysql.MySQLError{Number: 1047}, true},
		{&mysql.MySQLError{Number: 1290}, true},
		{driver.ErrBadConn, true},
		{mysql.ErrInvalidConn, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("x: %w", syscall.ECONNRESET), true},
		{context.DeadlineExceeded, false}, // the request's own time: TIMEOUT
		{context.Canceled, false},
	} {
		if got := Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	err := classify(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
	var coded *errcode.Error
	if !errors.As(err, &coded) || coded.Code != errcode.Unavailable || coded.RetryAfter != UnavailableRetryAfter {
		t.Errorf("classify: %v", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Error("classify lost the cause")
	}
	if err := classify(&mysql.MySQLError{Number: 1213}); !Retryable(err) {
		t.Error("a deadlock is not retryable after classify")
	}
}
