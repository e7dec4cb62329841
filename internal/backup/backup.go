// Package backup copies a running SQLite database without stopping it,
// restores such a copy, and checksums every row of every table of a
// database, so that a restore can be proved equal to its source.
//
// MariaDB and MySQL are backed up by Debian's mariadb-backup (full and
// incremental physical copies) and their binary logs: tools/backup has the
// scripts, and tools/backup/drill restores a chain and compares it.
package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// SQLite writes a consistent copy of the SQLite database open as db to
// dest with VACUUM INTO: it reads one snapshot, so writers carry on (WAL
// lets them) and the copy holds every transaction committed before it
// began and none after. dest must not exist; it is written beside itself
// first and renamed, so a failed backup leaves no half-written file.
func SQLite(ctx context.Context, db *sql.DB, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup: %s exists; a backup never overwrites one", dest)
	}
	tmp := dest + ".partial"
	os.Remove(tmp) // a leftover of a failed run
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: VACUUM INTO %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// CheckSQLite opens an SQLite file read-only and runs its integrity check.
func CheckSQLite(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("%s fails its integrity check: %s", path, res)
	}
	return nil
}

// RestoreSQLite puts the backup file src in place as the database dest,
// after checking it. dest must not exist (nor its -wal and -shm files):
// the server must be stopped and the damaged file moved aside first, by
// hand, so that no restore destroys the only copy of anything.
func RestoreSQLite(ctx context.Context, src, dest string) error {
	for _, p := range []string{dest, dest + "-wal", dest + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("restore: %s exists; stop the server and move it aside first", p)
		}
	}
	if err := CheckSQLite(ctx, src); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	tmp := dest + ".partial"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	_, err = io.Copy(out, in)
	err = errors.Join(err, out.Sync(), out.Close())
	if err == nil {
		err = os.Rename(tmp, dest)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: writing %s: %w", dest, err)
	}
	return nil
}

// TableSum is the checksum of every row of one table.
type TableSum struct {
	Table string
	Rows  int64
	Sum   string // hex SHA-256 over the rows in a fixed order
}

// Sums are the checksums of a database's tables, by name.
type Sums map[string]TableSum

// Checksum reads every row of every table of the database db (dialect
// "sqlite" or "mysql") and returns a checksum per table. Rows are read in
// the order of all their columns, so two databases with the same rows
// have the same sums whatever their physical layout. On MySQL, open db
// without parseTime, so that values are compared as the server writes
// them.
func Checksum(ctx context.Context, db *sql.DB, dialect string) (Sums, error) {
	tables, err := Tables(ctx, db, dialect)
	if err != nil {
		return nil, err
	}
	sums := Sums{}
	for _, t := range tables {
		s, err := checksumTable(ctx, db, dialect, t)
		if err != nil {
			return nil, err
		}
		sums[t] = s
	}
	return sums, nil
}

// Tables lists the database's tables, sorted.
func Tables(ctx context.Context, db *sql.DB, dialect string) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if dialect == "mysql" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("listing tables: %w", err)
		}
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	sort.Strings(tables)
	return tables, nil
}

func quote(dialect, name string) string {
	if dialect == "mysql" {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func checksumTable(ctx context.Context, db *sql.DB, dialect, table string) (TableSum, error) {
	// The column count first, to order by every column.
	probe, err := db.QueryContext(ctx, "SELECT * FROM "+quote(dialect, table)+" WHERE 1 = 0")
	if err != nil {
		return TableSum{}, fmt.Errorf("reading %s: %w", table, err)
	}
	cols, err := probe.Columns()
	probe.Close()
	if err != nil {
		return TableSum{}, fmt.Errorf("reading %s: %w", table, err)
	}
	order := make([]string, len(cols))
	for i := range cols {
		order[i] = fmt.Sprint(i + 1)
	}
	rows, err := db.QueryContext(ctx, "SELECT * FROM "+quote(dialect, table)+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return TableSum{}, fmt.Errorf("reading %s: %w", table, err)
	}
	defer rows.Close()
	h := sha256.New()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableSum{}, fmt.Errorf("reading %s: %w", table, err)
		}
		for _, v := range vals {
			// A type tag and a length keep ("ab","c") apart from ("a","bc")
			// and NULL apart from "".
			s := canonical(v)
			fmt.Fprintf(h, "%d:%s;", len(s), s)
		}
		h.Write([]byte{'\n'})
		n++
	}
	if err := rows.Err(); err != nil {
		return TableSum{}, fmt.Errorf("reading %s: %w", table, err)
	}
	return TableSum{Table: table, Rows: n, Sum: hex.EncodeToString(h.Sum(nil))}, nil
}

// canonical writes a value the same way whichever driver read it.
func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "N"
	case []byte:
		return "s" + string(x)
	case string:
		return "s" + x
	case time.Time:
		return "t" + x.UTC().Format(time.RFC3339Nano)
	default:
		return "v" + fmt.Sprint(x)
	}
}

// Diff lists how b differs from a, table by table; empty when equal.
func Diff(a, b Sums) []string {
	var out []string
	names := map[string]bool{}
	for t := range a {
		names[t] = true
	}
	for t := range b {
		names[t] = true
	}
	sorted := make([]string, 0, len(names))
	for t := range names {
		sorted = append(sorted, t)
	}
	sort.Strings(sorted)
	for _, t := range sorted {
		x, inA := a[t]
		y, inB := b[t]
		switch {
		case !inA:
			out = append(out, t+": only in the second")
		case !inB:
			out = append(out, t+": only in the first")
		case x != y:
			out = append(out, fmt.Sprintf("%s: %d rows %s… against %d rows %s…", t, x.Rows, x.Sum[:12], y.Rows, y.Sum[:12]))
		}
	}
	return out
}

// Name is a backup file or directory name for time t: sortable, and the
// same in every time zone.
func Name(prefix string, t time.Time) string {
	return prefix + "-" + t.UTC().Format("20060102T150405Z")
}

// Prune removes the entries of dir whose names start with prefix and
// that are older (by name, see Name) than keep, and returns what it
// removed. The newest entry is never removed.
func Prune(dir, prefix string, keep time.Duration, now time.Time) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix+"-") && !strings.HasSuffix(e.Name(), ".partial") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var removed []string
	for i, n := range names {
		if i == len(names)-1 {
			break
		}
		stamp := strings.TrimSuffix(strings.TrimPrefix(n, prefix+"-"), filepath.Ext(n))
		at, err := time.Parse("20060102T150405Z", stamp)
		if err != nil || now.Sub(at) <= keep {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return removed, fmt.Errorf("prune: %w", err)
		}
		removed = append(removed, n)
	}
	return removed, nil
}
