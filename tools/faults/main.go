// Command faults drives a mixed load of recordings and reads through the
// loopback cluster's HAProxy (tools/cluster/up) while it breaks the
// cluster, one fault at a time:
//
//   - a server killed with SIGKILL, then started again;
//   - the MariaDB primary stopped and started again, then killed with
//     SIGKILL and started again (the servers are not restarted);
//   - a replica stopped, then started again;
//   - a rolling restart of the three servers (tools/cluster/restart);
//   - with -galera, a Galera node killed with SIGKILL, then brought back.
//
// It records every recording the service acknowledged, and at the end
// checks that each is in the primary's database, that no stock went
// negative and that every lot of the run balances (what is left at the
// plant and what was shipped add up to what was made). It reports, for
// each fault, the requests that failed by HTTP status and error code, how
// long after the fault was undone the last one failed, and whether any
// hung or answered INTERNAL. Everything is on 127.0.0.1 and bounded by
// -timeout.
//
//	go run ./tools/faults -duration 3m
//	go run ./tools/faults -short          # about a minute, for CI
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
}

type config struct {
	proxy      string
	clusterDir string
	tools      string
	duration   time.Duration
	timeout    time.Duration
	hold       time.Duration
	gap        time.Duration
	writers    int
	galera     bool
	strict     bool
	only       string
}

func run(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	var c config
	short := false
	defDir := os.Getenv("SUYUAN_CLUSTER_DIR")
	if defDir == "" {
		defDir = "/tmp/suyuan-cluster"
	}
	fs.StringVar(&c.proxy, "url", "http://127.0.0.1:18180", "HAProxy in front of the servers")
	fs.StringVar(&c.clusterDir, "dir", defDir, "the cluster's directory (SUYUAN_CLUSTER_DIR of tools/cluster/up)")
	fs.StringVar(&c.tools, "tools", "tools/cluster", "directory of the cluster's scripts (node, restart)")
	fs.DurationVar(&c.duration, "duration", 3*time.Minute, "how long the load runs at least; the faults run within it")
	fs.DurationVar(&c.timeout, "timeout", 0, "hard limit of the whole run (default: duration plus 3 minutes)")
	fs.DurationVar(&c.hold, "hold", 5*time.Second, "how long a stopped piece stays stopped")
	fs.DurationVar(&c.gap, "gap", 15*time.Second, "quiet load between one fault's end and the next fault")
	fs.IntVar(&c.writers, "writers", 4, "concurrent recorders")
	fs.BoolVar(&c.galera, "galera", false, "the cluster runs on Galera (tools/cluster/up --galera): kill a node instead of the primary and replica faults")
	fs.StringVar(&c.only, "faults", "", "comma-separated faults to make, of serve-kill, primary-stop, primary-kill, replica-stop, rolling (galera-kill with -galera); none: all")
	fs.BoolVar(&short, "short", false, "a short run for CI: -duration 75s -hold 3s -gap 6s")
	fs.BoolVar(&c.strict, "strict", true, "fail when a write is lost, a stock is negative, a request hangs or answers INTERNAL, or the rolling restart fails a request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if short {
		c.duration, c.hold, c.gap = 75*time.Second, 3*time.Second, 6*time.Second
	}
	if c.timeout == 0 {
		c.timeout = c.duration + 3*time.Minute
	}
	var err error
	if c.tools, err = filepath.Abs(c.tools); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r, err := newRun(ctx, c, errOut)
	if err != nil {
		return err
	}
	res, err := r.execute(ctx)
	if err != nil {
		return err
	}
	res.write(out, c)
	if problems := res.problems(); c.strict && len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
