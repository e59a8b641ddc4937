package config

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Telemetry configures the export of traces over OTLP/HTTP. Tracing is off
// unless OTLPEndpoint is set, in the file or by VOICED_OTLP_ENDPOINT; the
// standard OTEL_EXPORTER_OTLP_ENDPOINT does not turn it on, so that what
// leaves the node is decided by its own configuration.
type Telemetry struct {
	// OTLPEndpoint is the collector's base URL, "http://collector:4318";
	// spans are posted to its /v1/traces.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// ServiceName is the service.name of the spans, "voiced" by default.
	ServiceName string `yaml:"service_name"`
	// SampleRatio is the share of calls and chat replies traced, from 0
	// to 1; 1 by default.
	SampleRatio *float64 `yaml:"sample_ratio"`
	// HeadersFile names a file of "Name: value" lines sent with every
	// export, such as a collector's token.
	HeadersFile string `yaml:"headers_file"`
	// Headers are read from HeadersFile, never from YAML.
	Headers map[string]string `yaml:"-"`
}

// Enabled reports whether traces are exported.
func (t Telemetry) Enabled() bool { return t.OTLPEndpoint != "" }

// Sampling is the share of traces kept: SampleRatio, or 1 when unset.
func (t Telemetry) Sampling() float64 {
	if t.SampleRatio == nil {
		return 1
	}
	return *t.SampleRatio
}

func (t *Telemetry) applyEnv(lookup func(string) (string, bool)) {
	if v, ok := lookup("VOICED_OTLP_ENDPOINT"); ok {
		t.OTLPEndpoint = v
	}
}

func (t *Telemetry) fillDefaults() {
	if t.ServiceName == "" {
		t.ServiceName = "voiced"
	}
}

// readHeaders reads HeadersFile, once tracing is on.
func (t *Telemetry) readHeaders(c *Config) error {
	if !t.Enabled() || t.HeadersFile == "" {
		return nil
	}
	data, err := os.ReadFile(c.Resolve(t.HeadersFile))
	if err != nil {
		return fmt.Errorf("telemetry.headers_file: %w", err)
	}
	if t.Headers, err = parseHeaders(data); err != nil {
		return fmt.Errorf("telemetry.headers_file: %w", err)
	}
	return nil
}

// parseHeaders reads "Name: value" lines; blank lines and lines starting
// with # are skipped. The values are secrets: errors name the line only.
func parseHeaders(data []byte) (map[string]string, error) {
	headers := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
			return nil, fmt.Errorf("line %d is not a header like \"Authorization: Bearer ...\"", n)
		}
		headers[http.CanonicalHeaderKey(name)] = value
	}
	return headers, sc.Err()
}

func (t *Telemetry) validate(bad func(field, format string, args ...any)) {
	if r := t.Sampling(); r < 0 || r > 1 {
		bad("telemetry.sample_ratio", "%g is outside 0..1", r)
	}
	if !t.Enabled() {
		return
	}
	u, err := url.Parse(t.OTLPEndpoint)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		bad("telemetry.otlp_endpoint", "%q is not an http(s) URL like http://collector:4318",
			t.OTLPEndpoint)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		// Not quoted: it may hold a password.
		bad("telemetry.otlp_endpoint", "must have no query, fragment or credentials "+
			"(put a token in headers_file)")
	}
}
