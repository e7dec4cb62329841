package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"suyuan/internal/store"
	"suyuan/internal/testdb"
	"suyuan/server"
)

// TestTracing: with a tracer, a request continues its caller's trace, its
// id is the trace id, and its GraphQL operation and SQL statements are
// spans beneath it; without one the request id is the server's own.
func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("test")

	plain := testdb.SQLite(t)
	traced, err := store.Open(context.Background(), plain.DSN, store.WithTracer(tracer))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { traced.Close() })
	a := newAPI(t, &testdb.DB{DB: traced, Counter: plain.Counter, Name: plain.Name, DSN: plain.DSN}, server.Config{Tracer: tracer})

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	body, _ := json.Marshal(map[string]any{"query": `query Lookup { organizations(first: 5) { totalCount } }`})
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	res, err := a.send(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("X-Request-ID"); got != traceID {
		t.Errorf("X-Request-ID = %q, want the trace id %s", got, traceID)
	}

	byID := map[string]sdktrace.ReadOnlySpan{}
	var httpSpan, opSpan sdktrace.ReadOnlySpan
	var sqlSpans []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() != traceID {
			continue
		}
		byID[s.SpanContext().SpanID().String()] = s
		switch name := s.Name(); {
		case name == "HTTP POST /graphql":
			httpSpan = s
		case name == "graphql query Lookup":
			opSpan = s
		case strings.HasPrefix(name, "sql "):
			sqlSpans = append(sqlSpans, s)
		}
	}
	if httpSpan == nil || opSpan == nil || len(sqlSpans) == 0 {
		var names []string
		for _, s := range byID {
			names = append(names, s.Name())
		}
		t.Fatalf("spans of the trace: %q; want the request's, the operation's and SQL statements'", names)
	}
	if httpSpan.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("the request's span does not continue the caller's")
	}
	if opSpan.Parent().SpanID() != httpSpan.SpanContext().SpanID() {
		t.Errorf("the operation's span is not the request's child")
	}
	// Every statement is beneath the request (authentication reads before
	// the operation starts), and the operation's own are beneath it.
	beneath := func(s sdktrace.ReadOnlySpan, ancestor sdktrace.ReadOnlySpan) bool {
		for p := s.Parent().SpanID(); p.IsValid(); {
			if p == ancestor.SpanContext().SpanID() {
				return true
			}
			parent, ok := byID[p.String()]
			if !ok {
				return false
			}
			p = parent.Parent().SpanID()
		}
		return false
	}
	inOp := 0
	for _, s := range sqlSpans {
		if !beneath(s, httpSpan) {
			t.Errorf("%s is not beneath the request", s.Name())
		}
		if beneath(s, opSpan) {
			inOp++
		}
	}
	if inOp == 0 {
		t.Errorf("no SQL statement beneath the operation")
	}

	// Without a tracer: the server's own 16-character id, and no spans.
	untraced := newAPI(t, testdb.SQLite(t), server.Config{})
	res = untraced.get("/healthz")
	res.Body.Close()
	if id := res.Header.Get("X-Request-ID"); len(id) != 16 {
		t.Errorf("untraced request id %q", id)
	}
}
