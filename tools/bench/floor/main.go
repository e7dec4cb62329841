// Command floor is the yardstick of docs/BENCHMARKS.md: a minimal
// net/http server answering the consumer trace's content for a code
// straight from SQL, with statements prepared once for the process and
// encoding/json, and serving a fixed byte slice for consumer pages. It is
// never deployed; tools/bench/sidebyside.sh runs it beside the service.
//
//	go run ./tools/bench/floor -db /tmp/city.db -addr 127.0.0.1:18182
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"suyuan/internal/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	dsn := fs.String("db", "", "the service's database: an SQLite path or a MySQL DSN")
	addr := fs.String("addr", "127.0.0.1:18182", "listen address")
	pageBytes := fs.Int("page-bytes", 6000, "size of the fixed consumer page, about that of a real one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// store.Open gives the same driver settings (WAL, pragmas, UTC times)
	// and pool size as the service.
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := newFloor(ctx, db.SQL, bytes.Repeat([]byte("x"), *pageBytes))
	if err != nil {
		return err
	}
	hs := &http.Server{Addr: *addr, Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Shutdown(context.Background())
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
