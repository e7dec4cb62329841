// Package record carries out Suyuan's recording operations — batches,
// shipments, readings, shelving, inspections, trace codes — each in one
// transaction, with its validation and its mass-balance rules. It knows
// nothing of HTTP or GraphQL; the graph package calls it.
package record

import (
	"context"
	"errors"
	"fmt"
	"time"

	"suyuan/ent"
	"suyuan/internal/errcode"
	"suyuan/internal/store"
)

// Recorder performs recording operations against one database.
type Recorder struct {
	client *ent.Client
	now    func() time.Time
}

// New returns a Recorder over client. now tells the time; nil means
// time.Now. Tests pass a fixed clock.
func New(client *ent.Client, now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{client: client, now: now}
}

// maxClockSkew is how far in the future an event time may lie: devices'
// clocks drift, but a reading from tomorrow is a mistake.
const maxClockSkew = 10 * time.Minute

// maxAttempts bounds how often a transaction aborted by a deadlock is run.
const maxAttempts = 3

// withTx runs fn in a transaction, committing when it returns nil. A
// transaction the database aborted as a deadlock victim is run again: fn
// reads everything it decides on inside the transaction, so a new run
// decides afresh.
func (r *Recorder) withTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	var err error
	for range maxAttempts {
		if err = r.runTx(ctx, fn); !store.Retryable(err) {
			return err
		}
	}
	return err
}

func (r *Recorder) runTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	tx, err := r.client.Tx(ctx)
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
	return nil
}

// notFound turns Ent's not-found error for a referenced row into a client
// error naming the input field; other errors pass through.
func notFound(err error, field, what string) error {
	if ent.IsNotFound(err) {
		return errcode.Field(errcode.NotFound, field, "%s not found", what)
	}
	return err
}

// checkTime refuses times in the future beyond clock skew, and zero times.
func (r *Recorder) checkTime(t time.Time, field string) error {
	if t.IsZero() {
		return errcode.Field(errcode.BadUserInput, field, "time is required")
	}
	if t.After(r.now().Add(maxClockSkew)) {
		return errcode.Field(errcode.InvalidTimeOrder, field, "time lies in the future")
	}
	return nil
}

// notBefore refuses t when it lies before earlier.
func notBefore(t, earlier time.Time, field, what string) error {
	if t.Before(earlier) {
		return errcode.Field(errcode.InvalidTimeOrder, field, "time must not be before %s (%s)", what, earlier.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkText bounds a free-text input.
func checkText(s, field string, max int) error {
	if len([]rune(s)) > max {
		return errcode.Field(errcode.BadUserInput, field, "must be at most %d characters", max)
	}
	return nil
}
