// Package tracing sets up OpenTelemetry tracing: spans of HTTP requests,
// GraphQL operations and SQL statements, exported over OTLP/HTTP when an
// endpoint is configured. Off (the default), there is no tracer at all: the
// server checks for nil and does no tracing work.
package tracing

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of Suyuan's spans.
const Name = "suyuan"

// Propagator reads and writes W3C trace context (traceparent) headers, so
// that a request's trace continues the caller's.
func Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// CheckEndpoint refuses an endpoint that is not an http(s) URL.
func CheckEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--otlp-endpoint %q must be an http:// or https:// URL, such as http://127.0.0.1:4318", endpoint)
	}
	return nil
}

// Setup returns a tracer exporting to the OTLP/HTTP endpoint (such as
// http://collector:4318), and the function that flushes and stops it.
// With no endpoint it returns a nil tracer: tracing is off.
func Setup(ctx context.Context, endpoint, version string) (trace.Tracer, func(context.Context) error, error) {
	if endpoint == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	if err := CheckEndpoint(endpoint); err != nil {
		return nil, nil, err
	}
	// The collector's base URL, or the full URL of its traces path.
	if u, _ := url.Parse(endpoint); u.Path == "" || u.Path == "/" {
		endpoint = strings.TrimSuffix(endpoint, "/") + "/v1/traces"
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("suyuan"), semconv.ServiceVersion(version))),
	)
	return tp.Tracer(Name), tp.Shutdown, nil
}
