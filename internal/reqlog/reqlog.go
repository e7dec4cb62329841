// Package reqlog carries a request's id and its logger through a context, so
// that every log line of a request names the request and any error a client
// sees can be matched to the server's log.
package reqlog

import (
	"context"
	"log/slog"
	"sync"
)

type ctxKey struct{}

type entry struct {
	id     string
	logger *slog.Logger
	facts  *facts // shared by every context derived from the request's
}

// facts are the attributes learned during a request, kept for the line that
// ends it, which is written with the context the request began with.
type facts struct {
	mu    sync.Mutex
	attrs []any
}

// With returns a context that carries the request id and a logger that adds
// it to every line.
func With(ctx context.Context, id string, logger *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, entry{id: id, logger: logger.With("request_id", id), facts: &facts{}})
}

// WithAttrs adds attributes to the context's logger, for facts learned
// during the request (such as who made it). They are also kept for
// Attrs, so that the request's last line names them.
func WithAttrs(ctx context.Context, args ...any) context.Context {
	e, ok := ctx.Value(ctxKey{}).(entry)
	if !ok {
		return ctx
	}
	e.logger = e.logger.With(args...)
	if e.facts != nil {
		e.facts.mu.Lock()
		e.facts.attrs = append(e.facts.attrs, args...)
		e.facts.mu.Unlock()
	}
	return context.WithValue(ctx, ctxKey{}, e)
}

// Attrs returns the attributes added with WithAttrs to any context derived
// from the one With returned, in the order they were added.
func Attrs(ctx context.Context) []any {
	e, ok := ctx.Value(ctxKey{}).(entry)
	if !ok || e.facts == nil {
		return nil
	}
	e.facts.mu.Lock()
	defer e.facts.mu.Unlock()
	return append([]any(nil), e.facts.attrs...)
}

// ID returns the request id, or "" outside a request.
func ID(ctx context.Context) string {
	e, _ := ctx.Value(ctxKey{}).(entry)
	return e.id
}

// Logger returns the request's logger, or slog.Default outside a request.
func Logger(ctx context.Context) *slog.Logger {
	if e, ok := ctx.Value(ctxKey{}).(entry); ok {
		return e.logger
	}
	return slog.Default()
}
