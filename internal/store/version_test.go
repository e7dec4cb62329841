package store_test

import (
	"context"
	"errors"
	"testing"

	"suyuan/internal/store"
	"suyuan/internal/testdb"
)

// TestNewerSchemaRefused: a database a newer binary migrated is refused
// before anything is changed, with a message that says what to do; one at
// this binary's version migrates again.
func TestNewerSchemaRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		v, err := db.Version(ctx)
		if err != nil || v != store.SchemaVersion {
			t.Fatalf("version %d, %v; want %d after migrating", v, err, store.SchemaVersion)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrating again: %v", err)
		}
		if _, err := db.SQL.ExecContext(ctx, "UPDATE suyuan_schema_version SET version = ?", store.SchemaVersion+1); err != nil {
			t.Fatal(err)
		}
		err = db.Migrate(ctx)
		if !errors.Is(err, store.ErrSchemaNewer) {
			t.Fatalf("migrating a newer schema: %v, want ErrSchemaNewer", err)
		}
		t.Log(err)
		if v, _ := db.Version(ctx); v != store.SchemaVersion+1 {
			t.Errorf("the refused migration changed the version to %d", v)
		}
	})
}
