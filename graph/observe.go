package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"suyuan/internal/metrics"
	"suyuan/internal/reqlog"
	"suyuan/internal/store"
)

// Observe tells the request log and the metrics of every GraphQL
// response: the operation's name and type, how long it took, its error
// codes and the SQL statements issued for it.
type Observe struct {
	Metrics *metrics.Metrics
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = Observe{}

func (Observe) ExtensionName() string                          { return "Observe" }
func (Observe) Validate(schema graphql.ExecutableSchema) error { return nil }

func (o Observe) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	name, typ := oc.OperationName, "invalid"
	if oc.Operation != nil {
		name, typ = oc.Operation.Name, string(oc.Operation.Operation)
	}
	var codes []string
	if resp != nil {
		for _, e := range resp.Errors {
			code := "UNKNOWN"
			if c, ok := e.Extensions["code"]; ok {
				code = fmt.Sprint(c)
			}
			codes = append(codes, code)
		}
	}
	var took time.Duration
	if start := oc.Stats.OperationStart; !start.IsZero() {
		took = time.Since(start)
	}
	statements := store.TallyOf(ctx).Count()
	if typ != string(ast.Subscription) {
		// A subscription's events share its websocket's one request
		// line; an operation's name and statements belong on a request's.
		label := name
		if label == "" {
			label = metrics.AnonymousOperation
		}
		reqlog.WithAttrs(ctx, "operation", label, "operation_type", typ)
	}
	o.Metrics.Operation(name, typ, took, codes, statements)
	return resp
}
