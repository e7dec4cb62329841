package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"suyuan/internal/alert"
	"suyuan/internal/anomaly"
	"suyuan/internal/auth"
	"suyuan/internal/scan"
	"suyuan/internal/screen"
	"suyuan/internal/seed"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/server"
	"suyuan/server/consumer"
)

// devSecret is the secret development mode uses when none is given.
// Production mode refuses to start with it.
const devSecret = "suyuan-development-secret-do-not-use-in-production"

// serveConfig is everything serve needs, from flags and environment.
type serveConfig struct {
	db              string
	addr            string
	mode            string
	secret          string
	demo            bool
	requestTimeout  time.Duration
	bodyLimit       int64
	complexityLimit int
	publicURL       string
	keys            *auth.KeySet
	rateLimit       int
	pageRateLimit   int
	trustedProxies  string
	ipRegions       string
	pageCacheTTL    time.Duration
	screenInterval  time.Duration
	screenWindow    time.Duration
}

func parseServe(args []string, stderr io.Writer, getenv func(string) string) (serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c serveConfig
	fs.StringVar(&c.db, "db", getenv("SUYUAN_DB"), "database: an SQLite path, or mysql://user:pass@host:3306/dbname (env SUYUAN_DB; default "+store.DefaultSQLite+")")
	fs.StringVar(&c.addr, "addr", envOr(getenv, "SUYUAN_ADDR", server.DefaultAddr), "listen address (env SUYUAN_ADDR)")
	fs.StringVar(&c.mode, "mode", envOr(getenv, "SUYUAN_MODE", "development"), "development or production (env SUYUAN_MODE)")
	fs.BoolVar(&c.demo, "demo", true, "load demo data into an empty database (development mode only)")
	fs.DurationVar(&c.requestTimeout, "request-timeout", server.DefaultRequestTimeout, "time limit of one request")
	fs.Int64Var(&c.bodyLimit, "body-limit", server.DefaultBodyLimit, "largest request body, in bytes")
	fs.IntVar(&c.complexityLimit, "complexity-limit", 0, "largest GraphQL operation cost (0: the built-in default)")
	fs.IntVar(&c.rateLimit, "rate-limit", server.DefaultRateLimit, "requests per minute per API key, user or anonymous client address (negative: no limit)")
	fs.IntVar(&c.pageRateLimit, "page-rate-limit", server.DefaultPageRateLimit, "consumer page and QR requests per minute per client address (negative: no limit)")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", getenv("SUYUAN_TRUSTED_PROXIES"), "comma-separated CIDR prefixes of reverse proxies whose X-Forwarded-For is believed (env SUYUAN_TRUSTED_PROXIES)")
	fs.StringVar(&c.publicURL, "public-url", envOr(getenv, "SUYUAN_PUBLIC_URL", consumer.DefaultPublicBaseURL), "base URL consumers reach the server at, for QR codes and links (env SUYUAN_PUBLIC_URL)")
	fs.StringVar(&c.ipRegions, "ip-regions", getenv("SUYUAN_IP_REGIONS"), "CSV file of IP prefixes and region codes for scan statistics (env SUYUAN_IP_REGIONS; none: regions are not recorded)")
	fs.DurationVar(&c.pageCacheTTL, "page-cache-ttl", 0, "how long consumer pages are cached (0: the built-in default; negative: no cache)")
	fs.DurationVar(&c.screenInterval, "screen-interval", 5*time.Minute, "how often the background screener runs the anomaly rules (0: never)")
	fs.DurationVar(&c.screenWindow, "screen-window", 48*time.Hour, "how far back each background screening looks")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.screenInterval < 0 || c.screenWindow <= 0 {
		return c, fmt.Errorf("--screen-interval must not be negative and --screen-window must be positive")
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
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
	case "production":
		if c.secret == "" || c.secret == devSecret {
			return c, fmt.Errorf("production mode needs SUYUAN_SECRET set to a secret of your own")
		}
		if len(c.secret) < 32 {
			return c, fmt.Errorf("SUYUAN_SECRET must be at least 32 characters")
		}
		c.demo = false
	default:
		return c, fmt.Errorf("mode must be development or production, not %q", c.mode)
	}
	if c.keys == nil {
		c.keys = auth.DerivedKeySet(c.secret)
	}
	for _, p := range c.proxies() {
		if _, err := netip.ParsePrefix(p); err != nil {
			return c, fmt.Errorf("--trusted-proxies: %q is not a CIDR prefix", p)
		}
	}
	return c, nil
}

func serve(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	c, err := parseServe(args, stderr, getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, c.db)
	if err != nil {
		return err
	}
	defer db.Close()
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
	if err := rebuildCounters(ctx, db, false); err != nil {
		return err
	}
	alerts := alert.NewBroker()
	if c.screenInterval > 0 {
		screener := screen.New(db.Client, db.SQL, anomaly.DefaultConfig(), alerts)
		if loadDemo {
			// The demo's events lie days back, beyond the screening
			// window: screen its whole history once.
			if _, err := screener.Run(ctx, time.Time{}, time.Now()); err != nil {
				return fmt.Errorf("screening demo data: %w", err)
			}
		}
		go screener.Loop(ctx, c.screenInterval, c.screenWindow, logger)
	}
	regions, err := scan.LoadRegions(c.ipRegions)
	if err != nil {
		return err
	}
	scans := scan.New(db.SQL, scan.Options{Secret: []byte(c.secret), Regions: regions, Logger: logger})
	// The recorder stops after the server, so that the scans of the last
	// requests are written.
	scanCtx, stopScans := context.WithCancel(context.WithoutCancel(ctx))
	scansDone := make(chan error, 1)
	go func() { scansDone <- scans.Run(scanCtx) }()
	srv := server.New(db, server.Config{
		Addr:            c.addr,
		Development:     c.mode == "development",
		BodyLimit:       c.bodyLimit,
		RequestTimeout:  c.requestTimeout,
		ComplexityLimit: c.complexityLimit,
		Logger:          logger,
		PublicBaseURL:   c.publicURL,
		Scans:           scans,
		PageCacheTTL:    c.pageCacheTTL,
		Keys:            c.keys,
		RateLimit:       c.rateLimit,
		PageRateLimit:   c.pageRateLimit,
		TrustedProxies:  c.proxies(),
		Alerts:          alerts,
	})
	err = srv.ListenAndServe(ctx)
	stopScans()
	return errors.Join(err, <-scansDone)
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

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
