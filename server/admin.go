package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"suyuan/internal/metrics"
)

// AdminHandler serves what operators, not clients, read: /metrics in
// Prometheus's format and the Go profiler under /debug/pprof/. It belongs
// on an address of its own (serve's --admin-addr, loopback by default),
// never on the public one: profiles tell how the server works inside,
// and a CPU profile costs the server while it runs.
//
// The profiler's cmdline page is left out: the command line may carry a
// database password (--db mysql://user:pass@…).
func AdminHandler(m *metrics.Metrics, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		EnableOpenMetrics: true,
	}))
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Suyuan admin: /metrics, /debug/pprof/\n")
	})
	return mux
}

// ServeAdmin serves h (AdminHandler) on ln until ctx ends, then closes
// it. Profiles are streamed for as long as asked (?seconds=), so the write
// timeout leaves room for a 60-second CPU profile or trace.
func ServeAdmin(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving the admin address: %w", err)
	case <-ctx.Done():
	}
	// Nothing on the admin address is worth holding a shutdown for.
	hs.Close()
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving the admin address: %w", err)
	}
	return nil
}
