package graph

import (
	"net/http"
	"time"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	oteltrace "go.opentelemetry.io/otel/trace"

	"suyuan/ent"
	"suyuan/internal/alert"
	"suyuan/internal/auth"
	"suyuan/internal/eventlog"
	"suyuan/internal/metrics"
	"suyuan/internal/recall"
	"suyuan/internal/record"
	"suyuan/internal/trace"
	"suyuan/internal/webhook"
)

// Deps are what the resolvers work with.
type Deps struct {
	Client *ent.Client
	// Log is the recording path that recordings outside Recorder and
	// Recalls (an alert's review) take.
	Log      *eventlog.Log
	Recorder *record.Recorder
	Reader   *trace.Reader
	Auth     *auth.Service
	// Alerts carries new alerts to subscriptions.
	Alerts  *alert.Broker
	Recalls *recall.Service
	// Webhooks registers partner systems' endpoints.
	Webhooks *webhook.Service
	// Now tells the time; nil means time.Now.
	Now func() time.Time
}

// Options configure the GraphQL handler. Zero values take the defaults
// below.
type Options struct {
	// Development turns on introspection and field suggestions.
	Development bool
	// ComplexityLimit bounds the cost of one operation; each connection
	// costs its page size times its children.
	ComplexityLimit int
	// DepthLimit bounds how deeply selections nest.
	DepthLimit int
	// AliasLimit bounds the aliased fields of one operation.
	AliasLimit int
	// FieldLimit bounds the fields an operation selects once its
	// fragments are spread.
	FieldLimit int
	// TokenLimit bounds the lexical tokens of one query.
	TokenLimit int
	// QueryCacheSize is how many parsed and validated queries are kept.
	QueryCacheSize int
	// Metrics counts operations, their latency, errors and statements;
	// nil counts nothing (the request log still names the operation).
	Metrics *metrics.Metrics
	// Tracer makes a span of each operation; nil (tracing off) makes
	// none.
	Tracer oteltrace.Tracer
}

// Defaults of Options.
const (
	// DefaultComplexityLimit admits four nested connections of 20 (176,000
	// nodes, costed about 360,000) and refuses three nested pages of 100
	// (a million nodes).
	DefaultComplexityLimit = 500000
	// DefaultDepthLimit fits five nested connections (Relay's edges and
	// node add two levels to each) and the standard introspection query.
	DefaultDepthLimit = 24
	// DefaultAliasLimit allows aliases for a few variants of a field and
	// refuses the wide aliasing that multiplies one expensive field.
	DefaultAliasLimit = 20
	// DefaultTokenLimit is far above any query the API needs.
	DefaultTokenLimit = 5000
	// DefaultFieldLimit is ten times the standard introspection query.
	DefaultFieldLimit = 5000
)

func (o *Options) setDefaults() {
	if o.ComplexityLimit == 0 {
		o.ComplexityLimit = DefaultComplexityLimit
	}
	if o.DepthLimit == 0 {
		o.DepthLimit = DefaultDepthLimit
	}
	if o.AliasLimit == 0 {
		o.AliasLimit = DefaultAliasLimit
	}
	if o.FieldLimit == 0 {
		o.FieldLimit = DefaultFieldLimit
	}
	if o.TokenLimit == 0 {
		o.TokenLimit = DefaultTokenLimit
	}
	if o.QueryCacheSize == 0 {
		o.QueryCacheSize = 1000
	}
}

// NewHandler builds the GraphQL HTTP handler: transports, caches, limits,
// authentication of root fields, the error presenter, panic recovery and
// per-request dataloaders. It adds to the client the interceptors the
// loaders rely on.
func NewHandler(d Deps, opts Options) http.Handler {
	return checkSockets(newServer(d, opts))
}

// newServer is the GraphQL server of NewHandler without its websocket
// checks in front (tests add their own field middleware to it).
func newServer(d Deps, opts Options) *handler.Server {
	opts.setDefaults()
	d.Client.Batch.Intercept(RecordBatches())
	d.Client.Recall.Intercept(RecordRecalls())
	if d.Now == nil {
		d.Now = time.Now
	}
	res := &Resolver{client: d.Client, log: d.Log, recorder: d.Recorder, reader: d.Reader, auth: d.Auth,
		alerts: d.Alerts, recalls: d.Recalls, hooks: d.Webhooks, now: d.Now}
	es := NewExecutableSchema(Config{Resolvers: res})
	srv := handler.New(pagedComplexity{es})
	readLimit := int64(64 << 10)
	srv.AddTransport(transport.Websocket{
		Implementation:        socketAcceptor{transport.CoderWebsocketImplementation{}},
		InitFunc:              authenticateSocket(d.Auth),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 20 * time.Second,
		PayloadReadLimit:      &readLimit,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(getQuery{tokenLimit: opts.TokenLimit})
	srv.AddTransport(postJSON{})
	srv.AddTransport(refusal{}) // last: answers what no other transport takes
	srv.SetQueryCache(lru.New[*ast.QueryDocument](opts.QueryCacheSize))
	srv.SetParserTokenLimit(opts.TokenLimit)
	if opts.Development {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(NoIntrospection{})
	}
	srv.SetDisableSuggestion(!opts.Development)
	srv.Use(ShapeLimit{Depth: opts.DepthLimit, Aliases: opts.AliasLimit, Fields: opts.FieldLimit})
	srv.Use(PlainText{})
	srv.Use(PageLimit{}) // before the complexity limit, which prices its page sizes
	srv.Use(extension.FixedComplexityLimit(opts.ComplexityLimit, complexity.WithFixedScalarValue(0)))
	srv.AroundRootFields(requireViewer)
	srv.AroundFields(scopeFilters)
	srv.SetErrorPresenter(PresentError)
	srv.SetRecoverFunc(Recover)
	srv.AroundOperations(onReplica)
	srv.AroundOperations(withLoaders(res))
	srv.AroundResponses(markUnavailable)
	srv.Use(Observe{Metrics: opts.Metrics})
	if opts.Tracer != nil {
		srv.Use(traceOperations{tracer: opts.Tracer})
	}
	return srv
}
