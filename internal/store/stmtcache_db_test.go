package store_test

import (
	"context"
	"database/sql"
	"testing"

	"suyuan/internal/testdb"
)

// readAll reads the one integer column of a query's rows:
// readAll(t)(db.QueryContext(…)).
func readAll(t *testing.T) func(*sql.Rows, error) []int {
	t.Helper()
	return func(rows *sql.Rows, err error) []int {
		t.Helper()
		return scanInts(t, rows, err)
	}
}

func scanInts(t *testing.T, rows *sql.Rows, err error) []int {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStatementCacheDatabases runs a cached statement on each database
// inside and outside a transaction, nested in its own open rows.
func TestStatementCacheDatabases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		const q = `SELECT n FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) t WHERE n >= ? ORDER BY n`
		for i := range 3 {
			if got := readAll(t)(db.SQL.QueryContext(ctx, q, i+1)); len(got) != 3-i {
				t.Fatalf("n >= %d: %v", i+1, got)
			}
		}
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		outer, err := tx.QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		var seen []int
		for outer.Next() {
			var n int
			if err := outer.Scan(&n); err != nil {
				t.Fatal(err)
			}
			seen = append(seen, n)
			if n == 1 {
				// MySQL cannot start a query on a connection whose rows
				// are still being read; SQLite can.
				if db.Name == "sqlite" {
					if got := readAll(t)(tx.QueryContext(ctx, q, 2)); len(got) != 2 {
						t.Fatalf("nested: %v", got)
					}
				}
			}
		}
		if err := outer.Err(); err != nil || len(seen) != 3 {
			t.Fatalf("outer rows %v: %v", seen, err)
		}
	})
}
