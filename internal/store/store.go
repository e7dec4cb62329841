// Package store opens Suyuan's database — the embedded SQLite file by
// default, or MySQL/MariaDB — and migrates its schema.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"
	"go.opentelemetry.io/otel/trace"
	"modernc.org/sqlite"

	"suyuan/ent"
	"suyuan/ent/migrate"
	_ "suyuan/ent/runtime" // registers schema defaults, validators and hooks
)

// DefaultSQLite is the database used when none is configured: a file in the
// working directory.
const DefaultSQLite = "suyuan.db"

// DB is an open database with its Ent client.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB // the primary
	Dialect string  // dialect.SQLite or dialect.MySQL
	// Replicas serve the reads of contexts OnReplica; nil without
	// WithReadReplicas.
	Replicas *Replicas

	drv dialect.Driver // the client's, counting and routing
}

// Option changes how Open builds the client.
type Option func(*options)

type options struct {
	counter  *Counter
	maxOpen  int
	stmts    int
	slow     SlowFunc
	slowOver time.Duration
	tracer   trace.Tracer
	replicas []string
	maxLag   time.Duration
}

// WithReadReplicas routes the reads of contexts OnReplica to the MariaDB
// replicas named by dsns while they replicate within maxLag of the
// primary (0: DefaultMaxReplicaLag).
func WithReadReplicas(dsns []string, maxLag time.Duration) Option {
	return func(o *options) { o.replicas, o.maxLag = dsns, maxLag }
}

// WithTracer makes a span of every SQL statement issued within a traced
// request (nil: none).
func WithTracer(t trace.Tracer) Option { return func(o *options) { o.tracer = t } }

// WithCounter counts every SQL statement the client issues in c.
func WithCounter(c *Counter) Option { return func(o *options) { o.counter = c } }

// WithStatementCache sets how many prepared read statements each
// connection keeps (default DefaultStatementCache; negative: none).
func WithStatementCache(n int) Option { return func(o *options) { o.stmts = n } }

// WithSlowStatements calls f for every statement that takes longer than
// threshold (the request log warns of them).
func WithSlowStatements(threshold time.Duration, f SlowFunc) Option {
	return func(o *options) { o.slow, o.slowOver = f, threshold }
}

// WithMaxOpenConns bounds the connection pool.
func WithMaxOpenConns(n int) Option { return func(o *options) { o.maxOpen = n } }

// Open connects to the database named by dsn:
//
//   - "" — the SQLite file DefaultSQLite in the working directory;
//   - "sqlite:PATH" or "file:PATH" or a path ending in ".db" — an SQLite file;
//   - "mysql://user:pass@host:port/dbname?param=value" — MySQL or MariaDB;
//   - "user:pass@tcp(host:port)/dbname" — a go-sql-driver/mysql DSN.
//
// SQLite files are created when missing. Open does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	name, driverDSN, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var connector driver.Connector = dsnConnector{drv: &sqlite.Driver{}, dsn: driverDSN}
	if name == dialect.MySQL {
		cfg, err := mysql.ParseDSN(driverDSN)
		if err != nil {
			return nil, fmt.Errorf("opening %s database: %w", name, err)
		}
		if connector, err = mysql.NewConnector(cfg); err != nil {
			return nil, fmt.Errorf("opening %s database: %w", name, err)
		}
	}
	if o.stmts == 0 {
		o.stmts = DefaultStatementCache
	}
	db := sql.OpenDB(cachingConnector{Connector: connector, size: o.stmts})
	maxOpen := o.maxOpen
	if maxOpen == 0 {
		maxOpen = 32
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to %s database: %w", name, err)
	}
	step := 1
	if name == dialect.MySQL {
		if step, err = idStep(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	var drv dialect.Driver = entsql.OpenDB(name, db)
	if name == dialect.SQLite {
		drv = newWriterGate(drv)
	}
	var replicas *Replicas
	if len(o.replicas) > 0 {
		if name != dialect.MySQL {
			db.Close()
			return nil, fmt.Errorf("read replicas need a MariaDB primary, not %s", name)
		}
		if replicas, err = openReplicas(ctx, o.replicas, o.maxLag, o.stmts, maxOpen); err != nil {
			db.Close()
			return nil, err
		}
		drv = &routingDriver{Driver: drv, rs: replicas}
	}
	// Always wrapped: each request's statements are counted in its
	// context (WithTally) for its log line and metrics, and a database
	// that is away answers UNAVAILABLE. Above the routing, so that a
	// replica's failure reaches it as it is and is served by the primary.
	drv = &countingDriver{Driver: drv, c: &statements{c: o.counter, slow: o.slow, slowOver: o.slowOver, tracer: o.tracer}}
	return &DB{Client: ent.NewClient(ent.Driver(drv), ent.IDStep(step)), SQL: db, Dialect: name, Replicas: replicas, drv: drv}, nil
}

// Migrate creates missing tables, columns and indexes. It never drops a
// column or an index, so it is safe to run against a database that holds
// data, and it is idempotent. It refuses, with ErrSchemaNewer and before
// changing anything, a database a newer binary has migrated.
func (db *DB) Migrate(ctx context.Context) error {
	was, err := db.checkVersion(ctx)
	if err != nil {
		return err
	}
	if err := db.Client.Schema.Create(ctx,
		migrate.WithDropColumn(false),
		migrate.WithDropIndex(false),
		migrate.WithForeignKeys(true),
	); err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	if was != SchemaVersion {
		return db.recordVersion(ctx, was)
	}
	return nil
}

// idStep reads the step between the auto-increment ids the server hands
// out: 1, but on a Galera node the cluster's size (each node takes every
// n-th id, wsrep_auto_increment_control), so that nodes inserting into one
// table at once never take the same id.
func idStep(ctx context.Context, db *sql.DB) (int, error) {
	var step int
	if err := db.QueryRowContext(ctx, "SELECT @@auto_increment_increment").Scan(&step); err != nil {
		return 0, fmt.Errorf("reading auto_increment_increment: %w", err)
	}
	return max(step, 1), nil
}

// BulkIDs gives the rows one many-row INSERT created (Ent's CreateBulk …
// Save) the ids the database gave them, when its ids go in steps (a
// Galera node; step is the client's IDStep). Ent numbers such rows from
// LAST_INSERT_ID() one by one; the database numbered them from it step by
// step (one statement's ids are reserved at once). id returns a row's id
// field. Rows whose ids are used — returned, or written into other rows —
// must be renumbered before use.
func BulkIDs[T any](step int, rows []T, id func(T) *int) {
	if step <= 1 || len(rows) == 0 {
		return
	}
	first := *id(rows[0])
	for i, r := range rows {
		*id(r) = first + i*step
	}
}

// Close closes the client and its connections.
func (db *DB) Close() error {
	err := db.Client.Close()
	if db.Replicas != nil {
		err = errors.Join(err, db.Replicas.close())
	}
	return err
}

// ErrNodeNotReady is Ping's answer on a Galera node that is not synced
// with its cluster's primary component.
var ErrNodeNotReady = errors.New("the Galera node is not ready: out of the cluster's primary component, or still joining")

// Ping reports whether the database answers queries, for readiness checks.
// A Galera node out of its cluster's primary component still answers a
// ping, and queries that read no table, but refuses every other
// (Unavailable): on a Galera node (wsrep_on; no such variable on MySQL,
// OFF on a lone MariaDB), Ping asks for its state (wsrep_ready).
func (db *DB) Ping(ctx context.Context) error {
	if db.Dialect != dialect.MySQL {
		return db.SQL.PingContext(ctx)
	}
	var name, on, ready string
	err := db.SQL.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'").Scan(&name, &on)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case on != "ON":
		return nil
	}
	if err := db.SQL.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_ready'").Scan(&name, &ready); err != nil {
		return err
	}
	if ready != "ON" {
		return ErrNodeNotReady
	}
	return nil
}

func parseDSN(dsn string) (dialectName, driverDSN string, err error) {
	switch {
	case dsn == "":
		return dialect.SQLite, sqliteDSN(DefaultSQLite), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return dialect.SQLite, sqliteDSN(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")), nil
	case strings.HasPrefix(dsn, "file:"):
		return dialect.SQLite, sqliteDSN(strings.TrimPrefix(dsn, "file:")), nil
	case strings.HasPrefix(dsn, "mysql://"):
		d, err := mysqlURL(dsn)
		return dialect.MySQL, d, err
	case strings.HasSuffix(dsn, ".db") || strings.HasSuffix(dsn, ".sqlite"):
		return dialect.SQLite, sqliteDSN(dsn), nil
	default:
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return "", "", fmt.Errorf("database %q is neither an SQLite path nor a MySQL DSN: %w", redact(dsn), err)
		}
		return dialect.MySQL, mysqlDSN(cfg), nil
	}
}

// sqliteDSN turns a file path into a modernc.org/sqlite DSN. WAL lets readers
// run beside the one writer; immediate transactions take the write lock at
// BEGIN, so two transactions that read stock and then write it queue up
// behind busy_timeout instead of failing with SQLITE_BUSY.
func sqliteDSN(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(15000)")
	// LIKE compares case-sensitively, as MariaDB and MySQL do with the
	// utf8mb4_bin collation Suyuan uses: a nameContains or lotCodeHasPrefix
	// filter finds the same rows on every database (the …Fold filters
	// ignore case on every database).
	q.Add("_pragma", "case_sensitive_like(1)")
	q.Add("_txlock", "immediate")
	q.Add("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

func mysqlURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parsing MySQL URL: %w", err)
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = u.Hostname() + ":3306"
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if cfg.DBName == "" {
		return "", fmt.Errorf("MySQL URL %q names no database", redact(raw))
	}
	for k, vs := range u.Query() {
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params[k] = vs[0]
	}
	return mysqlDSN(cfg), nil
}

// mysqlDSN fixes the settings Suyuan relies on whatever the caller passed:
// times in UTC, parsed into time.Time, and full Unicode.
func mysqlDSN(cfg *mysql.Config) string {
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	if cfg.Timeout == 0 {
		// A database host that is gone (not refusing: silent) must not
		// hold a request until the system's own connect timeout, minutes
		// long: it is UNAVAILABLE after this.
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["charset"] = "utf8mb4"
	cfg.Params["time_zone"] = "'+00:00'"
	return cfg.FormatDSN()
}

// Redact hides a password in a DSN or URL, for messages and printed
// configuration.
func Redact(dsn string) string { return redact(dsn) }

// redact hides a password in a DSN or URL for error messages.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	if cfg, err := mysql.ParseDSN(dsn); err == nil && cfg.Passwd != "" {
		cfg.Passwd = "xxxxx"
		return cfg.FormatDSN()
	}
	return dsn
}

// Retryable reports whether err aborted a transaction that can simply be
// run again: an InnoDB deadlock or lock-wait timeout, which concurrent
// writers to the same stock and parent rows can meet on MySQL and MariaDB.
// On Galera a transaction that lost certification to another node's
// (the same rows, or the same new id, changed there first) or was
// aborted by one being applied fails with the deadlock error too.
func Retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// CheckDSN reports whether dsn names a database Open understands, without
// connecting to it (or creating an SQLite file), so that a command can refuse
// a malformed setting before doing anything else.
func CheckDSN(dsn string) error {
	_, _, err := parseDSN(dsn)
	return err
}

// SQLitePath returns the file an SQLite dsn names, and false when dsn
// names a MySQL database.
func SQLitePath(dsn string) (string, bool) {
	name, driverDSN, err := parseDSN(dsn)
	if err != nil || name != dialect.SQLite {
		return "", false
	}
	path := strings.TrimPrefix(driverDSN, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return path, true
}
