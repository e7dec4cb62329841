// Package server is Suyuan's HTTP front: routes, middleware (request ids,
// logging, panic recovery, body and time limits), health checks and the
// GraphQL endpoint.
package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	oteltrace "go.opentelemetry.io/otel/trace"

	"suyuan/graph"
	"suyuan/internal/alert"
	"suyuan/internal/auth"
	"suyuan/internal/document"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/idempotency"
	"suyuan/internal/metrics"
	"suyuan/internal/recall"
	"suyuan/internal/record"
	"suyuan/internal/reqlog"
	"suyuan/internal/scan"
	"suyuan/internal/store"
	"suyuan/internal/trace"
	"suyuan/internal/tracing"
	"suyuan/internal/webhook"
	"suyuan/server/consumer"
	"suyuan/server/dashboard"
	"suyuan/server/epcis"
	"suyuan/server/playground"
)

// Config configures the HTTP server.
type Config struct {
	// Addr is the listen address, such as ":8080".
	Addr string
	// Development serves the playground and allows introspection.
	Development bool
	// BodyLimit bounds a request body in bytes.
	BodyLimit int64
	// RequestTimeout bounds the work done for one request.
	RequestTimeout time.Duration
	// ComplexityLimit bounds the cost of one GraphQL operation.
	ComplexityLimit int
	// Logger receives access and error logs.
	Logger *slog.Logger
	// PublicBaseURL is where consumers reach the server; QR codes and
	// consumer links are absolute URLs on it (default
	// consumer.DefaultPublicBaseURL).
	PublicBaseURL string
	// Scans records consumer page views; nil records none. The caller
	// runs it (scan.Recorder.Run).
	Scans *scan.Recorder
	// PageCacheTTL is how long consumer pages are cached (0: the default;
	// negative: no cache).
	PageCacheTTL time.Duration
	// Keys sign and verify access tokens.
	Keys *auth.KeySet
	// HashConcurrency bounds how many password hashes run at once.
	HashConcurrency int
	// RateLimit is how many API requests one caller may make per minute
	// (0: the default; negative: no limit, for load tests).
	RateLimit int
	// PageRateLimit is the same for consumer pages and QR images.
	PageRateLimit int
	// TrustedProxies are the address prefixes (CIDR) of reverse proxies
	// whose X-Forwarded-For names the client; empty means clients connect
	// directly.
	TrustedProxies []string
	// DepthLimit, AliasLimit and TokenLimit bound the shape of a GraphQL
	// query (0: the defaults of package graph).
	DepthLimit, AliasLimit, TokenLimit int
	// Alerts carries the alerts the changes of Log raised — recordings,
	// recalls, the background screener, on this server or another — to
	// subscriptions; nil makes one.
	Alerts *alert.Broker
	// Now tells the time to logins, tokens and their checks; nil is
	// time.Now (tests move a clock of their own).
	Now func() time.Time
	// Log is the recording path and its outbox; nil makes one for the
	// server alone. A server sharing its database with others runs the
	// log's follower (eventlog.Follower), so that their changes reach its
	// page cache too.
	Log *eventlog.Log
	// Metrics counts requests, operations, statements, page-cache results
	// and alerts; nil counts nothing. They are served by AdminHandler on
	// an address of their own, never by Handler.
	Metrics *metrics.Metrics
	// Redis, when set, keeps the rate limits' counts, so that every
	// server using it counts a caller's requests together; nil counts in
	// this server's memory. RedisPrefix begins its keys (default
	// "suyuan:"), to share one Redis between deployments.
	Redis       redis.UniversalClient
	RedisPrefix string
	// WebhookGuard decides where webhooks may deliver; nil refuses
	// loopback, private and link-local addresses unless Development.
	// The deliverer (webhook.Deliverer) runs beside the server, given
	// the same guard.
	WebhookGuard *webhook.Guard
	// MaxDocumentSize bounds an uploaded document, in bytes (0: the
	// default).
	MaxDocumentSize int64
	// Documents keeps uploaded documents' bytes; nil keeps them in the
	// database.
	Documents *document.Store
	// Tracer makes spans of requests and GraphQL operations (and the
	// store, given the same tracer, of SQL statements); nil, the default,
	// traces nothing and costs nothing. With a tracer, a request's id is
	// its trace id, so that a log line leads to its trace.
	Tracer oteltrace.Tracer
	// Drain is how long Serve, once told to stop, keeps answering with
	// /readyz failing before it stops taking connections: a load balancer
	// checking /readyz takes the server out meanwhile, so that no request
	// meets a closed port or a closing connection (0: stop at once).
	Drain time.Duration
}

// Defaults for Config's zero values.
const (
	DefaultAddr           = ":8080"
	DefaultBodyLimit      = 4 << 20
	DefaultRequestTimeout = 30 * time.Second
	// DefaultRateLimit per caller and minute is far above what a person or
	// a well-behaved integration sends, and far below a flood.
	DefaultRateLimit       = 1200
	DefaultPageRateLimit   = 6000
	DefaultHashConcurrency = 4
	// DefaultMaxDocumentSize is far above a scanned certificate or a
	// laboratory's report, and small enough to keep in memory while it
	// is checked.
	DefaultMaxDocumentSize = 10 << 20
)

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.PageRateLimit == 0 {
		c.PageRateLimit = DefaultPageRateLimit
	}
	if c.HashConcurrency == 0 {
		c.HashConcurrency = DefaultHashConcurrency
	}
	if c.Alerts == nil {
		c.Alerts = alert.NewBroker()
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = "suyuan:"
	}
	if c.WebhookGuard == nil {
		c.WebhookGuard = &webhook.Guard{Production: !c.Development}
	}
	if c.MaxDocumentSize == 0 {
		c.MaxDocumentSize = DefaultMaxDocumentSize
	}
}

// Server serves Suyuan over HTTP.
type Server struct {
	cfg       Config
	db        *store.DB
	reader    *trace.Reader
	auth      *auth.Service
	recorder  *record.Recorder
	documents *document.Store
	handler   http.Handler
	draining  atomic.Bool
}

// New builds the server's routes over db.
func New(db *store.DB, cfg Config) *Server {
	cfg.setDefaults()
	if cfg.Log == nil {
		cfg.Log = eventlog.New(db.Client, nil)
		if db.Replicas != nil {
			cfg.Log.TrackPositions(db.Position)
		}
	}
	cfg.Alerts.Follow(cfg.Log, db.Client)
	keys := cfg.Keys
	if keys == nil {
		keys = auth.DerivedKeySet("")
	}
	s := &Server{
		cfg:    cfg,
		db:     db,
		reader: trace.NewReader(db.Client, nil),
		auth:   auth.NewService(db.Client, db.Dialect, keys, auth.NewHasher(cfg.HashConcurrency), cfg.Now),
	}
	if cfg.Metrics != nil {
		cfg.Alerts.CountWith(cfg.Metrics.AlertRaised)
	}
	if db.Replicas != nil {
		cfg.Metrics.WatchReplicas(func() []metrics.Replica {
			var out []metrics.Replica
			for _, st := range db.Replicas.States() {
				out = append(out, metrics.Replica{Name: st.Name, Up: st.Healthy, Lag: st.Lag})
			}
			return out
		})
	}
	// One recorder for GraphQL, EPCIS capture and documents: one
	// recording path.
	recorder := record.New(db.Client, cfg.Log)
	s.recorder = recorder
	s.documents = cfg.Documents
	if s.documents == nil {
		// Without a directory nothing can fail.
		s.documents, _ = document.NewStore(db.Client, "")
	}
	idempotent := idempotency.NewStore(db.Client, nil)
	hooks := webhook.NewService(db.Client, cfg.Log, cfg.WebhookGuard)
	gql := graph.NewHandler(graph.Deps{
		Webhooks: hooks,
		Client:   db.Client,
		Log:      cfg.Log,
		Recorder: recorder,
		Reader:   s.reader,
		Auth:     s.auth,
		Alerts:   cfg.Alerts,
		Recalls:  recall.New(db.Client, cfg.Log, s.reader),
	}, graph.Options{
		Development:     cfg.Development,
		ComplexityLimit: cfg.ComplexityLimit,
		DepthLimit:      cfg.DepthLimit,
		AliasLimit:      cfg.AliasLimit,
		TokenLimit:      cfg.TokenLimit,
		Metrics:         cfg.Metrics,
		Tracer:          cfg.Tracer,
	})

	r := chi.NewRouter()
	r.Use(s.requestContext, s.recoverPanics, limitHeader, s.clientIP())
	if db.Replicas != nil {
		r.Use(s.readYourWrites)
	}
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, errcode.NotFound, "nothing is served at this path")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, errcode.MethodNotAllowed, r.Method+" is not allowed at this path")
	})
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Group(func(r chi.Router) {
		r.Use(s.limitBody, s.timeout, s.authenticate)
		if cfg.RateLimit > 0 {
			r.Use(s.rateLimit("graphql", cfg.RateLimit))
		}
		r.With(idempotency.Middleware(idempotent, idempotency.Options{Classify: graph.IdempotencyClass, Lease: 2 * cfg.RequestTimeout})).Handle("/graphql", gql)
		r.Get("/export/fsma204.csv", s.fsmaExport)
	})
	// Partner systems speak EPCIS 2.0: documents far larger than a
	// GraphQL request, so the capture route bounds its body itself.
	r.Group(func(r chi.Router) {
		r.Use(epcis.Answers, s.timeout, s.authenticate)
		if cfg.RateLimit > 0 {
			r.Use(s.rateLimit("epcis", cfg.RateLimit))
		}
		epcis.New(db.Client, cfg.Log, recorder, hooks).Mount(r,
			idempotency.Middleware(idempotent, idempotency.Options{Lease: 2 * cfg.RequestTimeout}))
	})
	// Documents: uploads far larger than a GraphQL request, bounded by
	// the document size limit instead.
	r.Group(func(r chi.Router) {
		r.Use(s.timeout, s.authenticate)
		if cfg.RateLimit > 0 {
			r.Use(s.rateLimit("documents", cfg.RateLimit))
		}
		r.With(bodyLimit(cfg.MaxDocumentSize+multipartAllowance, errcode.DocumentTooLarge, fmt.Sprintf("the document exceeds %d bytes", cfg.MaxDocumentSize)),
			idempotency.Middleware(idempotent, idempotency.Options{Lease: 2 * cfg.RequestTimeout})).Post("/documents", s.uploadDocument)
		r.Get("/documents/{id}", s.serveDocument)
	})
	// Consumer pages have a budget of their own: shoppers in one shop can
	// share an address, and cached pages cost little.
	r.Group(func(r chi.Router) {
		r.Use(s.timeout, s.authenticate)
		if cfg.PageRateLimit > 0 {
			r.Use(s.rateLimit("page", cfg.PageRateLimit))
		}
		pages := consumer.New(db.Client, s.reader, cfg.Scans, consumer.Options{
			PublicBaseURL: cfg.PublicBaseURL,
			CacheTTL:      cfg.PageCacheTTL,
			CacheResult:   cfg.Metrics.PageCache,
		})
		cfg.Log.Bus().Subscribe(pages.Apply)
		pages.Mount(r)
	})
	// The regulators' dashboard: a static page that logs in and calls
	// /graphql like any client.
	page := dashboard.Handler("/dashboard")
	r.Handle("/dashboard", page)
	r.Handle("/dashboard/*", page)
	if cfg.Development {
		// GraphiQL, served from the binary: it needs no internet access.
		pg := playground.Handler()
		r.Get("/", pg.ServeHTTP)
		r.Handle(playground.AssetPath+"*", pg)
	} else {
		r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "Suyuan traceability API: POST GraphQL to /graphql\n")
		})
	}
	s.handler = r
	return s
}

// Handler returns the server's root handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe serves until ctx is cancelled, then shuts down gracefully:
// it stops accepting connections and waits up to 20 seconds for requests in
// flight.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on an existing listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       120 * time.Second,
		// Headers up to MaxHeaderBytes are refused by limitHeader, in
		// JSON with a code; net/http answers larger ones itself.
		MaxHeaderBytes: 1 << 20,
		ErrorLog:       slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.cfg.Logger.Info("serving", "addr", ln.Addr().String(), "development", s.cfg.Development)
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	if s.cfg.Drain > 0 {
		// Answers from now on close their connections, so that none is
		// left idle for the load balancer to reuse as it closes.
		s.draining.Store(true)
		hs.SetKeepAlivesEnabled(false)
		s.cfg.Logger.Info("draining", "for", s.cfg.Drain.String())
		drain := time.NewTimer(s.cfg.Drain)
		select {
		case <-drain.C:
		case err := <-errc:
			drain.Stop()
			return fmt.Errorf("serving: %w", err)
		}
	}
	s.cfg.Logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "shutting down\n")
		return
	}
	if err := s.db.Ping(ctx); err != nil {
		reqlog.Logger(ctx).Warn("database not ready", "error", err.Error())
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "database unavailable\n")
		writeReplicas(w, s.db.Replicas.States())
		return
	}
	// Replicas out of use do not make the server unready: their reads
	// go to the primary.
	io.WriteString(w, "ready\n")
	writeReplicas(w, s.db.Replicas.States())
}

// requestContext gives each request an id (echoed in X-Request-ID), a
// logger that names it and a tally of its SQL statements, and when it
// ends writes one access-log line and counts it in the metrics.
func (s *Server) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := r.Context()
		var span oteltrace.Span
		id := ""
		if s.cfg.Tracer != nil {
			// The caller's trace continues here (traceparent), and the
			// request id is the trace id.
			ctx = tracing.Propagator().Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = s.cfg.Tracer.Start(ctx, "HTTP "+r.Method, oteltrace.WithSpanKind(oteltrace.SpanKindServer),
				oteltrace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
			id = span.SpanContext().TraceID().String()
		} else {
			id = newRequestID()
		}
		ctx = reqlog.With(ctx, id, s.cfg.Logger)
		ctx, tally := store.WithTally(ctx)
		w.Header().Set("X-Request-ID", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		took := time.Since(start)
		// The router fills in the pattern as it routes: by now it names
		// the route that answered (such as /t/{code}), not the raw path.
		var route string
		if rc := chi.RouteContext(ctx); rc != nil {
			route = rc.RoutePattern()
		}
		s.cfg.Metrics.Request(route, r.Method, sw.status, took, tally.Count())
		if span != nil {
			if route != "" {
				span.SetName("HTTP " + r.Method + " " + route)
				span.SetAttributes(attribute.String("http.route", route))
			}
			span.SetAttributes(attribute.Int("http.response.status_code", sw.status), attribute.Int64("db.statements", tally.Count()))
			if sw.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status))
			}
			span.End()
		}
		// Who made the request and which operation it ran are learned
		// inside (authenticate, the GraphQL handler).
		attrs := append(reqlog.Attrs(ctx), "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"bytes", sw.bytes, "statements", tally.Count(),
			"duration_ms", float64(took.Microseconds())/1000)
		if n := tally.Retries(); n > 0 {
			// Transactions the database aborted (a deadlock; on Galera, a
			// lost certification) and that were run again.
			attrs = append(attrs, "retries", n)
		}
		reqlog.Logger(ctx).Info("request", attrs...)
	})
}

// recoverPanics answers 500 with a request id for a panic outside the
// GraphQL executor (which recovers its own), and logs the stack.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // the client went away; net/http handles it quietly
			}
			ctx := r.Context()
			reqlog.Logger(ctx).Error("panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, errcode.Internal, "internal error; reference "+reqlog.ID(ctx))
		}()
		next.ServeHTTP(w, r)
	})
}

// MaxHeaderBytes bounds the request line and header of a request.
const MaxHeaderBytes = 64 << 10

// limitHeader refuses a request whose request line and header exceed
// MaxHeaderBytes with 431 REQUEST_HEADER_TOO_LARGE.
func limitHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
		for k, vs := range r.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4
			}
		}
		if n > MaxHeaderBytes {
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestHeaderFieldsTooLarge, errcode.HeaderTooLarge,
				fmt.Sprintf("the request header exceeds %d bytes", MaxHeaderBytes))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// drainLimit is how much of an oversized body is read and thrown away
// before the 413 is sent.
const drainLimit = 8 << 20

// limitBody refuses bodies over the limit with 413 before any parsing.
// The body is read here, bounded, so that an oversized chunked body is
// refused the same way as one with a Content-Length.
//
// A client that sends its whole body before reading the answer (most do)
// would find the connection reset if the server closed it with the body
// unread, and never see the 413. So what remains of an oversized body is
// read and discarded, up to drainLimit, before answering — unless the
// client waits for "100 Continue" and so has not sent it — and the answer
// closes the connection.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return bodyLimit(s.cfg.BodyLimit, errcode.RequestTooLarge, fmt.Sprintf("request body exceeds %d bytes", s.cfg.BodyLimit))(next)
}

// bodyLimit is limitBody's work for a limit of its own, refused with code
// and msg.
func bodyLimit(limit int64, code errcode.Code, msg string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			tooLarge := func() {
				if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
					io.CopyN(io.Discard, r.Body, drainLimit)
				}
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusRequestEntityTooLarge, code, msg)
			}
			if r.ContentLength > limit {
				tooLarge()
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			if err != nil {
				writeError(w, http.StatusBadRequest, errcode.InvalidRequest, "could not read the request body")
				return
			}
			if int64(len(body)) > limit {
				tooLarge()
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
		})
	}
}

// timeout bounds the work of a request; resolvers see the deadline through
// their context and database calls stop at it.
func (s *Server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) {
			// A subscription lives as long as its client stays: lift the
			// connection's deadlines, which the socket's pings replace.
			rc := http.NewResponseController(w)
			rc.SetReadDeadline(time.Time{})
			rc.SetWriteDeadline(time.Time{})
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// isWebsocket reports whether r asks to open a websocket.
func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// writeError answers a request that never reached GraphQL with a body in
// GraphQL's error shape, so clients parse one format.
func writeError(w http.ResponseWriter, status int, code errcode.Code, msg string) {
	writeFieldError(w, status, &errcode.Error{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
		if code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
			// Every 503 (UNAVAILABLE, TIMEOUT, not ready) is worth
			// retrying shortly, and says so.
			w.Header().Set("Retry-After", strconv.Itoa(int(store.UnavailableRetryAfter.Seconds())))
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
