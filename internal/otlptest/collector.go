// Package otlptest provides a fake OpenTelemetry collector for tests, in
// the manner of net/http/httptest: it takes OTLP/HTTP trace exports
// (protobuf, POST /v1/traces), decodes them and keeps every span and
// every request body, so that a test can check what a process sent, and
// what it did not.
package otlptest

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Collector is a fake OTLP/HTTP trace collector on a loopback address.
type Collector struct {
	// URL is the collector's base URL, as a deployment names it
	// ("http://127.0.0.1:43187"); exports go to URL + "/v1/traces".
	URL string
	srv *httptest.Server

	mu       sync.Mutex // guards the fields below
	requests []Request
	spans    []Span
}

// Request is one export the collector took.
type Request struct {
	Header http.Header
	Body   []byte
}

// Span is a received span, flattened with its resource's attributes.
type Span struct {
	Name                          string
	TraceID, SpanID, ParentSpanID string // hex; ParentSpanID "" for a root
	Start, End                    time.Time
	// Attributes hold string, bool, int64 or float64 values.
	Attributes map[string]any
	Events     []Event
	// Error is set when the span's status is an error.
	Error    bool
	Resource map[string]any
}

// Event is a span's event.
type Event struct {
	Name       string
	Time       time.Time
	Attributes map[string]any
}

// NewCollector starts a collector; Close stops it.
func NewCollector() *Collector {
	c := &Collector{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", c.export)
	c.srv = httptest.NewServer(mux)
	c.URL = c.srv.URL
	return c
}

// Close stops the collector.
func (c *Collector) Close() { c.srv.Close() }

// Requests returns the exports taken so far.
func (c *Collector) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.requests...)
}

// Spans returns the spans received so far, in the order they came.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Span(nil), c.spans...)
}

// export takes one request as a collector does: 415 for anything but
// protobuf, 400 for what does not decode.
func (c *Collector) export(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "protobuf only", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	c.mu.Lock()
	c.requests = append(c.requests, Request{Header: r.Header.Clone(), Body: body})
	for _, rs := range req.GetResourceSpans() {
		res := attributes(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans = append(c.spans, flatten(s, res))
			}
		}
	}
	c.mu.Unlock()

	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func flatten(s *tracepb.Span, res map[string]any) Span {
	out := Span{Name: s.GetName(), TraceID: hex.EncodeToString(s.GetTraceId()),
		SpanID: hex.EncodeToString(s.GetSpanId()), ParentSpanID: hex.EncodeToString(s.GetParentSpanId()),
		Start: unixNano(s.GetStartTimeUnixNano()), End: unixNano(s.GetEndTimeUnixNano()),
		Attributes: attributes(s.GetAttributes()), Resource: res,
		Error: s.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR}
	for _, e := range s.GetEvents() {
		out.Events = append(out.Events, Event{Name: e.GetName(), Time: unixNano(e.GetTimeUnixNano()),
			Attributes: attributes(e.GetAttributes())})
	}
	return out
}

func unixNano(ns uint64) time.Time { return time.Unix(0, int64(ns)) }

func attributes(kvs []*commonpb.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = v.BoolValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = v.IntValue
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = v.DoubleValue
		default:
			m[kv.GetKey()] = kv.GetValue().String()
		}
	}
	return m
}

// Named returns the spans received so far called name.
func (c *Collector) Named(name string) []Span {
	var out []Span
	for _, s := range c.Spans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Quoted returns the pairs of adjacent words of texts ("opening hours")
// that some export holds: a sign that what someone said leaked into span
// data. Single words would match attribute keys and names.
func (c *Collector) Quoted(texts ...string) []string {
	var found []string
	for _, text := range texts {
		words := strings.Fields(text)
		for i := 1; i < len(words); i++ {
			pair := words[i-1] + " " + words[i]
			for _, r := range c.Requests() {
				if bytes.Contains(r.Body, []byte(pair)) {
					found = append(found, pair)
					break
				}
			}
		}
	}
	return found
}
