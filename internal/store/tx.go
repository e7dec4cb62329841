package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"suyuan/ent"
	"suyuan/internal/errcode"
)

// maxAttempts bounds how often a transaction aborted by a deadlock (or,
// on Galera, by a lost certification) is run. Writers on several Galera
// nodes lose to each other more often than writers on one server
// deadlock: every insert into a table that another node inserts into at
// the same moment takes the same new id; a dozen writers on three nodes
// taking from one lot lost six times in a row now and then.
const maxAttempts = 10

// retryPause is the longest pause before the second attempt; it doubles
// with each further one up to maxRetryPause, about a second of pauses in
// all. Each pause is drawn at random below it, so that two transactions
// that collided do not collide again in step.
const (
	retryPause    = 4 * time.Millisecond
	maxRetryPause = 250 * time.Millisecond
)

// errContended is what a change meets that lost to others every time it
// ran: nothing was committed, and it may well succeed a moment later.
var errContended = &errcode.Error{Code: errcode.Unavailable, RetryAfter: UnavailableRetryAfter,
	Message: "the change collided with concurrent changes to the same records every time it ran; nothing was recorded: send it again after Retry-After"}

// InTx runs fn in a transaction of client, committing when it returns
// nil. A transaction the database aborted as a deadlock victim is run
// again: fn reads everything it decides on inside the transaction, so a
// new run decides afresh. Each new run is counted in ctx's Tally. One
// that lost maxAttempts times is UNAVAILABLE, to be sent again.
func InTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	var err error
	for attempt := range maxAttempts {
		if attempt > 0 {
			TallyOf(ctx).retried()
			pause := time.Duration(rand.Int64N(int64(min(retryPause<<(attempt-1), maxRetryPause))))
			select {
			case <-ctx.Done():
				// The request's time ran out (TIMEOUT), not the database.
				return fmt.Errorf("waiting to run a transaction again: %w (it had lost: %w)", ctx.Err(), err)
			case <-time.After(pause):
			}
		}
		if err = runTx(ctx, client, fn); !Retryable(err) {
			return err
		}
	}
	return fmt.Errorf("%w: %w", errContended, err)
}

func runTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			tx.Rollback()
			panic(v)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	noteCommit(ctx)
	return nil
}
