package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"suyuan/ent"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/testdb"
)

// TestBulkIDsInSteps: on a server whose ids go in steps, as a Galera
// node's do, the rows of a many-row insert get the ids the database gave
// them once renumbered with the client's IDStep.
func TestBulkIDsInSteps(t *testing.T) {
	db := testdb.MySQLOneServer(t)
	stepped := db.InSteps(t, 3) // as a Galera node of three sets it
	c := stepped.Client
	if c.IDStep != 3 {
		t.Fatalf("IDStep %d, want 3", c.IDStep)
	}
	ctx := tenancy.System(context.Background())
	now := time.Now().UTC()
	var bulk []*ent.LoginThrottleCreate
	for i := range 4 {
		bulk = append(bulk, c.LoginThrottle.Create().SetKey(fmt.Sprintf("addr:bulk-%d", i)).SetLastFailureAt(now))
	}
	saved, err := c.LoginThrottle.CreateBulk(bulk...).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store.BulkIDs(c.IDStep, saved, func(r *ent.LoginThrottle) *int { return &r.ID })
	for _, r := range saved {
		got, err := c.LoginThrottle.Get(ctx, r.ID)
		if err != nil || got.Key != r.Key {
			t.Errorf("row %q has id %d, which holds %v (%v)", r.Key, r.ID, got, err)
		}
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

// TestPingReady: a lone MariaDB (whose wsrep_ready is OFF: no cluster)
// and SQLite are ready; a Galera node out of its cluster is not
// (server.TestGaleraNodeOutOfTheCluster).
func TestPingReady(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		if err := db.Ping(context.Background()); err != nil {
			t.Errorf("not ready: %v", err)
		}
	})
}
