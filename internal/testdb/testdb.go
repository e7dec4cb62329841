// Package testdb gives tests a fresh, migrated database: an SQLite file in a
// temporary directory always, and a new MariaDB/MySQL database when
// SUYUAN_TEST_MYSQL_DSN names a server. Each database is dropped when its
// test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"

	"suyuan/internal/store"
)

// EnvMySQL names the environment variable with the MySQL test server's DSN,
// such as root@tcp(127.0.0.1:3306)/test.
const EnvMySQL = "SUYUAN_TEST_MYSQL_DSN"

// DB is a test database with a statement counter.
type DB struct {
	*store.DB
	Counter *store.Counter
	// Name is "sqlite" or "mysql", for subtest names.
	Name string
	// DSN opens the database again (store.Open), for a command under test.
	DSN string
}

// Each runs f once per available database, as subtests named after them.
func Each(t *testing.T, f func(t *testing.T, db *DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
	if os.Getenv(EnvMySQL) != "" {
		t.Run("mysql", func(t *testing.T) { f(t, MySQL(t)) })
	}
}

// SQLite returns a fresh, migrated SQLite database in a temporary file.
func SQLite(t testing.TB) *DB {
	t.Helper()
	return open(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"), "sqlite")
}

// MySQL returns a fresh, migrated database on the server named by
// SUYUAN_TEST_MYSQL_DSN, skipping the test when it is unset.
func MySQL(t testing.TB) *DB {
	t.Helper()
	dsn := os.Getenv(EnvMySQL)
	if dsn == "" {
		t.Skip(EnvMySQL + " is not set")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parsing %s: %v", EnvMySQL, err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "suyuan_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("opening MySQL: %v", err)
	}
	defer admin.Close()
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("creating database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Errorf("opening MySQL: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return open(t, cfg.FormatDSN(), "mysql")
}

func open(t testing.TB, dsn, name string) *DB {
	t.Helper()
	c := &store.Counter{}
	db, err := store.Open(context.Background(), dsn, store.WithCounter(c))
	if err != nil {
		t.Fatalf("opening %s: %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrating %s: %v", name, err)
	}
	return &DB{DB: db, Counter: c, Name: name, DSN: dsn}
}
