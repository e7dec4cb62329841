package graph

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"suyuan/internal/errcode"
	"suyuan/internal/store"
)

// onReplica lets the reads of a query be served by a read replica
// (store.OnReplica): what a query answers may be behind the primary by at
// most the replica lag allowed, and never behind the caller's own writes
// (store.ReadAfter, from the Suyuan-Read-After header). Mutations read
// what they decide on in their transactions, on the primary, and so do
// subscriptions.
func onReplica(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Query {
		ctx = store.OnReplica(ctx)
	}
	return next(ctx)
}

// unavailableKey holds, for a request over HTTP, whether its response
// carries UNAVAILABLE: the database was away, and the response is then
// 503 with Retry-After, so that clients and load balancers that read only
// the status retry it too.
type unavailableKey struct{}

func withUnavailable(r *http.Request) (*http.Request, *atomic.Bool) {
	flag := &atomic.Bool{}
	return r.WithContext(context.WithValue(r.Context(), unavailableKey{}, flag)), flag
}

// markUnavailable notes, for the transport, a response with UNAVAILABLE.
func markUnavailable(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	flag, _ := ctx.Value(unavailableKey{}).(*atomic.Bool)
	if flag == nil {
		return resp
	}
	for _, e := range resp.Errors {
		if code, _ := e.Extensions["code"].(string); code == string(errcode.Unavailable) {
			flag.Store(true)
			break
		}
	}
	return resp
}

// retryAfterSeconds is the Retry-After of an UNAVAILABLE response.
var retryAfterSeconds = strconv.Itoa(int(store.UnavailableRetryAfter.Seconds()))
