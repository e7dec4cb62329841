package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"suyuan/internal/seed"
	"suyuan/internal/store"
	"suyuan/server"
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
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	c.secret = getenv("SUYUAN_SECRET")
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
	if c.demo {
		if err := seed.Demo(ctx, db.Client); err != nil {
			return fmt.Errorf("loading demo data: %w", err)
		}
	}
	srv := server.New(db, server.Config{
		Addr:            c.addr,
		Development:     c.mode == "development",
		BodyLimit:       c.bodyLimit,
		RequestTimeout:  c.requestTimeout,
		ComplexityLimit: c.complexityLimit,
		Logger:          logger,
	})
	return srv.ListenAndServe(ctx)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
