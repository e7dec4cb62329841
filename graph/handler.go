package graph

import (
	"net/http"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"suyuan/ent"
	"suyuan/internal/record"
	"suyuan/internal/trace"
)

// Options configure the GraphQL handler.
type Options struct {
	// Development turns on introspection and field suggestions.
	Development bool
	// ComplexityLimit bounds the cost of one operation; each connection
	// costs its page size times its children.
	ComplexityLimit int
	// QueryCacheSize is how many parsed and validated queries are kept.
	QueryCacheSize int
}

// DefaultComplexityLimit admits four nested connections of 20 (176,000
// nodes, costed about 360,000) and refuses three nested pages of 100 (a
// million nodes).
const DefaultComplexityLimit = 500000

// NewHandler builds the GraphQL HTTP handler over client: transports,
// caches, limits, the error presenter, panic recovery and per-request
// dataloaders. It adds to client the interceptor the loaders rely on.
func NewHandler(client *ent.Client, recorder *record.Recorder, reader *trace.Reader, opts Options) http.Handler {
	client.Batch.Intercept(RecordBatches())
	if opts.ComplexityLimit == 0 {
		opts.ComplexityLimit = DefaultComplexityLimit
	}
	if opts.QueryCacheSize == 0 {
		opts.QueryCacheSize = 1000
	}
	es := NewExecutableSchema(Config{Resolvers: NewResolver(client, recorder, reader)})
	srv := handler.New(pagedComplexity{es})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(DefaultPageCache{lru.New[*ast.QueryDocument](opts.QueryCacheSize)})
	if opts.Development {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(NoIntrospection{})
	}
	srv.SetDisableSuggestion(!opts.Development)
	srv.Use(PageLimit{})
	srv.Use(extension.FixedComplexityLimit(opts.ComplexityLimit, complexity.WithFixedScalarValue(0)))
	srv.SetErrorPresenter(PresentError)
	srv.SetRecoverFunc(Recover)
	return WithLoaders(reader, srv)
}
