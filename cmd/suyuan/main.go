// Command suyuan runs the Suyuan food-traceability service and its tools.
//
// Usage:
//
//	suyuan serve   [flags]   serve the GraphQL API (the default command)
//	suyuan migrate [flags]   create or update the database schema
//	suyuan seed    [flags]   fill a database with a generated data set
//	suyuan admin   [flags]   create the first administrator
//
// Run "suyuan COMMAND -h" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"suyuan/internal/logging"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "suyuan:", err)
		os.Exit(1)
	}
}

// run dispatches to a command. It takes its environment as arguments so
// that tests can run it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	logger, closeLog, err := newLogger(getenv, stderr)
	if err != nil {
		return err
	}
	defer closeLog.Close()
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr, getenv, logger)
	case "migrate":
		return migrateCmd(ctx, args, stderr, getenv)
	case "seed":
		return seedCmd(ctx, args, stdout, stderr, getenv)
	case "admin":
		return adminCmd(ctx, args, stdin, stderr, getenv)
	case "screen":
		return screenCmd(ctx, args, stdout, stderr, getenv)
	case "recount":
		return recountCmd(ctx, args, stdout, stderr, getenv)
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

const usage = `usage: suyuan [serve|migrate|seed|screen|recount|admin|help] [flags]

  serve     serve the GraphQL API (the default)
  migrate   create or update the database schema
  seed      fill a database with a generated data set
  screen    run every anomaly rule over the history and store alerts
  recount   rebuild the dashboard's counters from the rows they count
  admin     create the first administrator (password on standard input)

Run "suyuan COMMAND -h" for a command's flags.`

// newLogger writes JSON lines to a file per day in SUYUAN_LOG_DIR, kept
// SUYUAN_LOG_RETENTION_DAYS days (30 by default), and to standard error in
// development or when no directory is set.
func newLogger(getenv func(string) string, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	days := 0
	if v := getenv("SUYUAN_LOG_RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, nil, fmt.Errorf("SUYUAN_LOG_RETENTION_DAYS must be a positive number of days, not %q", v)
		}
		days = n
	}
	dir := getenv("SUYUAN_LOG_DIR")
	logger, closer, err := logging.New(logging.Config{
		Dir:           dir,
		RetentionDays: days,
		Stderr:        dir == "" || getenv("SUYUAN_MODE") != "production",
		Level:         logLevel(getenv("SUYUAN_LOG_LEVEL")),
	}, stderr)
	if err != nil {
		return nil, nil, fmt.Errorf("setting up logs: %w", err)
	}
	return logger, closer, nil
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
