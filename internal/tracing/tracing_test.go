package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"suyuan/internal/tracing"
)

// TestSetup: without an endpoint there is no tracer; with one, spans
// reach the collector over OTLP/HTTP by the time the tracer is stopped.
func TestSetup(t *testing.T) {
	tracer, stop, err := tracing.Setup(context.Background(), "", "test")
	if err != nil || tracer != nil {
		t.Fatalf("no endpoint: tracer %v, %v; want none", tracer, err)
	}
	stop(context.Background())

	var posts atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	tracer, stop, err = tracing.Setup(context.Background(), collector.URL, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tracer.Start(context.Background(), "drill")
	span.End()
	if err := stop(context.Background()); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	if posts.Load() == 0 {
		t.Error("the collector received no traces")
	}

	for _, bad := range []string{"collector:4318", "ftp://x", "http://"} {
		if err := tracing.CheckEndpoint(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
