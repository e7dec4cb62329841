package graph

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"suyuan/ent"
	"suyuan/ent/privacy"
	"suyuan/internal/errcode"
	"suyuan/internal/reqlog"
	"suyuan/internal/store"
)

// errPanic marks an error recovered from a panic in a resolver.
var errPanic = errors.New("panic in resolver")

// Recover turns a panic in a resolver into an internal error, logged with
// its stack, so that one bad request cannot take the server down.
func Recover(ctx context.Context, v any) error {
	reqlog.Logger(ctx).ErrorContext(ctx, "panic in resolver",
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	return fmt.Errorf("%w: %v", errPanic, v)
}

// PresentError is the error presenter: every error leaves with a code from
// the registry (errcode), a message safe to show, and, for input errors, the
// field. Errors not raised on purpose become INTERNAL with the request id,
// and their cause goes to the log only: no SQL, no paths, no stack traces
// reach the client.
func PresentError(ctx context.Context, err error) *gqlerror.Error {
	out := present(ctx, err)
	if out.Path == nil {
		out.Path = graphql.GetPath(ctx)
	}
	return out
}

func present(ctx context.Context, err error) *gqlerror.Error {
	var (
		coded *errcode.Error
		gqlE  *gqlerror.Error
		valE  *ent.ValidationError
	)
	switch {
	case errors.As(err, &coded):
		if coded.Code == errcode.Unavailable {
			// The cause (a refused connection, a lost certification) is
			// for the operator, not the client.
			reqlog.Logger(ctx).WarnContext(ctx, "database unavailable", "error", err.Error())
		}
		out := newError(coded.Code, coded.Message)
		if coded.Field != "" {
			out.Extensions["field"] = coded.Field
		}
		if coded.RetryAfter > 0 {
			// Whole seconds, rounded up, as in an HTTP Retry-After.
			out.Extensions["retryAfter"] = int((coded.RetryAfter + time.Second - 1) / time.Second)
		}
		if errors.As(err, &gqlE) && gqlE.Path != nil {
			out.Path = gqlE.Path
		}
		return out
	case errors.As(err, &valE):
		out := newError(errcode.BadUserInput, "invalid value for "+camel(valE.Name))
		out.Extensions["field"] = camel(valE.Name)
		return out
	case errors.Is(err, privacy.Deny):
		return newError(errcode.Forbidden, "you may not read this")
	case ent.IsNotFound(err):
		return newError(errcode.NotFound, "not found")
	case ent.IsConstraintError(err):
		return newError(errcode.Conflict, "the change conflicts with existing data")
	case store.Unavailable(err):
		// What the store's driver did not already answer as UNAVAILABLE
		// (statements on the pool itself).
		reqlog.Logger(ctx).WarnContext(ctx, "database unavailable", "error", err.Error())
		out := newError(errcode.Unavailable, "the database is not available just now; try again shortly")
		out.Extensions["retryAfter"] = int(store.UnavailableRetryAfter.Seconds())
		return out
	case errors.Is(err, context.DeadlineExceeded):
		return newError(errcode.Timeout, "the request took too long and was stopped")
	case errors.Is(err, context.Canceled):
		return newError(errcode.Timeout, "the request was cancelled")
	case errors.As(err, &gqlE):
		return presentGraphQL(ctx, gqlE)
	}
	return internal(ctx, err)
}

// presentGraphQL handles the errors gqlgen wraps: its own (parsing,
// validation), entgql's (pagination), argument coercion, and resolver
// errors it has wrapped with their location.
func presentGraphQL(ctx context.Context, e *gqlerror.Error) *gqlerror.Error {
	if e.Err == nil {
		// Raised by gqlgen, gqlparser or entgql themselves: the message
		// describes the query, not the server.
		out := &gqlerror.Error{Message: e.Message, Path: e.Path, Locations: e.Locations, Rule: e.Rule, Extensions: map[string]any{}}
		for k, v := range e.Extensions {
			out.Extensions[k] = v
		}
		code, _ := e.Extensions["code"].(string)
		if code == string(errcode.GraphQLParseFailed) && strings.Contains(e.Message, "token limit") {
			code = string(errcode.TokenLimitExceeded)
			out.Extensions["code"] = code
		}
		switch code {
		case string(errcode.GraphQLParseFailed), string(errcode.GraphQLValidationFailed),
			string(errcode.ComplexityLimitExceeded), string(errcode.PageSizeExceeded),
			string(errcode.DepthLimitExceeded), string(errcode.AliasLimitExceeded), string(errcode.TokenLimitExceeded):
		default: // entgql's INVALID_PAGINATION, and uncoded errors about the query
			out.Extensions["code"] = string(errcode.BadUserInput)
		}
		return out
	}
	if field, ok := argumentPath(ctx, e.Path); ok {
		// An argument that could not be coerced. The cause may be a
		// decoder's internals, so only the argument is named.
		code, msg := errcode.BadUserInput, "invalid value for "+field
		if last := lastName(e.Path); last == "after" || last == "before" {
			code, msg = errcode.InvalidCursor, "invalid cursor"
		}
		out := newError(code, msg)
		out.Extensions["field"] = field
		out.Path, out.Locations = e.Path, e.Locations
		return out
	}
	return internal(ctx, e)
}

// argumentPath reports whether an error's path reaches below the field
// being resolved, as the path of an argument does, and returns the
// argument's path ("input.producedAt" is reported as "producedAt", as the
// recording operations name their fields).
func argumentPath(ctx context.Context, p ast.Path) (string, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return "", false
	}
	own := fc.Path()
	if len(p) <= len(own) {
		return "", false
	}
	var parts []string
	for _, el := range p[len(own):] {
		switch v := el.(type) {
		case ast.PathName:
			parts = append(parts, string(v))
		case ast.PathIndex:
			parts = append(parts, strconv.Itoa(int(v)))
		}
	}
	if len(parts) > 1 && parts[0] == "input" {
		parts = parts[1:]
	}
	return strings.Join(parts, "."), true
}

// internal logs err with its cause and returns what the client may see.
func internal(ctx context.Context, err error) *gqlerror.Error {
	id := reqlog.ID(ctx)
	path := graphql.GetPath(ctx)
	reqlog.Logger(ctx).ErrorContext(ctx, "internal error", "error", err.Error(), "path", path.String())
	msg := "internal error"
	if id != "" {
		msg += "; reference " + id
	}
	out := newError(errcode.Internal, msg)
	if id != "" {
		out.Extensions["requestId"] = id
	}
	return out
}

func newError(code errcode.Code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": string(code)}}
}

func lastName(p ast.Path) string {
	for i := len(p) - 1; i >= 0; i-- {
		if n, ok := p[i].(ast.PathName); ok {
			return string(n)
		}
	}
	return ""
}

// camel turns an Ent column name (license_no) into the GraphQL field name
// (licenseNo).
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] == "id" {
			parts[i] = "ID"
			continue
		}
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
