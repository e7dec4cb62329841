package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"suyuan/internal/store"
	"suyuan/internal/testdb"
)

// TestIdsInStepsRefused: a server that hands out auto-increment ids in
// steps (a Galera cluster's default) is refused when Suyuan opens it:
// Ent would give the rows of a many-row insert the wrong ids.
func TestIdsInStepsRefused(t *testing.T) {
	db := testdb.MySQL(t)
	cfg, err := mysql.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	// The session's step, as a Galera node sets it for every session.
	cfg.Params = map[string]string{"auto_increment_increment": "3"}
	_, err = store.Open(context.Background(), cfg.FormatDSN())
	if !errors.Is(err, store.ErrAutoIncrementStep) || !strings.Contains(err.Error(), "wsrep_auto_increment_control") {
		t.Fatalf("opened a server with ids in steps of 3: %v", err)
	}
}

// TestGaleraErrorsClassified: a lost certification is retried like a
// deadlock; a node not in the primary component is unavailable, and not
// retried in the transaction.
func TestGaleraErrorsClassified(t *testing.T) {
	certification := fmt.Errorf("committing transaction: %w", &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"})
	notReady := fmt.Errorf("reading: %w", &mysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"})
	if !store.Retryable(certification) || store.Unavailable(certification) {
		t.Error("a lost certification is not retried")
	}
	if store.Retryable(notReady) || !store.Unavailable(notReady) {
		t.Error("a node not ready is not unavailable, or is retried in the transaction")
	}
}
