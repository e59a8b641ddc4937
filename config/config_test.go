package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestExampleProfilesAreValid(t *testing.T) {
	// The production profiles take the carrier trunk's password from the
	// environment, as a deployment would.
	t.Setenv("VOICED_TRUNK_CARRIER_PASSWORD", "from-the-environment")
	for _, name := range []string{"embedded.yaml", "selfhosted.yaml", "hybrid-eu.yaml"} {
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(filepath.Join("..", "configs", name))
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Tenants) == 0 || cfg.Tenants[0].ID != "demo" {
				t.Fatalf("tenants = %+v, want the demo tenant", cfg.Tenants)
			}
		})
	}
}

func TestEmbeddedDefaults(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "configs", "embedded.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:8080" || cfg.Models.LLM.Enabled() {
		t.Fatalf("embedded profile: addr %s, llm %v", cfg.HTTP.Addr, cfg.Models.LLM.Enabled())
	}
	a := cfg.Tenants[0].Agents[0]
	if a.Name != "default" || a.Style != "concise" {
		t.Fatalf("agent = %+v", a)
	}
	if !filepath.IsAbs(cfg.Tenants[0].Knowledge[0]) || !filepath.IsAbs(cfg.DataDir) {
		t.Fatalf("paths not resolved: %v %s", cfg.Tenants[0].Knowledge, cfg.DataDir)
	}
}

func TestErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"typo", "htpp: {addr: x}", "unknown field htpp"},
		{"nested typo", "models: {llm: {bakend: openai}}", "unknown field bakend"},
		{"secret in yaml", "models: {llm: {api_key: sk-1}}", "api_key_file or VOICED_<ROLE>_API_KEY"},
		{"bad duration", "models: {llm: {timeout: soon}}", `"soon" is not a duration`},
		{"bad addr", "http: {addr: localhost}", "http.addr"},
		{"bad backend", "models: {llm: {backend: gpt, url: 'http://x'}}", "models.llm.backend"},
		{"bad url", "models: {llm: {backend: openai, url: 'x:y'}}", "models.llm.url"},
		{"external needs region", "models: {llm: {backend: openai, url: 'http://x', locality: external}}",
			"models.llm.region"},
		{"azure needs deployment", "models: {llm: {backend: azure, url: 'https://x'}}", "models.llm.model"},
		{"bad tenant id", "tenants: [{id: 'Bad Id'}]", "tenants[0].id"},
		{"duplicate tenant", "tenants: [{id: a}, {id: a}]", "tenants[1].id"},
		{"short key", "tenants: [{id: a, api_keys: [x]}]", "tenants[0].api_keys"},
		{"shared key", "tenants: [{id: a, api_keys: [12345678]}, {id: b, api_keys: [12345678]}]",
			`also used by tenant "a"`},
		{"bad style", "tenants: [{id: a, agents: [{style: loud}]}]", "tenants[0].agents[0].style"},
		{"prefixes need small llm", "retrieval: {context_prefixes: true}", "retrieval.context_prefixes"},
		{"prefixes need a local small llm", "retrieval: {context_prefixes: true}\nmodels: {small_llm: " +
			"{backend: openai, url: 'http://x', locality: external, region: eu}}", "needs a local"},
		{"not yaml", "models: [", "invalid YAML"},
		{"bad tts backend", "models: {tts: {backend: say}}", "models.tts.backend"},
		{"remote fallback", "models: {tts: {backend: flite, fallback: qwen}}", "models.tts.fallback"},
		{"external asr", "models: {asr: {backend: qwen, url: 'http://x', locality: external, region: eu}}",
			"models.asr.locality"},
		{"bad sip listen", "sip: {listen: nowhere}", "sip.listen"},
		{"bad rtp range", "sip: {rtp_ports: 30000-20000}", "sip.rtp_ports"},
		{"bad allow", "sip: {trunks: [{name: t, allow: [10.0.0.300]}]}", "sip.trunks[0].allow"},
		{"trunk accepts nobody", "sip: {trunks: [{name: t}]}", "would accept nobody"},
		{"digest needs password", "sip: {trunks: [{name: t, username: u}]}", "sip.trunks[0].password_file"},
		{"unknown trunk tenant", "sip: {trunks: [{name: t, allow: ['::1'], tenant: x}]}", "sip.trunks[0].tenant"},
		{"register needs sip uri", "sip: {trunks: [{name: t, allow: ['::1'], register: {registrar: x}}]}",
			"sip.trunks[0].register.registrar"},
		{"number twice", "tenants: [{id: a, numbers: ['100']}, {id: b, numbers: ['100']}]", "tenants[1].numbers"},
		{"unknown codec", "sip: {codecs: [G729]}", "sip.codecs"},
		{"tls incomplete", "sip: {tls: {listen: '127.0.0.1:5061'}}", "sip.tls"},
		{"otlp not a url", "telemetry: {otlp_endpoint: 'collector:4318'}", "telemetry.otlp_endpoint"},
		{"otlp with password", "telemetry: {otlp_endpoint: 'http://u:pw@collector:4318'}",
			"telemetry.otlp_endpoint: must have no query, fragment or credentials"},
		{"sample ratio", "telemetry: {otlp_endpoint: 'http://c:4318', sample_ratio: 1.5}",
			"telemetry.sample_ratio"},
		{"negative sample ratio", "telemetry: {sample_ratio: -0.1}", "telemetry.sample_ratio"},
		{"missing headers file", "telemetry: {otlp_endpoint: 'http://c:4318', headers_file: nope}",
			"telemetry.headers_file"},
		{"headers in yaml", "telemetry: {headers: {a: b}}", "unknown field headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), t.TempDir(), env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "small.key")
	os.WriteFile(keyFile, []byte("file-secret\n"), 0o600)
	yml := "tenants: [{id: shop-1}]\nmodels: {small_llm: {backend: openai, url: 'http://a'}}"

	cfg, err := Parse([]byte(yml), dir, env(map[string]string{
		"VOICED_LLM_BACKEND":             "openai",
		"VOICED_LLM_URL":                 "http://gpu:8000/v1",
		"VOICED_LLM_API_KEY":             "sk-env",
		"VOICED_LLM_FIRST_TOKEN_TIMEOUT": "2s",
		"VOICED_SMALL_LLM_API_KEY_FILE":  "small.key",
		"VOICED_TENANT_SHOP_1_API_KEYS":  "key-one-1, key-two-2",
	}))
	if err != nil {
		t.Fatal(err)
	}
	llm := cfg.Models.LLM
	if llm.URL != "http://gpu:8000/v1" || llm.APIKey != "sk-env" || llm.Locality != "local" {
		t.Fatalf("llm = %+v", llm)
	}
	if time.Duration(llm.FirstTokenTimeout) != 2*time.Second {
		t.Fatalf("first token timeout = %v", time.Duration(llm.FirstTokenTimeout))
	}
	if cfg.Models.SmallLLM.APIKey != "file-secret" {
		t.Fatalf("small llm key from file = %q", cfg.Models.SmallLLM.APIKey)
	}
	if got := cfg.Tenants[0].APIKeys; len(got) != 2 || got[1] != "key-two-2" {
		t.Fatalf("tenant keys = %v", got)
	}

	_, err = Parse([]byte(yml), dir, env(map[string]string{"VOICED_LLM_TIMEOUT": "long"}))
	if err == nil || !strings.Contains(err.Error(), "VOICED_LLM_TIMEOUT") {
		t.Fatalf("bad env duration: got %v", err)
	}
}

func TestSIPSection(t *testing.T) {
	yml := `
tenants: [{id: demo, numbers: ["+4930123"]}]
models: {tts: {backend: flite, voice: slt}}
sip:
  listen: 0.0.0.0:5080
  rtp_ports: 30000-30099
  codecs: [G722, pcmu]
  record: false
  trunks:
    - {name: pbx, allow: [192.0.2.0/24, 198.51.100.7], tenant: demo}
    - {name: carrier, username: voiced, register: {registrar: "sip:sip.example.net"}}
`
	cfg, err := Parse([]byte(yml), t.TempDir(), env(map[string]string{
		"VOICED_TRUNK_CARRIER_PASSWORD": "s3cret",
		"VOICED_SIP_LISTEN":             "0.0.0.0:5090",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.SIP
	if lo, hi := s.RTPPortRange(); lo != 30000 || hi != 30099 {
		t.Fatalf("rtp ports = %d-%d, want 30000-30099", lo, hi)
	}
	if s.Listen != "0.0.0.0:5090" || s.Recording() || s.MaxCalls != 200 {
		t.Fatalf("sip = %+v", s)
	}
	if got := s.Trunks[0].AllowPrefixes(); len(got) != 2 || got[1].Bits() != 32 {
		t.Fatalf("allow = %v, want two prefixes, the second a /32", got)
	}
	if s.Trunks[1].Password != "s3cret" {
		t.Fatalf("trunk password from env = %q", s.Trunks[1].Password)
	}
	if tts := cfg.Models.TTS; !tts.Builtin() || tts.Locality != "local" {
		t.Fatalf("tts = %+v, want built-in and local", tts)
	}
}

func TestTelemetrySection(t *testing.T) {
	dir := t.TempDir()
	headers := "# the collector's token\nauthorization: Bearer tok-1\n\nX-Scope-OrgID: voiced\n"
	os.WriteFile(filepath.Join(dir, "otlp.headers"), []byte(headers), 0o600)
	yml := "telemetry: {otlp_endpoint: 'http://collector:4318', sample_ratio: 0.25, " +
		"headers_file: otlp.headers}"

	cfg, err := Parse([]byte(yml), dir, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	tel := cfg.Telemetry
	if !tel.Enabled() || tel.ServiceName != "voiced" || tel.Sampling() != 0.25 {
		t.Fatalf("got telemetry %+v (sampling %g), want enabled, voiced, 0.25", tel, tel.Sampling())
	}
	if tel.Headers["Authorization"] != "Bearer tok-1" || tel.Headers["X-Scope-Orgid"] != "voiced" ||
		len(tel.Headers) != 2 {
		t.Fatalf("got headers %v, want Authorization and X-Scope-Orgid", tel.Headers)
	}

	// Off by default; the environment turns it on, and off again.
	cfg, err = Parse(nil, dir, env(nil))
	if err != nil || cfg.Telemetry.Enabled() || cfg.Telemetry.Sampling() != 1 {
		t.Fatalf("got %+v, %v; want tracing off with sampling 1", cfg.Telemetry, err)
	}
	cfg, err = Parse(nil, dir, env(map[string]string{"VOICED_OTLP_ENDPOINT": "https://otel.example:4318",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318"}))
	if err != nil || cfg.Telemetry.OTLPEndpoint != "https://otel.example:4318" {
		t.Fatalf("got %+v, %v; want the endpoint from VOICED_OTLP_ENDPOINT", cfg.Telemetry, err)
	}
	cfg, err = Parse([]byte(yml), dir, env(map[string]string{"VOICED_OTLP_ENDPOINT": ""}))
	if err != nil || cfg.Telemetry.Enabled() || cfg.Telemetry.Headers != nil {
		t.Fatalf("got %+v, %v; want an empty VOICED_OTLP_ENDPOINT to turn tracing off",
			cfg.Telemetry, err)
	}

	os.WriteFile(filepath.Join(dir, "otlp.headers"), []byte("Bearer secret-token\n"), 0o600)
	_, err = Parse([]byte(yml), dir, env(nil))
	if err == nil || !strings.Contains(err.Error(), "line 1") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("got %v, want an error naming line 1 without the secret", err)
	}
}
