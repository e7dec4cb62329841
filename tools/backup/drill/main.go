// Command drill proves that Suyuan's backups restore.
//
//	go run ./tools/backup/drill [-engine sqlite,mariadb] [-timeout 10m]
//
// SQLite: it fills a database with a generated data set, backs it up with
// VACUUM INTO while a writer keeps committing, restores the copy into a new
// file, opens it as the server does, and compares a checksum of every row
// of every table with the source as of the backup's snapshot.
//
// MariaDB: it starts a MariaDB server of its own (its own data directory,
// socket and binary log; no TCP port, so it cannot collide with another
// server), fills it, takes a full backup, writes more, takes an
// incremental one, writes more, marks a point in time, writes more, then
// restores the full and the incremental into a fresh data directory and
// starts a second server on it, and restores them again and replays the
// binary log to the marked point into a third. The backups and restores
// are those of the production scripts beside it, mariadb-backup.sh and
// mariadb-restore.sh (Debian's mariadb-backup underneath), run from the
// repository's root. Each restore's
// tables are compared, row by row, with the source at that moment. It
// prints how long each recovery took.
//
// It exits non-zero when any table differs. Everything it makes is under
// one temporary directory, removed at the end (-keep keeps it).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"suyuan/internal/backup"
	"suyuan/internal/seed"
	"suyuan/internal/store"
	"suyuan/server"
)

func main() {
	engines := flag.String("engine", "sqlite,mariadb", "engines to drill, comma-separated: sqlite, mariadb")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	keep := flag.Bool("keep", false, "keep the drill's directory (its path is printed)")
	writes := flag.Int("writes", 500, "rows each write phase inserts")
	scripts := flag.String("scripts", "tools/backup", "directory of mariadb-backup.sh and mariadb-restore.sh")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	// Short: a Unix socket's path must stay under 108 bytes.
	dir, err := os.MkdirTemp("", "drill-")
	if err != nil {
		fail(err)
	}
	if *keep {
		fmt.Println("drill directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	d := &drill{dir: dir, writes: *writes, scripts: *scripts, out: os.Stdout}
	var errs []error
	for _, e := range strings.Split(*engines, ",") {
		var err error
		switch strings.TrimSpace(e) {
		case "sqlite":
			err = d.sqlite(ctx)
		case "mariadb":
			err = d.mariadb(ctx)
		default:
			err = fmt.Errorf("unknown engine %q", e)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		fail(err)
	}
	fmt.Println("drill passed")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "drill FAILED:", err)
	os.Exit(1)
}

type drill struct {
	dir     string
	writes  int
	scripts string // the directory of mariadb-backup.sh and mariadb-restore.sh
	out     io.Writer
}

func (d *drill) logf(format string, args ...any) {
	fmt.Fprintf(d.out, format+"\n", args...)
}

// fill migrates and seeds the database at dsn with the small generated
// city, and adds the drill's own table of writes.
func (d *drill) fill(ctx context.Context, dsn string) (*store.DB, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := seed.Generate(ctx, db, seed.Options{Scale: seed.Small, Seed: 1, Faults: true}); err != nil {
		db.Close()
		return nil, fmt.Errorf("filling: %w", err)
	}
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE drill_writes (n INTEGER PRIMARY KEY, phase INTEGER NOT NULL, note VARCHAR(64) NOT NULL)"); err != nil {
		db.Close()
		return nil, fmt.Errorf("creating drill_writes: %w", err)
	}
	return db, nil
}

// write is one write phase: inserts, updates of Suyuan's rows and deletes
// of the previous phase's, so that a restore must carry all three.
func (d *drill) write(ctx context.Context, db *sql.DB, phase int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := range d.writes {
		if _, err := tx.ExecContext(ctx, "INSERT INTO drill_writes (n, phase, note) VALUES (?, ?, ?)",
			phase*1_000_000+i, phase, fmt.Sprintf("phase %d row %d", phase, i)); err != nil {
			return fmt.Errorf("phase %d: %w", phase, err)
		}
	}
	for _, q := range []string{
		"UPDATE batches SET status = 'ON_HOLD' WHERE id % 97 = ?",
		"DELETE FROM drill_writes WHERE phase = ? - 1 AND n % 10 = 0",
	} {
		if _, err := tx.ExecContext(ctx, q, phase); err != nil {
			return fmt.Errorf("phase %d: %w", phase, err)
		}
	}
	return tx.Commit()
}

// compare checksums db and reports how it differs from want.
func (d *drill) compare(ctx context.Context, what string, db *sql.DB, dialect string, want backup.Sums) error {
	got, err := backup.Checksum(ctx, db, dialect)
	if err != nil {
		return err
	}
	var rows int64
	for _, s := range got {
		rows += s.Rows
	}
	if diff := backup.Diff(want, got); len(diff) > 0 {
		d.logf("  %s: %d tables DIFFER:\n    %s", what, len(diff), strings.Join(diff, "\n    "))
		return fmt.Errorf("%s differs from its source in %d tables", what, len(diff))
	}
	d.logf("  %s: all %d tables equal, %d rows (checksum of every row)", what, len(got), rows)
	return nil
}

func (d *drill) sqlite(ctx context.Context) error {
	d.logf("== SQLite drill")
	src := filepath.Join(d.dir, "sqlite-src.db")
	db, err := d.fill(ctx, "sqlite:"+src)
	if err != nil {
		return err
	}
	defer db.Close()
	// A writer commits row after row while the backup runs: the backup
	// must not stop it, and must hold a prefix of its rows.
	stop := make(chan struct{})
	started := make(chan struct{})
	var (
		wg      sync.WaitGroup
		written int
		werr    error
	)
	wg.Go(func() {
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.SQL.ExecContext(ctx, "INSERT INTO drill_writes (n, phase, note) VALUES (?, 0, 'online')", n); err != nil {
				werr = err
				return
			}
			written = n
			if n == 1 {
				close(started)
			}
		}
	})
	<-started
	dest := filepath.Join(d.dir, backup.Name("suyuan", time.Now())+".db")
	t0 := time.Now()
	err = backup.SQLite(ctx, db.SQL, dest)
	took := time.Since(t0)
	close(stop)
	wg.Wait()
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("writer: %w", werr)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		return err
	}
	b, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	if err != nil {
		return err
	}
	var k, count int
	err = b.QueryRowContext(ctx, "SELECT COALESCE(MAX(n), 0), COUNT(*) FROM drill_writes").Scan(&k, &count)
	b.Close()
	if err != nil {
		return err
	}
	if k != count {
		return fmt.Errorf("the backup holds %d of the writer's rows up to %d: not a snapshot", count, k)
	}
	d.logf("  online backup (VACUUM INTO) of %d bytes in %s while a writer committed %d rows; %d of them before the snapshot",
		fi.Size(), took.Round(time.Millisecond), written, k)
	// The source as of the snapshot.
	if _, err := db.SQL.ExecContext(ctx, "DELETE FROM drill_writes WHERE n > ?", k); err != nil {
		return err
	}
	want, err := backup.Checksum(ctx, db.SQL, "sqlite")
	if err != nil {
		return err
	}

	restored := filepath.Join(d.dir, "sqlite-restored.db")
	t0 = time.Now()
	if err := backup.RestoreSQLite(ctx, dest, restored); err != nil {
		return err
	}
	// Opened and migrated as serve does at start.
	r, err := store.Open(ctx, "sqlite:"+restored)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Migrate(ctx); err != nil {
		return err
	}
	recovery := time.Since(t0)
	if err := d.compare(ctx, "restore", r.SQL, "sqlite", want); err != nil {
		return err
	}
	if err := d.serves(ctx, "sqlite:"+restored, want); err != nil {
		return err
	}
	d.logf("  recovery time (restore, integrity check, open and migrate): %s", recovery.Round(time.Millisecond))
	return nil
}

// serves opens the restored database as suyuan serve does (migrating it,
// which also checks its schema version) and asks Suyuan's HTTP handler
// for a count the checksums already fixed: the restore is not only equal
// row by row, it serves.
func (d *drill) serves(ctx context.Context, dsn string, want backup.Sums) error {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	srv := httptest.NewServer(server.New(db, server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	defer srv.Close()
	res, err := http.Post(srv.URL+"/graphql", "application/json",
		strings.NewReader(`{"query":"{ trace(code: \"NO-SUCH-CODE\") { batch { lotCode } } }"}`))
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("the restored server answered %s", res.Status)
	}
	var orgs int64
	if err := db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM organizations").Scan(&orgs); err != nil {
		return err
	}
	if orgs != want["organizations"].Rows {
		return fmt.Errorf("the restored server sees %d organisations, the source had %d", orgs, want["organizations"].Rows)
	}
	d.logf("    Suyuan started on it and answered GraphQL (%d organisations)", orgs)
	return nil
}

// mariadbd is a MariaDB server the drill runs from its own data
// directory, on a Unix socket only.
type mariadbd struct {
	name, datadir, socket string
	cmd                   *exec.Cmd
	done                  chan error
}

func (d *drill) startServer(ctx context.Context, name, datadir string, binlog bool) (*mariadbd, error) {
	m := &mariadbd{name: name, datadir: datadir, socket: filepath.Join(d.dir, name+".sock"), done: make(chan error, 1)}
	args := []string{"--no-defaults", "--datadir=" + datadir, "--socket=" + m.socket, "--skip-networking",
		"--pid-file=" + filepath.Join(d.dir, name+".pid"), "--log-error=" + filepath.Join(d.dir, name+".err"),
		"--user=root", "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M",
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin"}
	if binlog {
		args = append(args, "--log-bin="+filepath.Join(datadir, "binlog"), "--server-id=1", "--binlog-format=ROW")
	}
	m.cmd = exec.Command("mariadbd", args...)
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { m.done <- m.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, err := sql.Open("mysql", "root@unix("+m.socket+")/")
		if err == nil {
			err = db.PingContext(ctx)
			db.Close()
		}
		if err == nil {
			return m, nil
		}
		select {
		case werr := <-m.done:
			log, _ := os.ReadFile(filepath.Join(d.dir, name+".err"))
			return nil, fmt.Errorf("%s exited (%v) before answering:\n%s", name, werr, log)
		case <-ctx.Done():
			m.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond): // polling for readiness
		}
		if time.Now().After(deadline) {
			m.stop()
			return nil, fmt.Errorf("%s did not answer within a minute", name)
		}
	}
}

// stop shuts the server down (SIGTERM: a clean InnoDB shutdown).
func (m *mariadbd) stop() {
	if m == nil || m.cmd.Process == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(60 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
	m.cmd.Process = nil
}

func (m *mariadbd) dsn(dbname string) string { return "root@unix(" + m.socket + ")/" + dbname }

// run runs a command, returning its output with the error.
func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		tail := string(out)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail)
	}
	return nil
}

func (d *drill) installDB(ctx context.Context, datadir string) error {
	return run(ctx, "mariadb-install-db", "--no-defaults", "--datadir="+datadir, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
}

// sums checksums the database suyuan on server m.
func sums(ctx context.Context, m *mariadbd) (backup.Sums, error) {
	db, err := sql.Open("mysql", m.dsn("suyuan"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return backup.Checksum(ctx, db, "mysql")
}

// binlogPos reads the server's current binary log file and position.
func binlogPos(ctx context.Context, db *sql.DB) (string, int64, error) {
	var (
		file string
		pos  int64
		rest [2]sql.NullString
	)
	row := db.QueryRowContext(ctx, "SHOW MASTER STATUS")
	if err := row.Scan(&file, &pos, &rest[0], &rest[1]); err != nil {
		return "", 0, fmt.Errorf("SHOW MASTER STATUS: %w", err)
	}
	return file, pos, nil
}

func (d *drill) mariadb(ctx context.Context) error {
	d.logf("== MariaDB drill (mariadb-backup full + incremental, binary log to a point in time)")
	for _, tool := range []string{"mariadbd", "mariadb-install-db", "mariadb-backup", "mariadb-binlog", "mariadb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed (Debian: apt-get install mariadb-server mariadb-backup)", tool)
		}
	}
	srcDir := filepath.Join(d.dir, "src")
	if err := d.installDB(ctx, srcDir); err != nil {
		return err
	}
	src, err := d.startServer(ctx, "src", srcDir, true)
	if err != nil {
		return err
	}
	defer src.stop()
	admin, err := sql.Open("mysql", src.dsn(""))
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE suyuan CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return err
	}
	t0 := time.Now()
	db, err := d.fill(ctx, src.dsn("suyuan"))
	if err != nil {
		return err
	}
	defer db.Close()
	d.logf("  filled the source with the small generated city in %s", time.Since(t0).Round(time.Millisecond))

	// The production scripts take the backups, as their timers would.
	archive := filepath.Join(d.dir, "archive")
	script := func(args ...string) error {
		c := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(d.scripts, "mariadb-backup.sh")}, args...)...)
		c.Env = append(os.Environ(), "BACKUP_DIR="+archive, "MYSQL_SOCKET="+src.socket, "MYSQL_DATADIR="+srcDir,
			"BINLOG_BASENAME=binlog", "BACKUP_USER=root")
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("mariadb-backup.sh %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	t0 = time.Now()
	if err := script("full"); err != nil {
		return err
	}
	d.logf("  full backup (mariadb-backup.sh full) in %s; the server kept serving", time.Since(t0).Round(time.Millisecond))
	if err := d.write(ctx, db.SQL, 1); err != nil {
		return err
	}
	t0 = time.Now()
	if err := script("incremental"); err != nil {
		return err
	}
	d.logf("  incremental backup (mariadb-backup.sh incremental) in %s", time.Since(t0).Round(time.Millisecond))
	atInc, err := sums(ctx, src)
	if err != nil {
		return err
	}
	if err := d.write(ctx, db.SQL, 2); err != nil {
		return err
	}
	// The point in time to recover to: after phase 2, before phase 3.
	pointFile, pointPos, err := binlogPos(ctx, admin)
	if err != nil {
		return err
	}
	atPoint, err := sums(ctx, src)
	if err != nil {
		return err
	}
	if err := d.write(ctx, db.SQL, 3); err != nil {
		return err
	}
	atEnd, err := sums(ctx, src)
	if err != nil {
		return err
	}
	if len(backup.Diff(atPoint, atEnd)) == 0 || len(backup.Diff(atInc, atPoint)) == 0 {
		return fmt.Errorf("the write phases changed nothing: the drill would prove nothing")
	}
	d.logf("  point in time: %s:%d, between write phases 2 and 3", pointFile, pointPos)
	// The binary logs written since, archived as the timer would; and the
	// weekly prune, which must keep the one chain and every log it needs.
	if err := script("binlogs"); err != nil {
		return err
	}
	if err := script("prune"); err != nil {
		return err
	}
	db.Close()
	admin.Close()
	src.stop()
	chains, err := filepath.Glob(filepath.Join(archive, "chain-*"))
	if err != nil || len(chains) != 1 {
		return fmt.Errorf("want one chain in %s, found %v", archive, chains)
	}
	restoreScript := func(args ...string) error {
		c := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(d.scripts, "mariadb-restore.sh")}, args...)...)
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("mariadb-restore.sh %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}

	// Restore 1: the chain, compared with the source at the incremental.
	t0 = time.Now()
	r1dir := filepath.Join(d.dir, "restore1")
	if err := restoreScript(chains[0], r1dir); err != nil {
		return err
	}
	r1, err := d.startServer(ctx, "restore1", r1dir, false)
	if err != nil {
		return err
	}
	defer r1.stop()
	recovery := time.Since(t0)
	r1db, err := sql.Open("mysql", r1.dsn("suyuan"))
	if err != nil {
		return err
	}
	defer r1db.Close()
	if err := d.compare(ctx, "full + incremental", r1db, "mysql", atInc); err != nil {
		return err
	}
	if err := d.serves(ctx, r1.dsn("suyuan"), atInc); err != nil {
		return err
	}
	d.logf("  recovery time (mariadb-restore.sh: prepare, apply the incremental, copy back; then start the server): %s", recovery.Round(time.Millisecond))
	r1db.Close()
	r1.stop()

	// Restore 2: the chain, then the binary log to the point in time.
	t0 = time.Now()
	r2dir := filepath.Join(d.dir, "restore2")
	if err := restoreScript(chains[0], r2dir, "--stop-position", fmt.Sprintf("%s:%d", pointFile, pointPos)); err != nil {
		return err
	}
	r2, err := d.startServer(ctx, "restore2", r2dir, false)
	if err != nil {
		return err
	}
	defer r2.stop()
	pitr := time.Since(t0)
	r2db, err := sql.Open("mysql", r2.dsn("suyuan"))
	if err != nil {
		return err
	}
	defer r2db.Close()
	if err := d.compare(ctx, fmt.Sprintf("point in time (%s:%d)", pointFile, pointPos), r2db, "mysql", atPoint); err != nil {
		return err
	}
	if err := d.serves(ctx, r2.dsn("suyuan"), atPoint); err != nil {
		return err
	}
	if len(backup.Diff(atEnd, mustSums(ctx, r2))) == 0 {
		return fmt.Errorf("the point-in-time restore equals the end state: it went past the point")
	}
	d.logf("  recovery time to the point (mariadb-restore.sh --stop-position: the above, and the binary log replayed; then start): %s",
		pitr.Round(time.Millisecond))
	return nil
}

func mustSums(ctx context.Context, m *mariadbd) backup.Sums {
	s, err := sums(ctx, m)
	if err != nil {
		return nil
	}
	return s
}
