// Package testdb gives tests a fresh, migrated database: an SQLite file in a
// temporary directory always, and a new MariaDB/MySQL database when
// SUYUAN_TEST_MYSQL_DSN names a server. Each database is dropped when its
// test ends.
//
// When SUYUAN_TEST_GALERA_DSNS lists the nodes of a Galera cluster, the
// MySQL databases are the cluster's (made on its first node, whatever
// SUYUAN_TEST_MYSQL_DSN says) and each new connection of a test's pool goes to
// the next node in turn: a test's transactions, and the concurrent
// writers of the concurrency tests, run on different nodes, so the whole
// suite meets certification conflicts and replication delays without a
// test written for them. Those connections wait for the cluster's commits
// before they read (wsrep_sync_wait=1), as a server whose connections are
// spread over nodes must (docs/OPERATIONS.md, "Galera").
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-sql-driver/mysql"

	"suyuan/internal/store"
)

// EnvMySQL names the environment variable with the MySQL test server's DSN,
// such as root@tcp(127.0.0.1:3306)/test.
const EnvMySQL = "SUYUAN_TEST_MYSQL_DSN"

// EnvGalera names the environment variable listing a Galera cluster's
// nodes, as DSNs separated by commas, such as
// root@tcp(127.0.0.1:3417)/test,root@tcp(127.0.0.1:3418)/test,root@tcp(127.0.0.1:3419)/test
// (tools/cluster/galera.sh up prints them).
const EnvGalera = "SUYUAN_TEST_GALERA_DSNS"

// galeraNet is the go-sql-driver network that spreads connections over
// the nodes of EnvGalera.
const galeraNet = "suyuan-galera"

func init() {
	// Each connection dials the next node; the address in the DSN is
	// only a name. The nodes are read at every dial, after the tests'
	// environment is set.
	var next atomic.Uint64
	mysql.RegisterDialContext(galeraNet, func(ctx context.Context, _ string) (net.Conn, error) {
		nodes, err := GaleraAddrs()
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", nodes[int(next.Add(1)-1)%len(nodes)])
	})
}

// GaleraDSNs returns the node DSNs EnvGalera lists, nil when it is unset.
func GaleraDSNs() []string {
	var out []string
	for _, d := range strings.Split(os.Getenv(EnvGalera), ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// GaleraAddrs returns the host:port of each node EnvGalera lists.
func GaleraAddrs() ([]string, error) {
	dsns := GaleraDSNs()
	if len(dsns) == 0 {
		return nil, errors.New(EnvGalera + " is not set")
	}
	addrs := make([]string, len(dsns))
	for i, d := range dsns {
		cfg, err := mysql.ParseDSN(d)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", EnvGalera, err)
		}
		addrs[i] = cfg.Addr
	}
	return addrs, nil
}

// mysqlDSN is the DSN of the MySQL test server, "" when there is none:
// a Galera cluster's first node when EnvGalera is set, whatever EnvMySQL
// says, since the connections go to the cluster's nodes.
func mysqlDSN() string {
	if nodes := GaleraDSNs(); len(nodes) > 0 {
		return nodes[0]
	}
	return os.Getenv(EnvMySQL)
}

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
	if mysqlDSN() != "" {
		t.Run("mysql", func(t *testing.T) { f(t, MySQL(t)) })
	}
}

// SQLite returns a fresh, migrated SQLite database in a temporary file.
func SQLite(t testing.TB) *DB {
	t.Helper()
	return open(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"), "sqlite")
}

// MySQL returns a fresh, migrated database on the server named by
// SUYUAN_TEST_MYSQL_DSN (or, when it is set, on the Galera cluster of
// SUYUAN_TEST_GALERA_DSNS, its connections spread over the nodes),
// skipping the test when neither is set.
func MySQL(t testing.TB) *DB {
	t.Helper()
	return mysqlDB(t, false)
}

// MySQLOneServer is MySQL with every connection to one server: on a
// Galera cluster, to the first node. It is for tests of how one server
// orders concurrent transactions (which id a transaction takes while
// another's is uncommitted); across nodes two transactions can take the
// same id, and the one that commits second fails certification.
func MySQLOneServer(t testing.TB) *DB {
	t.Helper()
	return mysqlDB(t, true)
}

// InSteps opens db's database again with every session's ids going in
// steps of step (auto_increment_increment), as a Galera node of a cluster
// of step nodes sets them; it is closed when the test ends.
func (db *DB) InSteps(t testing.TB, step int) *store.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"auto_increment_increment": strconv.Itoa(step)}
	stepped, err := store.Open(context.Background(), cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stepped.Close() })
	return stepped
}

func mysqlDB(t testing.TB, oneServer bool) *DB {
	t.Helper()
	dsn := mysqlDSN()
	if dsn == "" {
		t.Skip(EnvMySQL + " is not set")
	}
	name := create(t, dsn)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parsing %s: %v", EnvMySQL, err)
	}
	cfg.DBName = name
	if len(GaleraDSNs()) > 0 && !oneServer {
		cfg.Net = galeraNet
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["wsrep_sync_wait"] = "1"
	}
	return open(t, cfg.FormatDSN(), "mysql")
}

// Galera returns a fresh, migrated database on the Galera cluster of
// SUYUAN_TEST_GALERA_DSNS, opened once on each node (every connection of
// the n-th to the n-th node, waiting for the cluster's commits before it
// reads), skipping the test when it is unset.
func Galera(t testing.TB) []*DB {
	t.Helper()
	nodes := GaleraDSNs()
	if len(nodes) == 0 {
		t.Skip(EnvGalera + " is not set: run tools/cluster/galera.sh up, and set it to the DSNs it prints")
	}
	name := create(t, nodes[0])
	dbs := make([]*DB, len(nodes))
	for i, dsn := range nodes {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("parsing %s: %v", EnvGalera, err)
		}
		cfg.DBName = name
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		// Servers on different nodes answer one client: each reads what
		// the others committed before it answered.
		cfg.Params["wsrep_sync_wait"] = "1"
		dbs[i] = open(t, cfg.FormatDSN(), "mysql")
	}
	return dbs
}

// create makes a database of a random name on the server of dsn, dropped
// when the test ends, and returns its name.
func create(t testing.TB, dsn string) string {
	t.Helper()
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
	// The other nodes of a Galera cluster apply the CREATE a moment
	// later; a connection to one of them must find the database.
	for _, node := range GaleraDSNs() {
		if err := waitFor(ctx, node, name); err != nil {
			t.Fatalf("creating database: %v", err)
		}
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
	return name
}

// waitFor waits until the Galera node of dsn has applied what the cluster
// committed before, the database name included.
func waitFor(ctx context.Context, dsn, name string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("parsing %s: %w", EnvGalera, err)
	}
	cfg.DBName = ""
	cfg.Params = map[string]string{"wsrep_sync_wait": "1"}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n)
	if err == nil && n != 1 {
		err = fmt.Errorf("node %s does not have database %s", cfg.Addr, name)
	}
	return err
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
