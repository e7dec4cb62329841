package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SchemaVersion is the version of the schema this binary migrates to. It
// goes up by one with every change of the Ent schema that an older binary
// must not run against: a column it would not fill, a table whose rows it
// would not keep in step, and every step of a rename or removal
// (docs/OPERATIONS.md, "Schema changes").
//
// 2: the leases table. A version-1 server leads by a named lock, which a
// version-2 holder of the lease row does not hold: both would screen and
// deliver webhooks.
const SchemaVersion = 2

// ErrSchemaNewer is returned by Migrate when the database was migrated by
// a newer Suyuan than this one.
var ErrSchemaNewer = errors.New("the database's schema is newer than this binary")

// versionTable holds one row: the highest schema version any binary has
// migrated the database to. It is kept outside the Ent schema so that the
// check runs before Ent touches anything.
const versionTable = "suyuan_schema_version"

// checkVersion creates the version table if it is missing and returns
// the version recorded (0 for a database no versioned binary has
// migrated), refusing one newer than SchemaVersion.
func (db *DB) checkVersion(ctx context.Context) (int, error) {
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+versionTable+
		" (id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL)"); err != nil {
		return 0, fmt.Errorf("creating %s: %w", versionTable, err)
	}
	var v int
	err := db.SQL.QueryRowContext(ctx, "SELECT version FROM "+versionTable+" WHERE id = 1").Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("reading the schema version: %w", err)
	case v > SchemaVersion:
		return v, fmt.Errorf("%w: the database is at schema version %d, this binary knows up to %d; "+
			"a newer Suyuan migrated it, and this one would write rows that version does not expect. "+
			"Run that version or a newer one (or restore the backup taken before the upgrade)", ErrSchemaNewer, v, SchemaVersion)
	}
	return v, nil
}

// recordVersion notes that the database is at SchemaVersion.
func (db *DB) recordVersion(ctx context.Context, was int) error {
	q := "UPDATE " + versionTable + " SET version = ? WHERE id = 1"
	if was == 0 {
		q = "INSERT INTO " + versionTable + " (version, id) VALUES (?, 1)"
	}
	if _, err := db.SQL.ExecContext(ctx, q, SchemaVersion); err != nil {
		return fmt.Errorf("recording the schema version: %w", err)
	}
	return nil
}

// Version returns the schema version recorded in the database (0 before
// the first migration by a versioned binary).
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := db.SQL.QueryRowContext(ctx, "SELECT version FROM "+versionTable+" WHERE id = 1").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return v, nil
}
