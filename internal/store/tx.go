package store

import (
	"context"
	"errors"
	"fmt"

	"suyuan/ent"
)

// maxAttempts bounds how often a transaction aborted by a deadlock is run.
const maxAttempts = 3

// InTx runs fn in a transaction of client, committing when it returns
// nil. A transaction the database aborted as a deadlock victim is run
// again: fn reads everything it decides on inside the transaction, so a
// new run decides afresh.
func InTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	var err error
	for range maxAttempts {
		if err = runTx(ctx, client, fn); !Retryable(err) {
			return err
		}
	}
	return err
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
