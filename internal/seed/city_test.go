package seed

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"suyuan/internal/store"
)

// TestGenerateCity measures a city-scale run. It takes minutes and
// gigabytes, so it runs only when SUYUAN_TEST_CITY is set: to "sqlite" for
// a temporary SQLite file, or to "mysql" for a fresh database on the
// server named by SUYUAN_TEST_MYSQL_DSN.
//
//	SUYUAN_TEST_CITY=sqlite go test ./internal/seed -run City -v -timeout 1h
func TestGenerateCity(t *testing.T) {
	var db *store.DB
	var path string
	switch os.Getenv("SUYUAN_TEST_CITY") {
	case "":
		t.Skip("SUYUAN_TEST_CITY is not set")
	case "mysql":
		db = openMySQL(t)
	default:
		path = filepath.Join(t.TempDir(), "city.db")
		var err error
		if db, err = store.Open(context.Background(), "sqlite:"+path); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Generate(context.Background(), db, Options{Scale: City, Seed: 1, Progress: os.Stdout})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", st)
	if path != "" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("SQLite file: %.2f GB", float64(fi.Size())/1e9)
	}
	if st.WidestStores < 1000 {
		t.Errorf("widest batch reaches %d stores, want at least 1,000", st.WidestStores)
	}
}
