package seed

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"suyuan/internal/store"
)

// openSQLite returns a fresh, migrated SQLite database.
func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "seed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// openMySQL returns a fresh, migrated database on the MariaDB or MySQL
// server named by SUYUAN_TEST_MYSQL_DSN, dropped when the test ends. It
// skips the test when the variable is not set.
func openMySQL(t *testing.T) *store.DB {
	t.Helper()
	dsn := os.Getenv("SUYUAN_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("SUYUAN_TEST_MYSQL_DSN is not set")
	}
	ctx := context.Background()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parsing SUYUAN_TEST_MYSQL_DSN: %v", err)
	}
	name := fmt.Sprintf("suyuan_seed_%08x", rand.Uint32())
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	db, err := store.Open(ctx, cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

type holdKey struct{ batch, facility int64 }

// movement is one change to a lot's stock at a facility.
type movement struct {
	key   holdKey
	at    time.Time
	milli int64
	what  string
}

func toMilli(q float64) int64 { return int64(math.Round(q * 1000)) }

// movements reads every event that changes stock, under the rules in the
// package documentation.
func movements(t *testing.T, db *store.DB) []movement {
	t.Helper()
	ctx := context.Background()
	queries := []struct {
		what, query string
		sign        int64
	}{
		{"produced", "SELECT id, facility_id, quantity, produced_at FROM batches", 1},
		{"consumed", "SELECT i.input_id, o.facility_id, i.quantity, o.produced_at FROM batch_inputs i JOIN batches o ON o.id = i.output_id", -1},
		{"shipped", "SELECT i.batch_id, s.from_facility_id, i.quantity, s.departed_at FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id WHERE s.status IN ('IN_TRANSIT', 'DELIVERED')", -1},
		{"received", "SELECT i.batch_id, s.to_facility_id, i.quantity, s.arrived_at FROM shipment_items i JOIN shipments s ON s.id = i.shipment_id WHERE s.status = 'DELIVERED'", 1},
		{"shelved", "SELECT batch_id, facility_id, quantity, shelved_at FROM shelf_events", -1},
	}
	var out []movement
	for _, q := range queries {
		rows, err := db.SQL.QueryContext(ctx, q.query)
		if err != nil {
			t.Fatalf("%s: %v", q.query, err)
		}
		for rows.Next() {
			var m movement
			var qty float64
			var at sql.NullTime
			if err := rows.Scan(&m.key.batch, &m.key.facility, &qty, &at); err != nil {
				t.Fatalf("%s: %v", q.query, err)
			}
			if !at.Valid {
				t.Fatalf("%s: a %s movement of batch %d has no time", q.what, q.what, m.key.batch)
			}
			m.at, m.milli, m.what = at.Time, q.sign*toMilli(qty), q.what
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// checkStock recomputes every balance from the events and compares it
// with the Stock rows; it also replays the events in time order to prove
// that no facility ever gave away more of a lot than it had. Batches in
// skip, where faults made stock appear from nowhere, are left out.
func checkStock(t *testing.T, db *store.DB, skip map[int64]bool) {
	t.Helper()
	ctx := context.Background()
	moves := slices.DeleteFunc(movements(t, db), func(m movement) bool { return skip[m.key.batch] })
	want := map[holdKey]int64{}
	for _, m := range moves {
		want[m.key] += m.milli
	}

	rows, err := db.SQL.QueryContext(ctx, "SELECT batch_id, facility_id, on_hand_milli FROM stocks")
	if err != nil {
		t.Fatal(err)
	}
	got := map[holdKey]int64{}
	for rows.Next() {
		var k holdKey
		var v int64
		if err := rows.Scan(&k.batch, &k.facility, &v); err != nil {
			t.Fatal(err)
		}
		if !skip[k.batch] {
			got[k] = v
		}
	}
	rows.Close()
	bad := 0
	for k, v := range got {
		if w, ok := want[k]; !ok || w != v {
			if bad++; bad <= 10 {
				t.Errorf("stock of batch %d at facility %d is %d, events say %d", k.batch, k.facility, v, w)
			}
		}
	}
	for k, w := range want {
		if _, ok := got[k]; !ok && w != 0 {
			if bad++; bad <= 10 {
				t.Errorf("batch %d at facility %d has %d by the events but no stock row", k.batch, k.facility, w)
			}
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM stocks WHERE on_hand_milli < 0"); n > 0 {
		t.Errorf("%d negative stock rows", n)
	}
	for _, q := range []string{
		"SELECT COUNT(*) FROM stocks s JOIN batches b ON b.id = s.batch_id WHERE s.unit <> b.unit",
		"SELECT COUNT(*) FROM shipment_items s JOIN batches b ON b.id = s.batch_id WHERE s.unit <> b.unit",
		"SELECT COUNT(*) FROM shelf_events s JOIN batches b ON b.id = s.batch_id WHERE s.unit <> b.unit",
		"SELECT COUNT(*) FROM batch_inputs s JOIN batches b ON b.id = s.input_id WHERE s.unit <> b.unit",
	} {
		if n := count(t, db, q); n > 0 {
			t.Errorf("%s: %d rows in another unit than their batch", q, n)
		}
	}

	// Replay in time order; at equal times additions go first, as a lot
	// produced or received can be used within the same second.
	sort.SliceStable(moves, func(i, j int) bool {
		if !moves[i].at.Equal(moves[j].at) {
			return moves[i].at.Before(moves[j].at)
		}
		return moves[i].milli > moves[j].milli
	})
	bal := map[holdKey]int64{}
	over := 0
	for _, m := range moves {
		bal[m.key] += m.milli
		if bal[m.key] < 0 {
			if over++; over <= 10 {
				t.Errorf("batch %d at facility %d goes to %d when %s at %s", m.key.batch, m.key.facility, bal[m.key], m.what, m.at)
			}
		}
	}
}

// checksum hashes the rows of the tables that carry the data set, in ID
// order.
func checksum(t *testing.T, db *store.DB) string {
	t.Helper()
	h := sha256.New()
	for _, table := range []string{"organizations", "facilities", "products", "batches", "batch_inputs",
		"inspections", "measurements", "shipments", "shipment_items", "sensor_readings", "shelf_events",
		"trace_codes", "scan_events", "stocks"} {
		rows, err := db.SQL.QueryContext(context.Background(), "SELECT * FROM "+table+" ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				if tm, ok := v.(time.Time); ok {
					v = tm.UTC().Format(time.RFC3339Nano)
				}
				fmt.Fprintf(h, "%v|", v)
			}
			h.Write([]byte{'\n'})
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}
