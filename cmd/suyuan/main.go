// Command suyuan runs the Suyuan food-traceability service and its tools.
//
// Usage:
//
//	suyuan serve   [flags]   serve the GraphQL API (the default command)
//	suyuan migrate [flags]   create or update the database schema
//	suyuan seed    [flags]   fill a database with a generated data set
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
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
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
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv("SUYUAN_LOG_LEVEL"))}))
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr, getenv, logger)
	case "migrate":
		return migrateCmd(ctx, args, stderr, getenv)
	case "seed":
		return seedCmd(ctx, args, stdout, stderr, getenv)
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

const usage = `usage: suyuan [serve|migrate|seed|help] [flags]

  serve     serve the GraphQL API (the default)
  migrate   create or update the database schema
  seed      fill a database with a generated data set

Run "suyuan COMMAND -h" for a command's flags.`

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
