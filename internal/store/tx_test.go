package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"

	"suyuan/ent"
	"suyuan/internal/errcode"
	"suyuan/internal/store"
	"suyuan/internal/testdb"
)

// TestInTxRunsALoserAgainThenAnswersUnavailable: a transaction that loses
// to a deadlock or a Galera certification once is run again and
// succeeds; one that loses every time is run ten times, commits nothing,
// and ends UNAVAILABLE with a Retry-After (a client may send it again),
// not as an internal error.
func TestInTxRunsALoserAgainThenAnswersUnavailable(t *testing.T) {
	db := testdb.SQLite(t)
	lost := &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}

	ctx, tally := store.WithTally(context.Background())
	runs := 0
	err := store.InTx(ctx, db.Client, func(tx *ent.Tx) error {
		if runs++; runs == 1 {
			return lost
		}
		return nil
	})
	if err != nil || runs != 2 || tally.Retries() != 1 {
		t.Errorf("losing once: err %v after %d runs, %d retries counted", err, runs, tally.Retries())
	}

	ctx, tally = store.WithTally(context.Background())
	runs = 0
	err = store.InTx(ctx, db.Client, func(tx *ent.Tx) error {
		runs++
		return lost
	})
	var coded *errcode.Error
	if !errors.As(err, &coded) || coded.Code != errcode.Unavailable || coded.RetryAfter <= 0 || !errors.Is(err, lost) {
		t.Errorf("losing every time: %v; want UNAVAILABLE with a Retry-After, keeping the cause", err)
	}
	if runs != 10 || tally.Retries() != 9 {
		t.Errorf("losing every time: %d runs, %d retries counted; want 10 and 9", runs, tally.Retries())
	}

	// A request whose time runs out between runs ends with its context's
	// error (TIMEOUT), not the lost one's (INTERNAL).
	cctx, cancel := context.WithCancel(context.Background())
	err = store.InTx(cctx, db.Client, func(tx *ent.Tx) error {
		cancel()
		return lost
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled between runs: %v; want context.Canceled", err)
	}
}
