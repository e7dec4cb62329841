package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"suyuan/internal/errcode"
	"suyuan/internal/viewer"
)

// public reports whether anyone may use a root field: the consumer's
// trace, the ways to log in, and introspection (which production turns off
// on its own).
func public(field string) bool {
	switch field {
	case "trace", "login", "refreshToken", "logout", "__typename", "__schema", "__type":
		return true
	}
	return false
}

// requireViewer refuses every other root field to anonymous callers with
// UNAUTHENTICATED, before its resolver runs. Which rows an authenticated
// caller sees is decided in the data layer (internal/tenancy).
func requireViewer(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if onSocket(ctx) && graphql.GetOperationContext(ctx).Operation.Operation != ast.Subscription {
		// A socket keeps the viewer it was opened with; changes go over
		// HTTP, where every request shows its credentials afresh.
		graphql.AddError(ctx, errcode.New(errcode.BadUserInput, "only subscriptions run over a websocket; send queries and mutations over HTTP"))
		return graphql.Null
	}
	if fc == nil || public(fc.Field.Name) || viewer.FromContext(ctx) != nil {
		return next(ctx)
	}
	graphql.AddError(ctx, errcode.New(errcode.Unauthenticated, "log in, or send an API key, to use %s", fc.Field.Name))
	return graphql.Null
}
