// Command suyuan runs the Suyuan food-traceability service and its tools.
//
// Usage:
//
//	suyuan serve   [flags]   serve the GraphQL API (the default command)
//	suyuan migrate [flags]   create or update the database schema
//	suyuan seed    [flags]   fill a database with a generated data set
//	suyuan screen  [flags]   run every anomaly rule over the history and store alerts
//	suyuan recount [flags]   rebuild the dashboard's counters from the rows they count
//	suyuan admin   [flags]   create the first administrator
//	suyuan backup  [flags]   copy a running SQLite database (docs/OPERATIONS.md)
//	suyuan restore [flags]   put an SQLite backup in place
//	suyuan config  check     print the effective configuration, secrets masked
//	suyuan healthcheck       ask a running server whether it is ready
//	suyuan version           print the version and source revision
//	suyuan help              list the commands
//
// Run "suyuan COMMAND -h" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return // help was asked for, and given
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
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "-h" || a == "-help" || a == "--help":
			cmd, args = "help", args[1:]
		case a != "" && a[0] != '-':
			cmd, args = a, args[1:]
		}
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr, getenv)
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
	case "backup":
		return backupCmd(ctx, args, stdout, stderr, getenv)
	case "restore":
		return restoreCmd(ctx, args, stdout, stderr, getenv)
	case "config":
		return configCmd(ctx, args, stdout, stderr, getenv)
	case "healthcheck":
		return healthcheckCmd(ctx, args, stdout, stderr)
	case "version":
		if len(args) > 0 {
			return fmt.Errorf("version takes no arguments, got %q", args)
		}
		fmt.Fprintln(stdout, version())
		return nil
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// commands lists every command, for the usage text; a test holds it, the
// package comment and run's switch to one another.
var commands = []struct{ name, summary string }{
	{"serve", "serve the GraphQL API (the default command)"},
	{"migrate", "create or update the database schema"},
	{"seed", "fill a database with a generated data set"},
	{"screen", "run every anomaly rule over the history and store alerts"},
	{"recount", "rebuild the dashboard's counters from the rows they count"},
	{"admin", "create the first administrator"},
	{"backup", "copy a running SQLite database (docs/OPERATIONS.md)"},
	{"restore", "put an SQLite backup in place"},
	{"config", "check: print the effective configuration, secrets masked"},
	{"healthcheck", "ask a running server whether it is ready (for containers)"},
	{"version", "print the version and source revision"},
	{"help", "list the commands"},
}

var usage = func() string {
	s := "usage: suyuan [COMMAND] [flags]\n\nCommands:\n"
	for _, c := range commands {
		s += fmt.Sprintf("  %-11s  %s\n", c.name, c.summary)
	}
	return s + "\nWithout a command, suyuan serves. Run \"suyuan COMMAND -h\" for a command's flags\nand environment variables."
}()

// version describes the build: the module version, the source revision and
// its time (when built from a checkout), and the Go version.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "suyuan (no build information)"
	}
	s := "suyuan " + info.Main.Version
	var rev, at, modified string
	for _, kv := range info.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			at = kv.Value
		case "vcs.modified":
			if kv.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	if rev != "" {
		s += " revision " + rev + modified
		if at != "" {
			s += " of " + at
		}
	}
	return s + " " + info.GoVersion
}
