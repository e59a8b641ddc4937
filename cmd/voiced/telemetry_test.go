package main

import (
	"context"
	"io"
	"testing"

	"github.com/voiced/voiced/config"
	"github.com/voiced/voiced/internal/otlptest"
)

func TestTracingExportsToTheConfiguredCollector(t *testing.T) {
	col := otlptest.NewCollector()
	defer col.Close()
	tr, err := newTracing(config.Telemetry{OTLPEndpoint: col.URL, ServiceName: "voiced-test",
		Headers: map[string]string{"Authorization": "Bearer tok-1"}}, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Provider.Tracer("test").Start(context.Background(), "call")
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	reqs := col.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d exports, want 1", len(reqs))
	}
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer tok-1" {
		t.Errorf("got Authorization %q, want the header from headers_file", got)
	}
	spans := col.Spans()
	if len(spans) != 1 || spans[0].Name != "call" || spans[0].Resource["service.name"] != "voiced-test" {
		t.Errorf("got spans %+v, want call of service voiced-test", spans)
	}
}

func TestTracingOffSendsNothing(t *testing.T) {
	col := otlptest.NewCollector()
	defer col.Close()
	// The standard variables do not turn tracing on.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", col.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", col.URL+"/v1/traces")
	tr, err := newTracing(config.Telemetry{ServiceName: "voiced"}, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Provider.Tracer("test").Start(context.Background(), "call")
	if span.IsRecording() {
		t.Error("got a recording span with tracing off")
	}
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(col.Requests()); n != 0 {
		t.Errorf("got %d exports with tracing off, want none", n)
	}
}
