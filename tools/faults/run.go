package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"suyuan/tools/internal/demoapi"
)

// window is the stretch of the run a fault owns: from its start to the
// next fault's start (or the end of the load).
type window struct {
	name     string
	start    time.Time
	restored time.Time // when the fault was undone
	end      time.Time
	err      error // the fault could not be made or undone
	// restartedServers names servers whose process changed during a
	// database fault: they should recover without one.
	restartedServers []string
}

// fault breaks something and mends it, returning when it is mended.
type fault struct {
	id     string // as -faults names it
	name   string
	db     bool // a database fault, during which no server may restart
	break_ func(ctx context.Context) error
	mend   func(ctx context.Context) error
}

type faultRun struct {
	c      config
	load   *load
	faults []fault
	log    io.Writer
}

func newRun(ctx context.Context, c config, log io.Writer) (*faultRun, error) {
	proxy := demoapi.New(c.proxy, requestTimeout)
	tokens, err := demoapi.LoginAll(ctx, proxy, demoapi.Regulator, demoapi.Slaughterhouse, demoapi.Carrier, demoapi.Supermarket, demoapi.Laboratory)
	if err != nil {
		return nil, fmt.Errorf("is the cluster up (tools/cluster/up)? %w", err)
	}
	demo, err := demoapi.FindDemo(ctx, proxy, tokens)
	if err != nil {
		return nil, err
	}
	var p struct{ Node struct{ Gtin string } }
	if err := proxy.As(tokens[demoapi.Slaughterhouse]).Must(ctx, &p, `query($id: ID!) { node(id: $id) { ... on Product { gtin } } }`,
		map[string]any{"id": demo.Product}); err != nil {
		return nil, fmt.Errorf("reading the demo product's GTIN: %w", err)
	}
	r := &faultRun{c: c, log: log}
	r.load = &load{
		proxy:     proxy,
		plant:     proxy.As(tokens[demoapi.Slaughterhouse]),
		regulator: proxy.As(tokens[demoapi.Regulator]),
		demo:      demo,
		gtin:      p.Node.Gtin,
		// Lot codes are unique per product: each run's begin with its own
		// stamp (base 36 seconds, 6 characters).
		runID:  strings.ToUpper(strconv.FormatInt(time.Now().Unix()%2176782336, 36)),
		ledger: &ledger{samples: log},
	}
	node := func(action, name string) func(context.Context) error {
		return func(ctx context.Context) error { return r.script(ctx, "node", action, name) }
	}
	hold := func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.hold):
			return nil
		}
	}
	then := func(fs ...func(context.Context) error) func(context.Context) error {
		return func(ctx context.Context) error {
			for _, f := range fs {
				if err := f(ctx); err != nil {
					return err
				}
			}
			return nil
		}
	}
	r.faults = append(r.faults, fault{id: "serve-kill", name: "serve-2 killed (SIGKILL), started again after " + c.hold.String(),
		break_: node("kill", "serve-2"), mend: then(hold, node("start", "serve-2"))})
	if c.galera {
		r.faults = append(r.faults, fault{id: "galera-kill", name: "serve-2's Galera node killed (SIGKILL), brought back after " + c.hold.String(), db: true,
			break_: r.killGaleraNode, mend: then(hold, r.galeraUp)})
	} else {
		r.faults = append(r.faults,
			fault{id: "primary-stop", name: "primary stopped for " + c.hold.String() + " and started again", db: true,
				break_: node("stop", "primary"), mend: then(hold, node("start", "primary"))},
			fault{id: "primary-kill", name: "primary killed (SIGKILL), started again after " + c.hold.String(), db: true,
				break_: node("kill", "primary"), mend: then(hold, node("start", "primary"))},
			fault{id: "replica-stop", name: "replica-1 stopped for " + c.hold.String() + " and started again", db: true,
				break_: node("stop", "replica-1"), mend: then(hold, node("start", "replica-1"))})
	}
	r.faults = append(r.faults, fault{id: "rolling", name: "rolling restart of the three servers (SIGTERM, drained)",
		break_: func(ctx context.Context) error { return r.script(ctx, "restart") },
		mend:   func(context.Context) error { return nil }})
	if c.only != "" {
		want := map[string]bool{}
		for _, id := range strings.Split(c.only, ",") {
			want[strings.TrimSpace(id)] = true
		}
		var kept []fault
		for _, f := range r.faults {
			if want[f.id] {
				kept = append(kept, f)
				delete(want, f.id)
			}
		}
		for id := range want {
			return nil, fmt.Errorf("-faults: no fault %q here", id)
		}
		r.faults = kept
	}
	return r, nil
}

// script runs one of the cluster's scripts, its output to the log.
func (r *faultRun) script(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(r.c.tools, name), args...)
	cmd.Env = append(os.Environ(), "SUYUAN_CLUSTER_DIR="+r.c.clusterDir)
	cmd.Stdout, cmd.Stderr = r.log, r.log
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// killGaleraNode kills the mariadbd of the Galera node serve-2 uses, found
// by the port in its DSN.
func (r *faultRun) killGaleraNode(ctx context.Context) error {
	dsn, err := os.ReadFile(filepath.Join(r.c.clusterDir, "serve-2.db"))
	if err != nil {
		return err
	}
	port := regexp.MustCompile(`127\.0\.0\.1:([0-9]+)`).FindStringSubmatch(string(dsn))
	if port == nil {
		return fmt.Errorf("no loopback port in serve-2's database %q", dsn)
	}
	out, err := exec.CommandContext(ctx, "fuser", "-k", "-KILL", port[1]+"/tcp").CombinedOutput()
	if err != nil {
		return fmt.Errorf("killing the Galera node on %s: %w: %s", port[1], err, out)
	}
	return nil
}

func (r *faultRun) galeraUp(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, filepath.Join(r.c.tools, "galera.sh"), "up", filepath.Join(r.c.clusterDir, "galera"))
	cmd.Stdout, cmd.Stderr = r.log, r.log
	return cmd.Run()
}

// serverPIDs reads the servers' pid files.
func (r *faultRun) serverPIDs() map[string]string {
	pids := map[string]string{}
	for _, s := range []string{"serve-1", "serve-2", "serve-3"} {
		b, _ := os.ReadFile(filepath.Join(r.c.clusterDir, s+".pid"))
		pids[s] = strings.TrimSpace(string(b))
	}
	return pids
}

// execute runs the load and, within it, the faults one after another.
func (r *faultRun) execute(ctx context.Context) (*result, error) {
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	for i := range r.c.writers {
		wg.Go(func() { r.load.writer(ctx, loadCtx, i, 400*time.Millisecond) })
	}
	for _, rd := range []struct {
		kind  string
		every time.Duration
	}{{"trace", 150 * time.Millisecond}, {"page", 120 * time.Millisecond}, {"lot-page", 150 * time.Millisecond}, {"read", 300 * time.Millisecond}} {
		wg.Go(func() { r.load.reader(loadCtx, rd.kind, rd.every) })
	}

	began := time.Now()
	var windows []*window
	warm := &window{name: "steady load, no fault", start: began}
	windows = append(windows, warm)
	wait := func(d time.Duration) {
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
	wait(r.c.gap)
	for _, f := range r.faults {
		if ctx.Err() != nil {
			break
		}
		w := &window{name: f.name, start: time.Now()}
		windows[len(windows)-1].end = w.start
		windows = append(windows, w)
		fmt.Fprintf(r.log, "%s fault: %s\n", w.start.Format("15:04:05.000"), f.name)
		before := r.serverPIDs()
		w.err = f.break_(ctx)
		if w.err == nil {
			w.err = f.mend(ctx)
		}
		w.restored = time.Now()
		if f.db {
			after := r.serverPIDs()
			for s, pid := range before {
				if after[s] != pid {
					w.restartedServers = append(w.restartedServers, s)
				}
			}
		}
		fmt.Fprintf(r.log, "%s mended: %s (%v)\n", w.restored.Format("15:04:05.000"), f.name, w.err)
		wait(r.c.gap)
	}
	if rest := r.c.duration - time.Since(began); rest > 0 && ctx.Err() == nil {
		after := &window{name: "steady load after the faults", start: time.Now()}
		windows[len(windows)-1].end = after.start
		windows = append(windows, after)
		wait(rest)
	}
	stopLoad()
	wg.Wait()
	windows[len(windows)-1].end = time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("the run's time limit (-timeout %s) ended it: %w", r.c.timeout, err)
	}
	res := &result{windows: windows, ledger: r.load.ledger, began: began, ended: time.Now()}
	if err := res.verify(ctx, r.c, r.load); err != nil {
		return nil, err
	}
	return res, nil
}
