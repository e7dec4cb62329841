package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// traceOperations makes a span of every GraphQL operation, a child of the
// request's, under which its SQL statements' spans nest. The server adds
// it only when tracing is on.
type traceOperations struct {
	tracer trace.Tracer
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = traceOperations{}

func (traceOperations) ExtensionName() string                          { return "TraceOperations" }
func (traceOperations) Validate(schema graphql.ExecutableSchema) error { return nil }

func (t traceOperations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	name, typ := oc.OperationName, "invalid"
	if oc.Operation != nil {
		name, typ = oc.Operation.Name, string(oc.Operation.Operation)
	}
	spanName := "graphql " + typ
	if name != "" {
		spanName += " " + name
	}
	ctx, span := t.tracer.Start(ctx, spanName, trace.WithAttributes(
		attribute.String("graphql.operation.name", name),
		attribute.String("graphql.operation.type", typ),
	))
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp == nil {
			// The end of a subscription's stream.
			span.End()
			return nil
		}
		if len(resp.Errors) > 0 {
			span.SetStatus(codes.Error, resp.Errors[0].Message)
			for _, e := range resp.Errors {
				if c, ok := e.Extensions["code"].(string); ok {
					span.AddEvent("graphql.error", trace.WithAttributes(attribute.String("code", c)))
				}
			}
		}
		if typ != "subscription" {
			span.End()
		}
		return resp
	}
}
