package backup_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"suyuan/internal/backup"
	"suyuan/internal/store"
)

// TestSQLiteOnline backs up a database while a writer commits to it row
// after row: the backup holds a prefix of the writer's rows (a snapshot,
// not a torn copy), every other table as it is, and restores to the same
// checksums.
func TestSQLiteOnline(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	db, err := store.Open(ctx, "sqlite:"+src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE w (n INTEGER PRIMARY KEY, at TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	// The writer runs until told to stop, at least until the backup ends.
	stop := make(chan struct{})
	var (
		wg      sync.WaitGroup
		written int
		werr    error
	)
	wrote := make(chan struct{}, 1)
	wg.Go(func() {
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.SQL.ExecContext(ctx, "INSERT INTO w (n, at) VALUES (?, ?)", n, time.Now().String()); err != nil {
				werr = err
				return
			}
			written = n
			select {
			case wrote <- struct{}{}:
			default:
			}
		}
	})
	<-wrote // the writer is running
	dest := filepath.Join(dir, "b.db")
	if err := backup.SQLite(ctx, db.SQL, dest); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	if err := backup.CheckSQLite(ctx, dest); err != nil {
		t.Fatal(err)
	}
	b, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var k, min, count int
	if err := b.QueryRowContext(ctx, "SELECT COALESCE(MAX(n), 0), COALESCE(MIN(n), 0), COUNT(*) FROM w").Scan(&k, &min, &count); err != nil {
		t.Fatal(err)
	}
	if count != k || (k > 0 && min != 1) {
		t.Fatalf("backup holds %d writer rows from %d to %d: not a prefix", count, min, k)
	}
	t.Logf("the writer committed %d rows, %d of them before the backup's snapshot", written, k)
	// The source as of the snapshot: the writer's rows after it removed.
	if _, err := db.SQL.ExecContext(ctx, "DELETE FROM w WHERE n > ?", k); err != nil {
		t.Fatal(err)
	}
	want, err := backup.Checksum(ctx, db.SQL, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	got, err := backup.Checksum(ctx, b, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if d := backup.Diff(want, got); len(d) > 0 {
		t.Fatalf("backup differs from its source: %v", d)
	}
	if len(got) < 10 {
		t.Fatalf("checksummed %d tables; want Suyuan's", len(got))
	}

	restored := filepath.Join(dir, "restored.db")
	if err := backup.RestoreSQLite(ctx, dest, restored); err != nil {
		t.Fatal(err)
	}
	if err := backup.RestoreSQLite(ctx, dest, restored); err == nil {
		t.Error("a restore overwrote a database")
	}
	r, err := sql.Open("sqlite", "file:"+restored+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	again, err := backup.Checksum(ctx, r, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if d := backup.Diff(got, again); len(d) > 0 {
		t.Fatalf("restore differs from its backup: %v", d)
	}
}

// TestChecksumSeesEveryChange: a changed value, a deleted row, an added
// row each change their table's sum and only theirs.
func TestChecksumSeesEveryChange(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE a (id INTEGER PRIMARY KEY, s TEXT, x REAL)",
		"CREATE TABLE b (id INTEGER PRIMARY KEY, s TEXT)",
		"INSERT INTO a VALUES (1, 'ab', 1.5), (2, NULL, 2)",
		"INSERT INTO b VALUES (1, 'x')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	base, err := backup.Checksum(ctx, db, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	for _, change := range []string{
		"UPDATE a SET s = '' WHERE id = 2", // NULL and '' differ
		"UPDATE a SET x = 1.25 WHERE id = 1",
		"DELETE FROM a WHERE id = 2",
		"INSERT INTO a VALUES (3, 'c', 0)",
	} {
		if _, err := db.ExecContext(ctx, change); err != nil {
			t.Fatal(err)
		}
		after, err := backup.Checksum(ctx, db, "sqlite")
		if err != nil {
			t.Fatal(err)
		}
		d := backup.Diff(base, after)
		if len(d) != 1 || d[0][:2] != "a:" {
			t.Errorf("%s: diff %v, want table a alone", change, d)
		}
		base = after
	}
}

// TestPrune removes backups past the retention but never the newest.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, d := range []int{40, 31, 29, 1} {
		name := backup.Name("suyuan", now.AddDate(0, 0, -d)) + ".db"
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := backup.Prune(dir, "suyuan", 30*24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Errorf("removed %v, want the two older than 30 days", removed)
	}
	// Everything old: the newest stays.
	removed, err = backup.Prune(dir, "suyuan", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(dir)
	if len(removed) != 1 || len(left) != 1 {
		t.Errorf("removed %v, left %d; want the newest kept", removed, len(left))
	}
}
