package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"suyuan/internal/store"
)

// Replication is a MariaDB primary and one GTID replica of its own,
// started from fresh data directories for one test: the reads the store
// routes to replicas meet a real one.
type Replication struct {
	*DB                 // over the primary, its reads routed to the replica
	Primary, Replica    *Server
	PrimaryDSN, ReadDSN string // of the database suyuan on each
}

// Server is one mariadbd of a test's own.
type Server struct {
	t       testing.TB
	name    string
	dir     string
	socket  string
	Port    int
	args    []string
	cmd     *exec.Cmd
	done    chan error
	errFile string
}

// Replicated starts a primary and a replica, creates and migrates the
// database suyuan on the primary, waits until the replica has it, and
// opens the store over them with maxLag. It runs where the MariaDB tests
// run (SUYUAN_TEST_MYSQL_DSN is set) and needs MariaDB's server
// programs; it skips otherwise.
func Replicated(t testing.TB, maxLag time.Duration) *Replication {
	t.Helper()
	if os.Getenv(EnvMySQL) == "" {
		t.Skip(EnvMySQL + " is not set")
	}
	for _, p := range []string{"mariadbd", "mariadb-install-db"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed: %v", p, err)
		}
	}
	ctx := context.Background()
	// Unix sockets' paths must stay under 108 bytes, shorter than a
	// test's temporary directory may be.
	run, err := os.MkdirTemp("", "sy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	data := t.TempDir()
	pdir, rdir := filepath.Join(data, "primary"), filepath.Join(data, "replica")
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+pdir, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	// The replica starts as a copy of the empty primary.
	if out, err := exec.Command("cp", "-a", pdir, rdir).CombinedOutput(); err != nil {
		t.Fatalf("copying the data directory: %v\n%s", err, out)
	}
	p := startServer(t, "primary", pdir, run, "--server-id=1", "--log-bin=binlog", "--binlog-format=ROW")
	r := startServer(t, "replica", rdir, run, "--server-id=2", "--log-bin=binlog", "--binlog-format=ROW", "--log-slave-updates")
	for _, s := range []*Server{p, r} {
		// Over TCP from 127.0.0.1, root is root@127.0.0.1; created on
		// each server outside the binary log, as the replica's copy
		// would otherwise apply it again.
		s.Exec(ctx, "SET sql_log_bin = 0",
			"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'",
			"GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
			"SET sql_log_bin = 1")
	}
	r.Exec(ctx, fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", p.Port),
		"START SLAVE")
	p.Exec(ctx, "CREATE DATABASE suyuan CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	rep := &Replication{Primary: p, Replica: r,
		PrimaryDSN: fmt.Sprintf("root@tcp(127.0.0.1:%d)/suyuan", p.Port),
		ReadDSN:    fmt.Sprintf("root@tcp(127.0.0.1:%d)/suyuan", r.Port)}
	c := &store.Counter{}
	db, err := store.Open(ctx, rep.PrimaryDSN, store.WithCounter(c), store.WithReadReplicas([]string{rep.ReadDSN}, maxLag))
	if err != nil {
		t.Fatalf("opening the primary: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	rep.DB = &DB{DB: db, Counter: c, Name: "mysql", DSN: rep.PrimaryDSN}
	rep.CatchUp(t)
	return rep
}

// CatchUp waits until the replica has applied everything the primary has
// committed and the store's check has seen it.
func (rep *Replication) CatchUp(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	want, err := rep.DB.Position(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep.DB.Replicas.Check(ctx)
		st := rep.DB.Replicas.States()[0]
		if st.Healthy && st.Position.Covers(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not catch up with %s within 30 s: %+v\n%s", want, st, rep.Replica.status(ctx))
		}
		time.Sleep(20 * time.Millisecond) // polling the replica's progress
	}
}

// WaitHealthy waits until the store's check finds the replica in use
// (replicating, within the lag allowed), whatever it has applied.
func (rep *Replication) WaitHealthy(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep.DB.Replicas.Check(ctx)
		st := rep.DB.Replicas.States()[0]
		if st.Healthy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica is not in use after 30 s: %+v\n%s", st, rep.Replica.status(ctx))
		}
		time.Sleep(20 * time.Millisecond) // polling the replica's threads
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startServer(t testing.TB, name, datadir, run string, extra ...string) *Server {
	t.Helper()
	s := &Server{t: t, name: name, dir: datadir, socket: filepath.Join(run, name+".sock"), Port: freePort(t),
		errFile: filepath.Join(run, name+".err")}
	s.args = append([]string{"--no-defaults", "--datadir=" + datadir, "--socket=" + s.socket,
		"--port=" + strconv.Itoa(s.Port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--pid-file=" + filepath.Join(run, name+".pid"), "--log-error=" + s.errFile,
		"--user=root", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin"}, extra...)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server (again) and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	s.cmd = exec.Command("mariadbd", s.args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", s.name, err)
	}
	done := make(chan error, 1)
	s.done = done
	go func() { done <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, err := sql.Open("mysql", "root@unix("+s.socket+")/")
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err == nil {
			return
		}
		select {
		case werr := <-done:
			log, _ := os.ReadFile(s.errFile)
			s.t.Fatalf("%s exited (%v) before answering:\n%s", s.name, werr, log)
		case <-time.After(50 * time.Millisecond): // polling for readiness
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s did not answer within a minute", s.name)
		}
	}
}

// Stop shuts the server down cleanly and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Conn returns a connection of its own to the server, as root over its
// socket, closed when the test ends.
func (s *Server) Conn(ctx context.Context) *sql.Conn {
	s.t.Helper()
	db, err := sql.Open("mysql", "root@unix("+s.socket+")/")
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		s.t.Fatalf("%s: %v", s.name, err)
	}
	s.t.Cleanup(func() { conn.Close() })
	return conn
}

// WaitFor polls a query of one number until it is more than 0.
func (s *Server) WaitFor(t testing.TB, query string) {
	t.Helper()
	conn := s.Conn(context.Background())
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := conn.QueryRowContext(context.Background(), query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still 0 after 30 s", query)
		}
		time.Sleep(20 * time.Millisecond) // polling the server's state
	}
}

// Exec runs statements on the server, in one session, as root over its
// socket.
func (s *Server) Exec(ctx context.Context, stmts ...string) {
	s.t.Helper()
	db, err := sql.Open("mysql", "root@unix("+s.socket+")/")
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		s.t.Fatalf("%s: %v", s.name, err)
	}
	defer conn.Close()
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			s.t.Fatalf("%s: %s: %v", s.name, q, err)
		}
	}
}

// status is the server's SHOW SLAVE STATUS, for failure messages.
func (s *Server) status(ctx context.Context) string {
	db, err := sql.Open("mysql", "root@unix("+s.socket+")/")
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return "no replication"
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rows.Scan(ptrs...)
	var b strings.Builder
	for i, c := range cols {
		fmt.Fprintf(&b, "%s=%s\n", c, vals[i].String)
	}
	return b.String()
}
