package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/voiced/voiced/config"
)

// tracing is the process's trace pipeline: spans go in batches to the
// configured OTLP/HTTP collector, or, with none configured, nowhere.
type tracing struct {
	// Provider is handed to the dialog engine and to every call.
	Provider trace.TracerProvider
	sdk      *sdktrace.TracerProvider // nil when tracing is off
}

// tracingFlush bounds the export of the spans still queued at exit.
const tracingFlush = 5 * time.Second

// newTracing builds the trace pipeline of cfg. Off, its provider is a
// no-op one: a span costs next to nothing and nothing is sent. Export
// failures are logged to log.
func newTracing(cfg config.Telemetry, log *slog.Logger) (*tracing, error) {
	if !cfg.Enabled() {
		return &tracing{Provider: noop.NewTracerProvider()}, nil
	}
	u, err := url.Parse(cfg.OTLPEndpoint)
	if err != nil {
		return nil, fmt.Errorf("telemetry.otlp_endpoint: %w", err)
	}
	// The exporter reads OTEL_EXPORTER_OTLP_* first; the endpoint, the
	// scheme and the headers given here override what those say.
	headers := cfg.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(u.JoinPath("v1", "traces").String()),
		otlptracehttp.WithHeaders(headers))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}

	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.ServiceName)}
	if host, err := os.Hostname(); err == nil {
		attrs = append(attrs, semconv.HostName(host))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, attrs...)),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Sampling()))),
	)
	// The SDK reports export failures only to the process-wide handler.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("traces not exported", "err", err)
	}))
	log.Info("exporting traces", "otlp_endpoint", cfg.OTLPEndpoint,
		"sample_ratio", cfg.Sampling())
	return &tracing{Provider: tp, sdk: tp}, nil
}

// Shutdown exports the spans still queued, within ctx, and stops the
// pipeline.
func (t *tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	if err := t.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("flush traces: %w", err)
	}
	return nil
}
