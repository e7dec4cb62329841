// Package reqlog carries a request's id and its logger through a context, so
// that every log line of a request names the request and any error a client
// sees can be matched to the server's log.
package reqlog

import (
	"context"
	"log/slog"
)

type ctxKey struct{}

type entry struct {
	id     string
	logger *slog.Logger
}

// With returns a context that carries the request id and a logger that adds
// it to every line.
func With(ctx context.Context, id string, logger *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, entry{id: id, logger: logger.With("request_id", id)})
}

// WithAttrs adds attributes to the context's logger, for facts learned
// during the request (such as who made it).
func WithAttrs(ctx context.Context, args ...any) context.Context {
	e, ok := ctx.Value(ctxKey{}).(entry)
	if !ok {
		return ctx
	}
	e.logger = e.logger.With(args...)
	return context.WithValue(ctx, ctxKey{}, e)
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
