package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"suyuan/ent/user"
	"suyuan/graph"
	"suyuan/internal/anomaly"
	"suyuan/internal/auth"
	"suyuan/internal/document"
	"suyuan/internal/eventlog"
	"suyuan/internal/logging"
	"suyuan/internal/metrics"
	"suyuan/internal/reqlog"
	"suyuan/internal/scan"
	"suyuan/internal/screen"
	"suyuan/internal/seed"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/tracing"
	"suyuan/internal/viewer"
	"suyuan/internal/webhook"
	"suyuan/server"
	"suyuan/server/consumer"
)

// devSecret is the secret development mode uses when none is given.
// Production mode refuses to start with it.
const devSecret = "suyuan-development-secret-do-not-use-in-production"

// Default listen addresses. Development mode publishes its demo passwords
// and signs tokens with a secret anyone can read in this file, so it
// listens on the loopback interface unless told otherwise.
const (
	devAddr  = "127.0.0.1:8080"
	prodAddr = ":8080"
)

// defaultAdminAddr serves metrics and profiles on the loopback interface
// only: they are for the operator (or a Prometheus on the same machine),
// never for the public.
const defaultAdminAddr = "127.0.0.1:9090"

// serveConfig is everything serve needs, from flags and environment.
type serveConfig struct {
	configPath      string
	db              string
	addr            string
	mode            string
	allowRemoteDev  bool
	secret          string
	demo            bool
	requestTimeout  time.Duration
	bodyLimit       int64
	maxDocumentSize int64
	documentDir     string
	complexityLimit int
	publicURL       string
	keys            *auth.KeySet
	rateLimit       int
	pageRateLimit   int
	trustedProxies  string
	ipRegions       string
	regions         *scan.Regions
	pageCacheTTL    time.Duration
	screenInterval  time.Duration
	screenWindow    time.Duration
	adminAddr       string
	slowStatement   time.Duration
	otlpEndpoint    string
	redisURL        string
	readDB          string
	maxReplicaLag   time.Duration
	webhookHosts    string
	webhookTimeout  time.Duration
	webhookAttempts int
	drain           time.Duration
	log             logConfig
}

// envVar is an environment variable serve reads: either the default of a
// flag, or a setting of its own (flag "").
type envVar struct {
	name, flag, meaning string
}

// serveEnv lists every environment variable serve reads, for its help (the
// README's configuration table is held to it by a test).
var serveEnv = []envVar{
	{"SUYUAN_CONFIG", "config", ""},
	{"SUYUAN_DB", "db", ""},
	{"SUYUAN_READ_DB", "read-db", ""},
	{"SUYUAN_ADDR", "addr", ""},
	{"SUYUAN_MODE", "mode", ""},
	{"SUYUAN_ALLOW_REMOTE_DEV", "allow-remote-dev", ""},
	{"SUYUAN_SECRET", "", "server secret, at least 32 characters; required in production"},
	{"SUYUAN_JWT_KEYS", "", "file of the JSON key set for access tokens (default: derived from the secret)"},
	{"SUYUAN_TRUSTED_PROXIES", "trusted-proxies", ""},
	{"SUYUAN_PUBLIC_URL", "public-url", ""},
	{"SUYUAN_IP_REGIONS", "ip-regions", ""},
	{"SUYUAN_DOCUMENT_DIR", "document-dir", ""},
	{"SUYUAN_ADMIN_ADDR", "admin-addr", ""},
	{"SUYUAN_OTLP_ENDPOINT", "otlp-endpoint", ""},
	{"SUYUAN_WEBHOOK_ALLOW_HOSTS", "webhook-allow-hosts", ""},
	{"SUYUAN_REDIS_URL", "redis-url", ""},
	{"SUYUAN_LOG_DIR", "", "write logs to a file per day in this directory"},
	{"SUYUAN_LOG_RETENTION_DAYS", "", "delete log files older than this many days (default 30)"},
	{"SUYUAN_LOG_LEVEL", "", "debug, info, warn or error (default info)"},
	{"SUYUAN_LOG_FORMAT", "", "json or text (default json)"},
	{"GOGC", "", "Go's collector target, in per cent of the live heap (default 400 for serve)"},
}

// serveFlags defines serve's flags into c, with defaults from the
// environment where serveEnv says so.
func serveFlags(c *serveConfig, stderr io.Writer, getenv func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.configPath, "config", getenv("SUYUAN_CONFIG"), "TOML file of settings: serve's flag names and secret, jwt-keys, log-dir, log-retention-days, log-level, log-format (docs/OPERATIONS.md)")
	fs.StringVar(&c.db, "db", envOr(getenv, "SUYUAN_DB", store.DefaultSQLite), "database: an SQLite path, or mysql://user:pass@host:3306/dbname")
	fs.StringVar(&c.readDB, "read-db", getenv("SUYUAN_READ_DB"), "comma-separated MariaDB replicas of --db (mysql://…) that serve queries and consumer pages while they replicate within --max-replica-lag (none: every read on --db)")
	fs.DurationVar(&c.maxReplicaLag, "max-replica-lag", store.DefaultMaxReplicaLag, "how far behind the primary a read replica may be and still serve reads (more than 0)")
	fs.StringVar(&c.addr, "addr", getenv("SUYUAN_ADDR"), "listen address, HOST:PORT (default "+devAddr+" in development, "+prodAddr+" in production)")
	fs.StringVar(&c.mode, "mode", envOr(getenv, "SUYUAN_MODE", "development"), "development or production")
	fs.BoolVar(&c.allowRemoteDev, "allow-remote-dev", false, "let development mode, with its published demo passwords and secret, listen on an address other than loopback")
	fs.BoolVar(&c.demo, "demo", true, "load demo data into an empty database (development mode only)")
	fs.DurationVar(&c.requestTimeout, "request-timeout", server.DefaultRequestTimeout, "time limit of one request (more than 0)")
	fs.Int64Var(&c.bodyLimit, "body-limit", server.DefaultBodyLimit, "largest request body, in bytes (more than 0)")
	fs.Int64Var(&c.maxDocumentSize, "max-document-size", server.DefaultMaxDocumentSize, "largest uploaded document (certificate, report, licence), in bytes (more than 0)")
	fs.StringVar(&c.documentDir, "document-dir", getenv("SUYUAN_DOCUMENT_DIR"), "keep uploaded documents' files in this directory, named by their SHA-256 (none: in the database)")
	fs.IntVar(&c.complexityLimit, "complexity-limit", graph.DefaultComplexityLimit, "largest GraphQL operation cost (more than 0)")
	fs.IntVar(&c.rateLimit, "rate-limit", server.DefaultRateLimit, "requests per minute per API key, user or anonymous client address (negative: no limit)")
	fs.IntVar(&c.pageRateLimit, "page-rate-limit", server.DefaultPageRateLimit, "consumer page and QR requests per minute per client address (negative: no limit)")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", getenv("SUYUAN_TRUSTED_PROXIES"), "comma-separated CIDR prefixes of reverse proxies whose X-Forwarded-For is believed")
	fs.StringVar(&c.publicURL, "public-url", envOr(getenv, "SUYUAN_PUBLIC_URL", consumer.DefaultPublicBaseURL), "base URL consumers reach the server at, for QR codes and links")
	fs.StringVar(&c.ipRegions, "ip-regions", getenv("SUYUAN_IP_REGIONS"), "CSV file of IP prefixes and region codes for scan statistics (none: regions are not recorded)")
	fs.DurationVar(&c.pageCacheTTL, "page-cache-ttl", consumer.DefaultCacheTTL, "how long consumer pages are cached (0 or negative: no cache)")
	fs.DurationVar(&c.screenInterval, "screen-interval", 5*time.Minute, "how often the background screener runs the anomaly rules (0: never)")
	fs.DurationVar(&c.screenWindow, "screen-window", 48*time.Hour, "how far back each background screening looks (more than 0)")
	fs.StringVar(&c.adminAddr, "admin-addr", envOr(getenv, "SUYUAN_ADMIN_ADDR", defaultAdminAddr), "listen address of /metrics and /debug/pprof, HOST:PORT, or off")
	fs.StringVar(&c.otlpEndpoint, "otlp-endpoint", getenv("SUYUAN_OTLP_ENDPOINT"), "OpenTelemetry collector to send traces to over OTLP/HTTP, such as http://127.0.0.1:4318 (none: no tracing)")
	fs.StringVar(&c.redisURL, "redis-url", getenv("SUYUAN_REDIS_URL"), "Redis that servers behind one load balancer share their rate limits' counts in, such as redis://127.0.0.1:6379/0 (none: each server counts alone)")
	fs.StringVar(&c.webhookHosts, "webhook-allow-hosts", getenv("SUYUAN_WEBHOOK_ALLOW_HOSTS"), "comma-separated hosts webhooks may deliver to in production although they are or resolve to loopback, private or link-local addresses")
	fs.DurationVar(&c.webhookTimeout, "webhook-timeout", webhook.DefaultTimeout, "time limit of one webhook delivery attempt (more than 0)")
	fs.IntVar(&c.webhookAttempts, "webhook-max-attempts", webhook.DefaultMaxAttempts, "attempts before a webhook delivery is dead (more than 0)")
	fs.DurationVar(&c.slowStatement, "slow-statement", 250*time.Millisecond, "log a warning for each SQL statement slower than this (0: never)")
	fs.DurationVar(&c.drain, "drain", 0, "on SIGTERM, answer this long with /readyz failing before closing the port, so that a load balancer takes the server out first (0: close at once)")
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: suyuan serve [flags]\n\nServe the GraphQL API, the consumer pages and the dashboard.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(out, "\nEnvironment (a flag on the command line wins over its variable):\n")
		for _, e := range serveEnv {
			meaning := e.meaning
			if e.flag != "" {
				meaning = "default of --" + e.flag
			}
			fmt.Fprintf(out, "  %-26s %s\n", e.name, meaning)
		}
	}
	return fs
}

// parsedServe is serve's configuration with where it came from, for
// "suyuan config check".
type parsedServe struct {
	cfg           serveConfig
	fs            *flag.FlagSet
	file          *configFile
	onCommandLine map[string]bool
}

func parseServe(args []string, stderr io.Writer, getenv func(string) string) (serveConfig, error) {
	p, err := parseServeFull(args, stderr, getenv)
	if err != nil {
		return serveConfig{}, err
	}
	return p.cfg, nil
}

func parseServeFull(args []string, stderr io.Writer, getenv func(string) string) (*parsedServe, error) {
	// The file gives the flags' defaults, so it is read before they are
	// parsed; and which flags the command line set is told apart from
	// those the file set.
	probe := serveFlags(&serveConfig{}, io.Discard, getenv)
	file, err := loadConfig(configPath(args, getenv), probe)
	if err != nil {
		return nil, err
	}
	onCommandLine := map[string]bool{}
	if probe.Parse(args) == nil {
		probe.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	}
	getenv = file.getenv(getenv)
	p := &parsedServe{file: file, onCommandLine: onCommandLine}
	c, err := parseServeWith(args, stderr, getenv, file, p)
	p.cfg = c
	if err != nil {
		return nil, err
	}
	return p, nil
}

func parseServeWith(args []string, stderr io.Writer, getenv func(string) string, file *configFile, p *parsedServe) (serveConfig, error) {
	var c serveConfig
	fs := serveFlags(&c, stderr, getenv)
	p.fs = fs
	for k, v := range file.flags {
		if err := fs.Set(k, v); err != nil {
			return c, fmt.Errorf("--config %s: %s: %w", file.path, k, err)
		}
	}
	if v := getenv("SUYUAN_ALLOW_REMOTE_DEV"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("SUYUAN_ALLOW_REMOTE_DEV must be true or false, not %q", v)
		}
		c.allowRemoteDev = b
	}
	if err := parseArgs(fs, args); err != nil {
		return c, err
	}
	var err error
	if c.log, err = parseLogConfig(getenv); err != nil {
		return c, err
	}
	switch {
	case c.requestTimeout <= 0:
		return c, fmt.Errorf("--request-timeout must be more than 0, not %s", c.requestTimeout)
	case c.bodyLimit <= 0:
		return c, fmt.Errorf("--body-limit must be more than 0 bytes, not %d", c.bodyLimit)
	case c.maxDocumentSize <= 0:
		return c, fmt.Errorf("--max-document-size must be more than 0 bytes, not %d", c.maxDocumentSize)
	case c.complexityLimit <= 0:
		return c, fmt.Errorf("--complexity-limit must be more than 0, not %d", c.complexityLimit)
	case c.screenInterval < 0:
		return c, fmt.Errorf("--screen-interval must not be negative (0: never), not %s", c.screenInterval)
	case c.screenWindow <= 0:
		return c, fmt.Errorf("--screen-window must be more than 0, not %s", c.screenWindow)
	case c.slowStatement < 0:
		return c, fmt.Errorf("--slow-statement must not be negative (0: never), not %s", c.slowStatement)
	}
	if c.adminAddr != "off" {
		if err := checkAddr("--admin-addr", c.adminAddr); err != nil {
			return c, err
		}
	}
	if err := store.CheckDSN(c.db); err != nil {
		return c, fmt.Errorf("--db: %w", err)
	}
	if err := tracing.CheckEndpoint(c.otlpEndpoint); err != nil {
		return c, err
	}
	if err := checkPublicURL(c.publicURL); err != nil {
		return c, err
	}
	c.secret = getenv("SUYUAN_SECRET")
	if path := getenv("SUYUAN_JWT_KEYS"); path != "" {
		ks, err := auth.LoadKeySet(path)
		if err != nil {
			return c, err
		}
		c.keys = ks
	}
	switch c.mode {
	case "development":
		if c.secret == "" {
			c.secret = devSecret
		}
		if c.addr == "" {
			c.addr = devAddr
		}
	case "production":
		if c.secret == "" || c.secret == devSecret {
			return c, fmt.Errorf("production mode needs SUYUAN_SECRET set to a secret of your own")
		}
		if len(c.secret) < 32 {
			return c, fmt.Errorf("SUYUAN_SECRET must be at least 32 characters")
		}
		c.demo = false
		if c.addr == "" {
			c.addr = prodAddr
		}
	default:
		return c, fmt.Errorf("mode must be development or production, not %q", c.mode)
	}
	if err := checkAddr("--addr", c.addr); err != nil {
		return c, err
	}
	if c.mode == "development" && !c.allowRemoteDev && !loopbackAddr(c.addr) {
		return c, fmt.Errorf("development mode publishes its demo passwords and signing secret, so it listens only on loopback (such as %s), not on %q; "+
			"use --mode production, or --allow-remote-dev if every machine that can reach %s may act as an administrator", devAddr, c.addr, c.addr)
	}
	if c.keys == nil {
		c.keys = auth.DerivedKeySet(c.secret)
	}
	if c.redisURL != "" {
		if _, err := redis.ParseURL(c.redisURL); err != nil {
			return c, fmt.Errorf("--redis-url: %w", err)
		}
	}
	if c.maxReplicaLag <= 0 {
		return c, fmt.Errorf("--max-replica-lag must be more than 0, not %s", c.maxReplicaLag)
	}
	if c.readDB != "" && !strings.HasPrefix(c.db, "mysql://") && !strings.Contains(c.db, "@tcp(") {
		return c, fmt.Errorf("--read-db needs a MariaDB primary in --db (mysql://…)")
	}
	if c.webhookTimeout <= 0 {
		return c, fmt.Errorf("--webhook-timeout must be more than 0, not %s", c.webhookTimeout)
	}
	if c.webhookAttempts <= 0 {
		return c, fmt.Errorf("--webhook-max-attempts must be more than 0, not %d", c.webhookAttempts)
	}
	if c.drain < 0 {
		return c, fmt.Errorf("--drain must not be negative (0: none), not %s", c.drain)
	}
	for _, h := range c.webhookGuard().AllowHosts {
		if strings.ContainsAny(h, "/:@ ") && !isAddr(h) {
			return c, fmt.Errorf("--webhook-allow-hosts: %q is not a host name or address", h)
		}
	}
	for _, p := range c.proxies() {
		if _, err := netip.ParsePrefix(p); err != nil {
			return c, fmt.Errorf("--trusted-proxies: %q is not a CIDR prefix", p)
		}
	}
	if c.regions, err = scan.LoadRegions(c.ipRegions); err != nil {
		return c, fmt.Errorf("--ip-regions: %w", err)
	}
	return c, nil
}

// checkAddr refuses a listen address, given by flag name, that is not
// HOST:PORT with a numeric port.
func checkAddr(name, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q is not HOST:PORT (such as %s or %s)", name, addr, devAddr, prodAddr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s %q: the port must be a number from 0 to 65535", name, addr)
	}
	return nil
}

// loopbackAddr reports whether a listen address is on the loopback
// interface only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// checkPublicURL refuses a public URL that is not an absolute http(s) URL.
func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--public-url %q must be an absolute http:// or https:// URL without query or fragment, such as %s", s, consumer.DefaultPublicBaseURL)
	}
	return nil
}

func serve(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	c, err := parseServe(args, stderr, getenv)
	if err != nil {
		return err
	}
	logger, closeLog, err := newLogger(c.log, c.mode, stderr)
	if err != nil {
		return err
	}
	defer closeLog.Close()
	// Libraries that write to the standard logger write JSON lines too.
	slog.SetDefault(logger)
	if getenv("GOGC") == "" {
		// The live heap is about 10 MB and a trace request allocates
		// about 200 KB, so at Go's default of 100 the collector ran
		// several times a second under load: 7.8 % of the CPU time of a
		// trace load, 2.1 % at 400 (docs/BENCHMARKS.md). GOGC, when set,
		// is the operator's choice and wins.
		debug.SetGCPercent(serveGCPercent)
	}

	// Listen first: a port in use is reported before a database is
	// created or a demo loaded.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", c.addr, err)
	}
	defer ln.Close()
	if c.mode == "development" && !loopbackAddr(ln.Addr().String()) {
		if !c.allowRemoteDev {
			return fmt.Errorf("development mode listens only on loopback, and %s is not", ln.Addr())
		}
		logger.Warn("DEVELOPMENT MODE IS REACHABLE FROM THE NETWORK: its demo passwords are published and its signing secret is public, " +
			"so anyone who can reach " + ln.Addr().String() + " can act as an administrator. Use --mode production for anything but a trusted network.")
	}

	// The admin address (metrics, profiles) is also taken before anything
	// else happens, for the same reason.
	var adminLn net.Listener
	if c.adminAddr != "off" {
		if adminLn, err = net.Listen("tcp", c.adminAddr); err != nil {
			return fmt.Errorf("listening on the admin address %s: %w", c.adminAddr, err)
		}
		defer adminLn.Close()
		if !loopbackAddr(adminLn.Addr().String()) {
			logger.Warn("the admin address is reachable from the network: anyone who can reach " + adminLn.Addr().String() +
				" can read metrics and take profiles; keep it behind a firewall")
		}
	}
	m := metrics.New()
	tracer, stopTracing, err := tracing.Setup(ctx, c.otlpEndpoint, version())
	if err != nil {
		return err
	}
	defer func() {
		// The last spans are sent before the process ends.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(flushCtx); err != nil {
			logger.Warn("sending the last traces", "err", err)
		}
	}()

	opts := []store.Option{store.WithTracer(tracer)}
	if c.slowStatement > 0 {
		opts = append(opts, store.WithSlowStatements(c.slowStatement, func(ctx context.Context, query string, took time.Duration) {
			m.SlowStatement()
			reqlog.Logger(ctx).Warn("slow statement", "sql", truncate(query, 500),
				"duration_ms", float64(took.Microseconds())/1000)
		}))
	}
	if replicas := c.readReplicas(); len(replicas) > 0 {
		opts = append(opts, store.WithReadReplicas(replicas, c.maxReplicaLag))
	}
	db, err := store.Open(ctx, c.db, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	m.WatchDB(db.SQL, db.Dialect)

	if err := db.Migrate(ctx); err != nil {
		return err
	}
	// The demo goes into an empty database only: a served data set of
	// one's own gets no demo lots, and no screening of its whole history
	// at every start.
	loadDemo := false
	if c.demo {
		used, err := db.Client.Organization.Query().Exist(tenancy.System(ctx))
		if err != nil {
			return fmt.Errorf("checking for data: %w", err)
		}
		loadDemo = !used
	}
	if loadDemo {
		// A small city ending now beside the hand-written chain: the
		// dashboard and the alerts have something to show.
		if _, err := seed.FirstRun(ctx, db, time.Now()); err != nil {
			return fmt.Errorf("loading demo data: %w", err)
		}
	}
	if c.mode == "production" {
		admins, err := db.Client.User.Query().Where(user.RoleEQ(viewer.Admin)).Exist(tenancy.System(ctx))
		if err != nil {
			return fmt.Errorf("checking for an administrator: %w", err)
		}
		if !admins {
			logger.Warn("the database has no administrator, so nobody can log in: create the first one with " +
				"`suyuan admin --db … --phone … --credit-code …` (password on standard input)")
		}
	}
	if err := rebuildCounters(ctx, db, false); err != nil {
		return err
	}
	// Every goroutine started here is waited for before serve returns (and
	// the database closes): a screening or a batch of scans is not cut off
	// half-written by the process ending under it.
	var background sync.WaitGroup
	defer waitFor(&background, shutdownGrace, logger)
	// Ends the background work on any return, not only on a signal.
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	// Every recording goes through the log; other servers on this
	// database record too, and their changes — to pages, alerts raised —
	// reach this one through the outbox.
	changes := eventlog.New(db.Client, nil)
	if db.Replicas != nil {
		changes.TrackPositions(db.Position)
		background.Go(func() { db.Replicas.Run(bgCtx) })
	}
	background.Go(func() { changes.Follower().Run(bgCtx, followInterval) })
	if c.screenInterval > 0 {
		screener := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), changes).Observe(m.Screening).Lead(db.Dialect)
		if loadDemo {
			// The demo's events lie days back, beyond the screening
			// window: screen its whole history once.
			if _, err := screener.Run(ctx, time.Time{}, time.Now()); err != nil {
				return fmt.Errorf("screening demo data: %w", err)
			}
		}
		background.Go(func() { screener.Loop(bgCtx, c.screenInterval, c.screenWindow, logger) })
	}
	scans := scan.New(db.SQL, scan.Options{Secret: []byte(c.secret), Regions: c.regions, Logger: logger})
	// The recorder stops after the server, so that the scans of the last
	// requests are written.
	scanCtx, stopScans := context.WithCancel(context.WithoutCancel(ctx))
	defer stopScans()
	scansDone := make(chan error, 1)
	background.Go(func() { scansDone <- scans.Run(scanCtx) })
	if adminLn != nil {
		admin := server.AdminHandler(m, logger)
		background.Go(func() {
			if err := server.ServeAdmin(bgCtx, adminLn, admin, logger); err != nil {
				logger.Error("admin address", "err", err)
			}
		})
		logger.Info("metrics", "url", "http://"+adminLn.Addr().String()+"/metrics")
	}
	var rc *redis.Client
	if c.redisURL != "" {
		opts, _ := redis.ParseURL(c.redisURL) // checked with the flags
		rc = redis.NewClient(opts)
		defer rc.Close()
		if err := rc.Ping(ctx).Err(); err != nil {
			logger.Warn("Redis does not answer; each server counts its rate limits alone until it does", "err", err)
		}
	}
	guard := c.webhookGuard()
	deliverer := webhook.NewDeliverer(db.Client, changes, db.Dialect, webhook.Options{
		MaxAttempts: c.webhookAttempts, Timeout: c.webhookTimeout, Guard: guard, Observe: m.WebhookAttempt})
	background.Go(func() { deliverer.Run(bgCtx, deliverInterval) })
	documents, err := document.NewStore(db.Client, c.documentDir)
	if err != nil {
		return fmt.Errorf("--document-dir: %w", err)
	}
	srv := server.New(db, server.Config{
		WebhookGuard:    guard,
		Redis:           redisClient(rc),
		Log:             changes,
		Addr:            c.addr,
		Development:     c.mode == "development",
		BodyLimit:       c.bodyLimit,
		MaxDocumentSize: c.maxDocumentSize,
		Documents:       documents,
		RequestTimeout:  c.requestTimeout,
		ComplexityLimit: c.complexityLimit,
		Logger:          logger,
		PublicBaseURL:   c.publicURL,
		Scans:           scans,
		PageCacheTTL:    pageCacheTTL(c.pageCacheTTL),
		Keys:            c.keys,
		RateLimit:       c.rateLimit,
		PageRateLimit:   c.pageRateLimit,
		TrustedProxies:  c.proxies(),
		Metrics:         m,
		Tracer:          tracer,
		Drain:           c.drain,
	})
	logger.Info("open in a browser", browseURLs(ln.Addr(), c.mode == "development", c.demo)...)
	err = srv.Serve(ctx, ln)
	stopScans()
	return errors.Join(err, <-scansDone)
}

// shutdownGrace bounds how long serve waits, once the HTTP server has
// stopped, for its background work (screener, scan recorder, outbox
// follower, admin address) to end: each stops at its context's end, so
// this is only reached when the database hangs.
const shutdownGrace = 15 * time.Second

// waitFor waits for wg, at most grace, and logs what was left running.
func waitFor(wg *sync.WaitGroup, grace time.Duration, logger *slog.Logger) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		logger.Error("background work did not stop within the shutdown grace period", "grace", grace.String())
	}
}

// truncate shortens s to at most n bytes (at a rune boundary), for log
// lines that quote SQL.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// readReplicas returns the --read-db list.
func (c *serveConfig) readReplicas() []string {
	var out []string
	for _, r := range strings.Split(c.readDB, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// followInterval is how often a server reads the outbox for the changes
// other servers on its database record: a change shows on every server's
// pages within about this long.
const followInterval = 500 * time.Millisecond

// deliverInterval is how often the webhook deliverer looks for other
// servers' changes and for retries that fell due; this server's own
// changes wake it at once.
const deliverInterval = time.Second

// browseURLs are the pages a person starting the server wants to open, as
// log attributes.
func browseURLs(addr net.Addr, development, demo bool) []any {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip, err := netip.ParseAddr(host); err != nil || ip.IsUnspecified() {
		host = "localhost"
	}
	base := "http://" + net.JoinHostPort(host, port)
	var attrs []any
	if development {
		attrs = append(attrs, "playground", base+"/")
	}
	attrs = append(attrs, "dashboard", base+"/dashboard")
	if demo {
		attrs = append(attrs, "consumer_page", base+"/t/"+seed.DemoTraceCode)
	} else {
		attrs = append(attrs, "consumer_page", base+"/t/{trace code}")
	}
	return attrs
}

// logConfig is where and what serve logs, from the environment.
type logConfig struct {
	dir   string
	days  int
	level slog.Level
	text  bool
}

func parseLogConfig(getenv func(string) string) (logConfig, error) {
	lc := logConfig{dir: getenv("SUYUAN_LOG_DIR")}
	if v := getenv("SUYUAN_LOG_RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return lc, fmt.Errorf("SUYUAN_LOG_RETENTION_DAYS must be a positive number of days, not %q", v)
		}
		lc.days = n
	}
	if v := getenv("SUYUAN_LOG_LEVEL"); v != "" {
		if err := lc.level.UnmarshalText([]byte(v)); err != nil {
			return lc, fmt.Errorf("SUYUAN_LOG_LEVEL must be debug, info, warn or error, not %q", v)
		}
	}
	switch v := getenv("SUYUAN_LOG_FORMAT"); v {
	case "", "json":
	case "text":
		lc.text = true
	default:
		return lc, fmt.Errorf("SUYUAN_LOG_FORMAT must be json or text, not %q", v)
	}
	return lc, nil
}

// newLogger writes JSON lines to a file per day in the log directory, and
// to standard error in development or when no directory is set.
func newLogger(lc logConfig, mode string, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	logger, closer, err := logging.New(logging.Config{
		Dir:           lc.dir,
		RetentionDays: lc.days,
		Stderr:        lc.dir == "" || mode != "production",
		Level:         lc.level,
		Text:          lc.text,
	}, stderr)
	if err != nil {
		return nil, nil, fmt.Errorf("setting up logs: %w", err)
	}
	return logger, closer, nil
}

// pageCacheTTL maps the flag, where 0 means no cache, to the server's
// setting, where 0 means the default.
func pageCacheTTL(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// proxies lists the trusted proxy prefixes.
func (c serveConfig) proxies() []string {
	var out []string
	for _, p := range strings.Split(c.trustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// webhookGuard is where webhooks may deliver: in production, not to
// special addresses, but to the hosts --webhook-allow-hosts names.
func (c serveConfig) webhookGuard() *webhook.Guard {
	g := &webhook.Guard{Production: c.mode == "production"}
	for _, h := range strings.Split(c.webhookHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			g.AllowHosts = append(g.AllowHosts, h)
		}
	}
	return g
}

// redisClient is rc as the server's Config takes it: nil stays nil, not
// an interface holding a nil pointer.
func redisClient(rc *redis.Client) redis.UniversalClient {
	if rc == nil {
		return nil
	}
	return rc
}

// isAddr reports whether s is an IP address (an IPv6 one holds colons).
func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// serveGCPercent lets the heap grow to five times what is live between
// collections: some 40 MB more memory for a quarter of the collections.
const serveGCPercent = 400
